"""Monitoring: filing conditions, late and missing reports, early warnings and tier suggestions.

Every warning carries a reason in words and the evidence (the figures compared and the rule
version), so that the bureau can check it without opening a spreadsheet.
"""

import datetime as dt
import math
import statistics
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from xiake.institutions.reporting import add_months, deadline_of, month_start


def filing_check(inst, rule, on=None):
    """(label, required, actual, met) for each condition of ``rule``; None when unknown."""
    if rule is None:
        return []
    latest = inst.reports.order_by("-period").first()
    rd_share = None
    if latest and latest.staff_total:
        rd_share = Decimal(latest.fulltime_rd_staff * 100 / latest.staff_total).quantize(
            Decimal("0.1")
        )
    invested = rd_equipment = None
    if inst.filed_on or inst.established_on:
        start = inst.filed_on or inst.established_on
        rows = inst.reports.filter(period__gte=month_start(start), period__lt=add_months(start, 36))
        rd = sum((r.rd_spend for r in rows), Decimal(0))
        equipment = max((r.equipment_value for r in rows), default=Decimal(0))
        invested = rd + equipment + (inst.paid_in_capital or 0)
        rd_equipment = rd + equipment
    checks = [
        (
            _("Team shareholding > %(v)s%%") % {"v": rule.min_team_share_pct},
            inst.team_share_pct,
            lambda v: v > rule.min_team_share_pct,
        ),
        (
            _("Cash registered capital ≥ %(v)s (10k yuan)") % {"v": rule.min_registered_capital},
            inst.registered_capital,
            lambda v: v >= rule.min_registered_capital,
        ),
        (
            _("Team shareholders ≥ %(v)s") % {"v": rule.min_team_shareholders},
            inst.team_shareholders,
            lambda v: v >= rule.min_team_shareholders,
        ),
        (
            _("Core scientist share ≤ %(v)s%%") % {"v": rule.max_core_scientist_pct},
            inst.core_scientist_pct,
            lambda v: v <= rule.max_core_scientist_pct,
        ),
        (
            _("Full-time R&D staff ≥ %(v)s%%") % {"v": rule.min_fulltime_rd_pct},
            rd_share,
            lambda v: v >= rule.min_fulltime_rd_pct,
        ),
        (
            _("Investment within 3 years ≥ %(v)s (10k yuan)") % {"v": rule.min_investment_3y},
            invested,
            lambda v: v >= rule.min_investment_3y,
        ),
        (
            _("R&D and equipment within 3 years ≥ %(v)s (10k yuan)")
            % {"v": rule.min_rd_equipment_3y},
            rd_equipment,
            lambda v: v >= rule.min_rd_equipment_3y,
        ),
    ]
    return [
        (label, None, actual, None if actual is None else bool(test(actual)))
        for label, actual, test in checks
    ]


def reporting_status(period: dt.date, rule, today=None):
    """For one month: (submitted on time, late, missing) lists of institutions."""
    from xiake.institutions.models import Institution, MonthlyReport

    today = today or dt.date.today()
    due = deadline_of(period, rule)
    reports = {
        r.institution_id: r
        for r in MonthlyReport.objects.filter(period=period).exclude(status="draft")
    }
    on_time, late, missing = [], [], []
    for inst in Institution.objects.filter(established_on__lte=period).order_by("name"):
        r = reports.get(inst.pk)
        if r is None:
            if today > due:
                missing.append(inst)
        elif r.submitted_at and r.submitted_at.date() > due:
            late.append((inst, r))
        else:
            on_time.append((inst, r))
    return on_time, late, missing, due


def robust_z(values, x):
    """Robust z-score of ``x`` against ``values`` (median and MAD, scaled to σ)."""
    med = statistics.median(values)
    mad = statistics.median([abs(v - med) for v in values])
    if mad == 0:
        return 0.0 if x == med else float("inf")
    return 0.6745 * (x - med) / mad


def _log(value) -> float:
    return math.log1p(max(float(value), 0.0))


