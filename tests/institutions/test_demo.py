"""The institutions part of `xiake demo` (small scale for the other libraries).

The data is generated once for the module inside a transaction rolled back at the end. Only this
app's demo step runs: the other apps' steps are tested by their own tests.
"""

import io
import statistics
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from openpyxl import load_workbook

from tests.base import client_for
from xiake.accounts.models import User
from xiake.core.models import ChangeRecord
from xiake.demo import extensions
from xiake.institutions import models as m
from xiake.institutions.reporting import add_months, month_start, validate_report

SMALL = ["--achievements", "200", "--experts", "40", "--demands", "20", "--platforms", "10"]
SMALL += ["--staff", "30", "--enterprises", "30"]


def run_demo(*extra):
    steps = dict(extensions._steps)
    extensions._steps.clear()
    extensions._steps["institutions"] = steps["institutions"]
    try:
        call_command("demo", *SMALL, *extra, stdout=io.StringIO())
    finally:
        extensions._steps.clear()
        extensions._steps.update(steps)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        run_demo()
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
LAST = add_months(month_start(TODAY), -1)
FIRST = add_months(LAST, -35)


def test_the_registry_has_the_seed_scale(demo):
    insts = m.Institution.objects.filter(is_demo=True)
    assert insts.count() == 53
    assert insts.filter(co_built_local=True).count() == 11
    filed = insts.exclude(filing_status="none")
    assert filed.count() == 35
    assert not filed.filter(filed_on__isnull=True).exists()
    assert not insts.filter(filing_status="city", city_on__isnull=True).exists()
    assert not insts.filter(filing_status="district", district_on__isnull=True).exists()
    assert set(insts.values_list("filing_status", flat=True)) == {
        "none",
        "cultivating",
        "district",
        "city",
    }
    for inst in insts:  # 四位一体: team, transfer platform, project companies, (mostly) a fund
        assert inst.leader_name and inst.research_team and inst.transfer_company
        assert inst.team.filter(role="leader", name=inst.leader_name).exists()
        assert inst.team.filter(share_pct__isnull=False).count() == inst.team_shareholders
    assert insts.exclude(fund_name="").count() >= 25
    assert m.ProjectCompany.objects.filter(institution__is_demo=True).count() > 500
    assert len(set(insts.values_list("park", flat=True))) >= 5
    # Bulk-created: no change record per row.
    assert not ChangeRecord.objects.filter(content_type__app_label="institutions").exists()


def test_reports_cover_36_months_ending_last_month_with_growth_and_seasonality(demo):
    reports = m.MonthlyReport.objects.filter(institution__is_demo=True)
    periods = reports.values_list("period", flat=True)
    assert max(periods) == LAST and min(periods) == FIRST
    old = m.Institution.objects.filter(is_demo=True, established_on__lt=FIRST)
    per_inst = Counter(reports.filter(institution__in=old).values_list("institution_id", flat=True))
    assert all(33 <= n <= 36 for n in per_inst.values()) and len(per_inst) == old.count()
    assert sum(36 - n for n in per_inst.values()) >= 2  # a few months never reported

    year = LAST.year - 1 if LAST.month < 12 else LAST.year

    def ratio(a, b):  # the median institution's revenue in month a over month b of ``year``
        rev = {
            (r.institution_id, r.period.month): r.revenue for r in reports.filter(period__year=year)
        }
        return statistics.median(
            rev[i, a] / rev[i, b] for i, mth in rev if mth == a and (i, b) in rev and rev[i, b]
        )

    assert ratio(2, 1) < Decimal("0.95") and ratio(2, 3) < Decimal("0.85")  # New Year dip
    assert ratio(12, 11) > Decimal("1.1")  # year-end spike
    first_year = reports.filter(period__lt=add_months(FIRST, 12)).aggregate(s=Sum("revenue"))
    last_year = reports.filter(period__gt=add_months(LAST, -12)).aggregate(s=Sum("revenue"))
    assert last_year["s"] > Decimal("1.15") * first_year["s"]
    late = [
        r
        for r in reports.exclude(submitted_at__isnull=True).select_related("institution")
        if r.submitted_at.date() > add_months(r.period, 1).replace(day=10)
    ]
    assert len(late) >= 10


def test_every_demo_report_passes_the_products_validation(demo):
    m.PeriodLock.objects.all().delete()  # locks are what the bureau did afterwards
    failures = []
    for report in m.MonthlyReport.objects.filter(institution__is_demo=True).order_by("period"):
        try:
            validate_report(report)
        except ValidationError as exc:
            failures.append((str(report), exc.message_dict))
    assert not failures, failures[:5]


