"""Conversion funnel (published demand → matched → case → signed contract) by period with XLSX;
per-university contract statistics that add up to the totals."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.base import client_for
from tests.brokerage.test_cases import make_case
from tests.contracts import factories as cf
from tests.factories import make_demand
from xiake.brokerage.models import MatchOffer
from xiake.catalog.models import Demand
from xiake.contracts.models import TechContract


def published(org, when, **kw):
    d = make_demand(org, **kw)
    Demand.objects.filter(pk=d.pk).update(reviewed_at=when)
    return d


@pytest.mark.django_db
class TestFunnel:
    def test_stages_by_period_and_export(self, orgs, users):
        q1 = timezone.make_aware(dt.datetime(2026, 2, 10, 10))
        q2 = timezone.make_aware(dt.datetime(2026, 5, 10, 10))
        d1 = published(orgs["enterprise"], q1)  # → matched → case → signed
        d2 = published(orgs["enterprise"], q1)  # → matched → case (no contract)
        published(orgs["enterprise2"], q2)  # published only
        make_demand(orgs["enterprise"], status="draft")  # not in the funnel
        from tests.factories import make_achievement

        a = make_achievement(orgs["university"])
        for d in (d1, d2):
            MatchOffer.objects.create(demand=d, kind="achievement", achievement=a, rank=1, score=1)
        c1 = make_case(orgs["enterprise"], demand=d1)
        make_case(orgs["enterprise"], demand=d2, title="第二个对接")
        contract = cf.make_contract(
            orgs["university"], orgs["enterprise"], signed_on=dt.date(2026, 6, 1)
        )
        # submitted: the bureau sees contracts from submission on (drafts are the parties')
        TechContract.objects.filter(pk=contract.pk).update(docking_case=c1, status="submitted")
        cf.make_contract(orgs["university"], orgs["enterprise"])  # unsigned, unlinked

        r = client_for(users["bureau"]).get("/cases/funnel/", {"period": "quarter"})
        assert r.status_code == 200
        rows = {label: s for label, s in r.context["rows"]}
        assert set(rows) == {"2026 Q1", "2026 Q2"}
        q = rows["2026 Q1"]
        assert (q.published, q.matched, q.cases, q.signed) == (2, 2, 2, 1)
        assert q.signed_amount == Decimal("300000.00") and q.rates["signed"] == "50.0%"
        total = r.context["total"]
        assert (total.published, total.matched, total.cases, total.signed) == (3, 2, 2, 1)
        x = client_for(users["bureau"]).get("/cases/funnel/", {"export": "xlsx"})
        ws = load_workbook(io.BytesIO(x.content)).active
        values = list(ws.iter_rows(values_only=True))
        assert values[1][:5] == ("2026", 3, 2, 2, 1) and values[-1][1:5] == (3, 2, 2, 1)
        assert client_for(users["bureau"]).get("/cases/funnel/", {"period": "x"}).status_code == 400
        # an enterprise sees the funnel of what it may see: not the other enterprise's case
        mine = client_for(users["enterprise2"]).get("/cases/funnel/").context["total"]
        assert mine.cases == 0


@pytest.mark.django_db
def test_per_university_rows_add_up_to_the_total(orgs, users):
    from xiake.contracts import stats

    for org, total in (
        (orgs["university"], "100.00"),
        (orgs["university"], "50.50"),
        (orgs["university2"], "300.00"),
        (orgs["institution"], "7.25"),
    ):
        cf.make_contract(
            org, orgs["enterprise"], total_amount=Decimal(total), non_technical_amount=0
        )
    rows = stats.grouped(TechContract.objects.all(), "university")
    assert [(r.key, r.count, r.total) for r in rows[:2]] == [
        ("另一所大学", 1, Decimal("300.00")),
        ("测试大学", 2, Decimal("150.50")),
    ]
    assert (rows[2].count, rows[2].total) == (1, Decimal("7.25"))  # every other seller
    assert sum(r.total for r in rows) == Decimal("457.75")