def seasonal_jump(by_period: dict, history: list, report, field: str, rule):
    """Evidence that ``report``'s ``field`` is an anomalous jump, or None.

    A month is anomalous when it is far from the institution's usual level (robust z of the value
    against its recent months, as before) **and** its change on the same month last year is far
    from the institution's usual year-on-year change (robust z of log ratios). The second test
    takes the institution's own seasonality out: a December that is always high is usual against
    last December, and a month that returns to normal a year after a one-off jump is usual
    against its recent months. Without the same month last year (or fewer than six earlier
    year-on-year pairs) only the first test applies.
    """
    values = [float(getattr(r, field)) for r in history]
    x = float(getattr(report, field))
    med = statistics.median(values)
    z = robust_z(values, x)
    if abs(z) < float(rule.robust_z) or abs(x - med) <= 1:
        return None
    evidence = {
        "value": x,
        "median": med,
        "z": None if abs(z) == float("inf") else round(z, 2),
    }
    year_ago = by_period.get(add_months(report.period, -12))
    pairs = [
        _log(getattr(r, field)) - _log(getattr(by_period[add_months(r.period, -12)], field))
        for r in history
        if add_months(r.period, -12) in by_period
    ]
    if year_ago is None or len(pairs) < 6:
        return evidence
    change = _log(x) - _log(getattr(year_ago, field))
    yoy_z = robust_z(pairs, change)
    if abs(yoy_z) < float(rule.robust_z) or (yoy_z > 0) != (z > 0):
        return None  # the same month last year explains it: seasonal, not a jump
    usual = statistics.median(pairs)
    return {
        **evidence,
        "same_month_last_year": float(getattr(year_ago, field)),
        "yoy_pct": round(math.expm1(change) * 100, 1),
        "usual_yoy_pct": round(math.expm1(usual) * 100, 1),
        "yoy_z": None if abs(yoy_z) == float("inf") else round(yoy_z, 2),
    }


def detect(inst, reports, rule, period, today=None):
    """Warnings for ``inst`` in month ``period`` given its reports (ordered by period)."""
    today = today or dt.date.today()
    found = []
    by_period = {r.period: r for r in reports}
    due = deadline_of(period, rule)
    report = by_period.get(period)
    months = inst.months_operating(period)

    def warn(kind, severity, reason, **evidence):
        found.append(
            dict(
                kind=kind,
                severity=severity,
                reason=reason[:300],
                period=period,
                key=f"{kind}:{period:%Y-%m}",
                evidence={"rule": rule.version, **evidence},
            )
        )

    if inst.established_on and inst.established_on <= period:
        if report is None or report.status == "draft":
            if today > due:
                warn(
                    "missing",
                    "high",
                    _("No report for %(m)s; it was due on %(d)s.")
                    % {"m": f"{period:%Y-%m}", "d": due},
                    due=str(due),
                )
        elif report.submitted_at and report.submitted_at.date() > due:
            days = (report.submitted_at.date() - due).days
            warn(
                "late",
                "low",
                _("The report for %(m)s came %(n)d days after the deadline %(d)s.")
                % {"m": f"{period:%Y-%m}", "n": days, "d": due},
                due=str(due),
                submitted=str(report.submitted_at.date()),
                days_late=days,
            )
    window = rule.decline_window
    recent = [by_period.get(add_months(period, -i)) for i in range(window)]
    earlier = [by_period.get(add_months(period, -12 - i)) for i in range(window)]
    if all(recent) and all(earlier):
        for field, kind, label in (
            ("revenue", "revenue_drop", _("Revenue")),
            ("rd_spend", "rd_drop", _("R&D spend")),
        ):
            now = sum(getattr(r, field) for r in recent)
            before = sum(getattr(r, field) for r in earlier)
            if before > 0:
                change = (now - before) / before * 100
                if change <= -rule.decline_share:
                    warn(
                        kind,
                        "high" if change <= -2 * rule.decline_share else "medium",
                        _(
                            "%(f)s of the last %(n)d months fell %(p)s%% year on year "
                            "(%(a)s → %(b)s, threshold %(t)s%%)."
                        )
                        % {
                            "f": label,
                            "n": window,
                            "p": f"{-change:.1f}",
                            "a": before,
                            "b": now,
                            "t": rule.decline_share,
                        },
                        field=field,
                        previous=str(before),
                        current=str(now),
                        change_pct=f"{change:.1f}",
                    )
    n = rule.no_new_firm_months
    last_n = [by_period.get(add_months(period, -i)) for i in range(n)]
    if months >= n and all(last_n) and sum(r.incubated_new for r in last_n) == 0:
        warn(
            "no_new_firm",
            "medium",
            _("No new incubated firm in the last %(n)d months.") % {"n": n},
            months=n,
            incubated_cum=last_n[0].incubated_cum,
        )
    if inst.committed_incubated_3y and 12 <= months <= 36 and report:
        expected = inst.committed_incubated_3y * months / 36
        actual = report.incubated_cum
        if actual < expected * float(rule.commitment_min_pct) / 100:
            warn(
                "commitment",
                "medium",
                _(
                    "%(a)d incubated firms after %(m)d months against %(c)d committed in 3 years "
                    "(pro-rata %(e)s)."
                )
                % {
                    "a": actual,
                    "m": months,
                    "c": inst.committed_incubated_3y,
                    "e": f"{expected:.0f}",
                },
                committed=inst.committed_incubated_3y,
                actual=actual,
                pro_rata=round(expected, 1),
            )
    if report:
        history = [by_period[p] for p in sorted(by_period) if p < period][-24:]
        if len(history) >= rule.min_history:
            for field in ("revenue", "rd_spend", "technical_income"):
                jump = seasonal_jump(by_period, history, report, field, rule)
                if jump is None:
                    continue
                x, med = jump["value"], jump["median"]
                label = str(report._meta.get_field(field).verbose_name)
                z = "∞" if jump["z"] is None else f"{jump['z']:.1f}"
                if "same_month_last_year" in jump:
                    reason = _(
                        "%(f)s of %(v)s is far from this institution's usual %(m)s and from "
                        "the same month last year (%(y)s: %(c)s%% year on year against a usual "
                        "%(u)s%%; robust z = %(z)s, threshold %(t)s)."
                    ) % {
                        "f": label,
                        "v": x,
                        "m": round(med, 2),
                        "y": jump["same_month_last_year"],
                        "c": f"{jump['yoy_pct']:+.0f}",
                        "u": f"{jump['usual_yoy_pct']:+.0f}",
                        "z": z,
                        "t": rule.robust_z,
                    }
                else:
                    reason = _(
                        "%(f)s of %(v)s is far from this institution's usual %(m)s "
                        "(robust z = %(z)s, threshold %(t)s)."
                    ) % {"f": label, "v": x, "m": round(med, 2), "z": z, "t": rule.robust_z}
                warn("anomaly", "medium", reason, field=field, **jump)
                found[-1]["key"] = f"anomaly:{field}:{period:%Y-%m}"
    return found