def test_warnings_catch_the_planted_problems_with_evidence(demo):
    warnings = m.EarlyWarning.objects.filter(institution__is_demo=True)
    kinds = Counter(warnings.values_list("kind", flat=True))
    for kind in ("late", "revenue_drop", "rd_drop", "no_new_firm", "anomaly", "commitment"):
        assert kinds[kind] >= 1, kinds
    jumps = [w for w in warnings.filter(kind="anomaly") if abs(w.evidence.get("z") or 99) >= 10]
    assert len(jumps) >= 3  # the one-off contracts and the misreported month
    assert all(w.reason and w.evidence.get("rule") for w in warnings)
    statuses = Counter(warnings.values_list("status", flat=True))
    assert statuses["open"] and statuses["resolved"] and statuses["acknowledged"]


def test_tiers_are_suggested_and_confirmed(demo):
    assignments = m.TierAssignment.objects.filter(institution__is_demo=True)
    assert assignments.count() >= 45
    assert not assignments.filter(confirmed__isnull=True).exists()
    assert m.Institution.objects.filter(is_demo=True, tier__isnull=False).count() >= 45
    assert len(set(assignments.values_list("confirmed__rank", flat=True))) == 3


def test_one_finished_and_one_open_evaluation_round(demo):
    finished = m.EvaluationRound.objects.get(is_demo=True, year=TODAY.year - 1)
    assert finished.status == "published" and finished.system.is_frozen and finished.inputs_hash
    results = finished.results.all()
    grades = Counter(results.values_list("grade", flat=True))
    eligible = results.filter(eligible=True).count()
    assert grades["excellent"] >= 1 and grades["ineligible"] >= 1
    assert grades["excellent"] + grades["good"] <= 0.3 * eligible
    assert sorted(results.filter(eligible=True).values_list("rank", flat=True))[0] == 1
    scored = finished.system.indicators.filter(method="scored").count()
    assert m.Score.objects.filter(assignment__round=finished).count() == eligible * scored
    open_round = m.EvaluationRound.objects.get(is_demo=True, year=TODAY.year)
    assert open_round.status == "open" and open_round.system != finished.system
    evaluator = User.objects.get(username="evaluator")
    assigned = m.EvaluatorAssignment.objects.filter(round=open_round, evaluator=evaluator)
    done = assigned.filter(scores__isnull=False).distinct().count()
    assert 0 < done < assigned.count()


def test_the_demo_institution_can_walk_through_its_months(demo):
    user = User.objects.get(username="institution")
    inst = m.Institution.objects.get(owner_org=user.organization)
    draft = inst.reports.get(period=LAST)
    returned = inst.reports.get(period=add_months(LAST, -1))
    assert draft.status == "draft" and returned.status == "returned"
    client = client_for(user)
    url = f"/institutions/registry/{inst.pk}/months/{add_months(LAST, -1):%Y-%m}/"
    assert returned.review_comment in client.get(url).content.decode()
    # Upload last month's sheet (the draft's figures), then submit.
    month = f"{LAST:%Y-%m}"
    sheet = client.get(f"/institutions/registry/{inst.pk}/months/{month}/template/")
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb.active
    labels = {str(m.MonthlyReport._meta.get_field(f).verbose_name): f for f in draft.FIGURES}
    for row in ws.iter_rows(min_row=3):
        if row[0].value in labels:
            row[1].value = float(getattr(draft, labels[row[0].value]))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "month.xlsx"
    url = f"/institutions/registry/{inst.pk}/months/{month}/"
    response = client.post(url, {"action": "upload", "file": out})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(url, {"action": "submit"})
    draft.refresh_from_db()
    assert draft.status == "pending"


def test_flush_deletes_the_demo_rows_and_the_same_seed_gives_the_same_data(demo):
    before = sorted(
        m.MonthlyReport.objects.filter(institution__is_demo=True).values_list(
            "institution__name", "period", "revenue", "status"
        )
    )
    from xiake.demo.generate import flush

    flush()
    for model in (m.Institution, m.EvaluationRound, m.PeriodLock, m.IndicatorSystem, m.Tier):
        assert not model.objects.filter(is_demo=True).exists(), model
    assert not m.MonthlyReport.objects.exists() and not m.EarlyWarning.objects.exists()
    assert not m.Score.objects.exists() and not m.ProjectCompany.objects.exists()
    assert not m.WarningRule.objects.exists() and not m.FilingRule.objects.exists()
    run_demo()
    after = sorted(
        m.MonthlyReport.objects.filter(institution__is_demo=True).values_list(
            "institution__name", "period", "revenue", "status"
        )
    )
    assert after == before
