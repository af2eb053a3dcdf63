"""Anomalies on an institution's own history take its seasonality out."""

import datetime as dt
import math
import random
from decimal import Decimal

import pytest

from tests.factories import make_org
from tests.institutions import factories as f
from xiake.institutions import models as m
from xiake.institutions import monitoring
from xiake.institutions.reporting import add_months

pytestmark = pytest.mark.django_db

FIRST = dt.date(2021, 1, 1)
# A strong year-end peak and a New Year dip, as many institutions report.
SEASON = {1: 0.8, 2: 0.7, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.1, 7: 0.95, 8: 0.9, 9: 1.0, 10: 1.0}
SEASON |= {11: 1.1, 12: 1.9}


def seasonal_reports(org, months=36, jump=None, seed=5):
    """``months`` of published reports from 2021-01 with 15 % growth a year and ±5 % noise;
    ``jump`` = (month index, field, factor) plants one anomalous month."""
    rng = random.Random(seed)
    f.make_institution(org, established_on=dt.date(2020, 1, 1), committed_incubated_3y=0)
    for k in range(months):
        period = add_months(FIRST, k)
        revenue = 200 * 1.15 ** (k / 12) * SEASON[period.month] * math.exp(rng.gauss(0, 0.05))
        rd = 60 * 1.15 ** (k / 12) * SEASON[period.month] * math.exp(rng.gauss(0, 0.05))
        figures = {"revenue": revenue, "rd_spend": rd, "technical_income": revenue * 0.3}
        if jump and jump[0] == k:
            figures[jump[1]] *= jump[2]
            figures["technical_income"] = min(figures["technical_income"], figures["revenue"])
        f.make_report(
            org,
            status="published",
            period=period,
            incubated_new=1,
            **{k: Decimal(f"{v:.2f}") for k, v in figures.items()},
        )


def anomalies(inst, periods):
    monitoring.run_warnings_for(periods, today=dt.date(2024, 2, 1))
    return list(m.EarlyWarning.objects.filter(institution=inst, kind="anomaly"))


def test_regular_december_peaks_are_not_anomalies(orgs):
    f.make_warning_rule()
    seasonal_reports(orgs["institution"])
    inst = m.Institution.objects.get(owner_org=orgs["institution"])
    decembers = [dt.date(2022, 12, 1), dt.date(2023, 12, 1)]
    # Against the last 24 months alone, December is far above the usual month …
    history = list(inst.reports.filter(period__lt=decembers[1]).order_by("-period")[:24])
    december = inst.reports.get(period=decembers[1])
    values = [float(r.revenue) for r in history]
    assert monitoring.robust_z(values, float(december.revenue)) >= 4
    # … but not against the Decembers before it: no warning.
    assert anomalies(inst, [add_months(FIRST, k) for k in range(12, 36)]) == []


def test_a_one_off_jump_is_an_anomaly_with_its_evidence_and_the_month_after_a_year_is_not(orgs):
    f.make_warning_rule()
    jump_month = 27  # 2023-04
    seasonal_reports(orgs["institution"], months=36, jump=(jump_month, "revenue", 6.0))
    inst = m.Institution.objects.get(owner_org=orgs["institution"])
    found = anomalies(inst, [add_months(FIRST, k) for k in range(12, 36)])
    assert [(w.period, w.evidence["field"]) for w in found] == [
        (add_months(FIRST, jump_month), "revenue")
    ]
    w = found[0]
    last_year = inst.reports.get(period=add_months(FIRST, jump_month - 12))
    assert w.evidence["same_month_last_year"] == float(last_year.revenue)
    assert w.evidence["yoy_pct"] > 400 and w.evidence["usual_yoy_pct"] < 30
    assert w.evidence["z"] >= 4 and w.evidence["yoy_z"] >= 4
    assert str(last_year.revenue) in w.reason and w.evidence["rule"]


def test_a_jump_in_december_and_a_misreported_month_are_still_caught(orgs):
    f.make_warning_rule()
    seasonal_reports(orgs["institution"], jump=(35, "revenue", 5.0))  # 2023-12
    inst = m.Institution.objects.get(owner_org=orgs["institution"])
    other = make_org("另一家新型研发机构", "nri")
    seasonal_reports(other, jump=(30, "rd_spend", 0.02), seed=9)  # 2023-07
    inst2 = m.Institution.objects.get(owner_org=other)
    assert [w.period for w in anomalies(inst, [dt.date(2023, 12, 1)])] == [dt.date(2023, 12, 1)]
    dropped = anomalies(inst2, [dt.date(2023, 7, 1)])
    assert [w.evidence["field"] for w in dropped] == ["rd_spend"]
    assert dropped[0].evidence["yoy_pct"] < -90