def run_warnings(period: dt.date, today=None, institutions=None) -> int:
    """Detect and store warnings for one month; existing warnings keep their handling state."""
    return run_warnings_for([period], today, institutions)


def run_warnings_for(periods, today=None, institutions=None) -> int:
    """Detect and store warnings for several months, reading the reports once."""
    from xiake.institutions.models import EarlyWarning, Institution, MonthlyReport, WarningRule

    rules = {p: WarningRule.in_force(p) for p in periods}
    periods = sorted(p for p, rule in rules.items() if rule is not None)
    if not periods:
        return 0
    insts = list(institutions or Institution.objects.all())
    reports = defaultdict(list)
    for r in MonthlyReport.objects.filter(
        institution__in=insts, period__gte=add_months(periods[0], -36), period__lte=periods[-1]
    ).order_by("period"):
        reports[r.institution_id].append(r)
    existing = set(
        EarlyWarning.objects.filter(institution__in=insts).values_list("institution_id", "key")
    )
    new = []
    for period in periods:
        low = add_months(period, -36)
        for inst in insts:
            rows = [r for r in reports[inst.pk] if low <= r.period <= period]
            for w in detect(inst, rows, rules[period], period, today):
                if (inst.pk, w["key"]) not in existing:
                    existing.add((inst.pk, w["key"]))
                    new.append(EarlyWarning(institution=inst, rule=rules[period], **w))
    with transaction.atomic():
        EarlyWarning.objects.bulk_create(new, batch_size=500)
    return len(new)


def suggest_tier(inst, on=None):
    """The best tier of the rule set in force whose thresholds are all met, with the evidence."""
    from xiake.institutions.models import Tier

    on = on or dt.date.today()
    current = Tier.in_force(on)
    if current is None:
        return None, {}
    tiers = Tier.objects.filter(rule_set=current.rule_set).order_by("-rank")
    end = month_start(on)
    rows = list(inst.reports.filter(period__gt=add_months(end, -12), period__lte=end))
    latest = max(rows, key=lambda r: r.period, default=None)
    evidence = {
        "months": inst.months_operating(on),
        "revenue_12m": str(sum((r.revenue for r in rows), Decimal(0))),
        "rd_spend_12m": str(sum((r.rd_spend for r in rows), Decimal(0))),
        "incubated": latest.incubated_cum if latest else 0,
        "patents_12m": sum(r.patent_applications for r in rows),
    }
    for tier in tiers:
        if (
            evidence["months"] >= tier.min_months
            and Decimal(evidence["revenue_12m"]) >= (tier.min_revenue_12m or 0)
            and Decimal(evidence["rd_spend_12m"]) >= (tier.min_rd_spend_12m or 0)
            and evidence["incubated"] >= tier.min_incubated
            and evidence["patents_12m"] >= tier.min_patents_12m
        ):
            return tier, {**evidence, "rule_set": tier.rule_set}
    return None, evidence
