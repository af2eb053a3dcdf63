"""Monthly reports, warnings and the evaluation, exercised from outside (pages and API)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.base import api_for, client_for
from tests.institutions import factories as f
from xiake.institutions import evaluation, monitoring
from xiake.institutions import models as m

pytestmark = pytest.mark.django_db
MONTH = "2024-03"


def form_data(**kwargs):
    return {"action": "save", **{k: str(v) for k, v in f.figures(**kwargs).items()}}


def test_an_institution_submits_a_month_by_form_and_the_bureau_returns_it(orgs, users):
    inst = f.make_institution(orgs["institution"])
    client = client_for(users["institution"])
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    assert client.post(url, form_data()).status_code == 302
    client.post(url, {"action": "submit"})
    report = m.MonthlyReport.objects.get(institution=inst, period=dt.date(2024, 3, 1))
    assert report.status == "pending"
    bureau = client_for(users["bureau"])
    bureau.post(
        f"/institutions/reports/{report.pk}/review/",
        {"action": "return", "comment": "研发投入偏低请核实"},
    )
    report.refresh_from_db()
    assert report.status == "returned"
    assert "研发投入偏低请核实" in client.get(url).content.decode()
    assert client.post(url, form_data(rd_spend=60)).status_code == 302
    report.refresh_from_db()
    assert report.status == "draft" and report.rd_spend == Decimal("60")
    assert "60" in client.get(f"/institutions/reports/{report.pk}/history/").content.decode()


def test_a_wrong_figure_names_the_field_and_the_rule(orgs, users):
    inst = f.make_institution(orgs["institution"])
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    response = client_for(users["institution"]).post(url, form_data(fulltime_rd_staff=99))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "fulltime_rd_staff" in errors and "99" in errors["fulltime_rd_staff"][0]


def test_a_cumulative_figure_may_not_shrink_without_a_correction(orgs, users):
    inst = f.make_institution(orgs["institution"])
    f.make_report(orgs["institution"], period=dt.date(2024, 2, 1), incubated_cum=5)
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    client = client_for(users["institution"])
    response = client.post(url, form_data(incubated_cum=3))
    assert response.status_code == 400 and "incubated_cum" in response.context["form"].errors
    ok = client.post(url, {**form_data(incubated_cum=3), "correction_note": "2月误报两家"})
    assert ok.status_code == 302


def sheet(inst_name, month, **values):
    client_values = {"rd_spend": 40, "staff_total": 30, "fulltime_rd_staff": 12, **values}
    from xiake.institutions.reporting import template_workbook

    wb = load_workbook(io.BytesIO(template_workbook()))
    ws = wb.active
    ws["B2"] = inst_name
    ws["B3"] = month
    labels = {
        str(m.MonthlyReport._meta.get_field(k).verbose_name): v for k, v in client_values.items()
    }
    for row in ws.iter_rows(min_row=4):
        if row[0].value in labels:
            row[1].value = labels[row[0].value]
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "month.xlsx"
    return out


def test_an_institution_uploads_the_month_sheet(orgs, users):
    inst = f.make_institution(orgs["institution"])
    client = client_for(users["institution"])
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.translation.get_language", lambda: "zh-hans")
    response = client.post(url, {"action": "upload", "file": sheet(inst.name, MONTH)})
    assert response.status_code == 302, response.content.decode()[:500]
    report = m.MonthlyReport.objects.get(institution=inst, period=dt.date(2024, 3, 1))
    assert report.rd_spend == Decimal("40") and report.staff_total == 30


def test_an_upload_for_another_institution_or_month_is_refused(orgs, users):
    inst = f.make_institution(orgs["institution"])
    client = client_for(users["institution"])
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    wrong_inst = client.post(url, {"action": "upload", "file": sheet("别的研究院", MONTH)})
    assert wrong_inst.status_code == 400 and "别的研究院" in wrong_inst.content.decode()
    wrong_month = client.post(url, {"action": "upload", "file": sheet(inst.name, "2024-04")})
    assert wrong_month.status_code == 400 and "2024-04" in wrong_month.content.decode()
    assert not m.MonthlyReport.objects.filter(institution=inst).exists()


def test_another_institution_can_neither_see_nor_fill_the_month(orgs, users):
    inst = f.make_institution(orgs["institution"])
    url = f"/institutions/registry/{inst.pk}/months/{MONTH}/"
    outsider = client_for(users["institution2"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, form_data()).status_code == 404
    assert (
        api_for(users["institution2"])
        .get(f"/api/v1/institutions/{inst.pk}/monthly-reports/")
        .status_code
        == 404
    )


def test_a_locked_month_can_no_longer_be_changed(orgs, users):
    inst = f.make_institution(orgs["institution"])
    client_for(users["bureau"]).post("/institutions/months/", {"month": MONTH, "action": "lock"})
    response = client_for(users["institution"]).post(
        f"/institutions/registry/{inst.pk}/months/{MONTH}/", form_data()
    )
    assert response.status_code == 400 and "period" in response.context["form"].errors


def test_the_api_lists_and_creates_own_monthly_reports(orgs, users):
    inst = f.make_institution(orgs["institution"])
    api = api_for(users["institution"])
    url = f"/api/v1/institutions/{inst.pk}/monthly-reports/"
    created = api.post(
        url, {"period": "2024-05-01", **{k: str(v) for k, v in f.figures().items()}}, format="json"
    )
    assert created.status_code == 201, created.json()
    bad = api.post(
        url,
        {"period": "2024-06-01", **{k: str(v) for k, v in f.figures(staff_total=1).items()}},
        format="json",
    )
    assert bad.status_code == 400 and "fulltime_rd_staff" in bad.json()
    assert api.get(url).json()["count"] == 1


def test_warnings_carry_reason_and_evidence(orgs, users):
    f.make_warning_rule()
    inst = f.make_institution(orgs["institution"], established_on=dt.date(2021, 1, 1))
    for i in range(24):
        period = dt.date(2022 + i // 12, i % 12 + 1, 1)
        revenue = 200 if period.year == 2022 else 60
        f.make_report(
            orgs["institution"],
            status="published",
            period=period,
            revenue=revenue,
            technical_income=10,
        )
    monitoring.run_warnings(dt.date(2023, 12, 1), today=dt.date(2024, 2, 1))
    drop = m.EarlyWarning.objects.get(institution=inst, kind="revenue_drop")
    assert "70.0" in drop.reason and drop.evidence["previous"] == "600.00"
    assert m.EarlyWarning.objects.filter(institution=inst, kind="no_new_firm").exists()
    monitoring.run_warnings(dt.date(2024, 1, 1), today=dt.date(2024, 2, 20))
    assert m.EarlyWarning.objects.filter(institution=inst, kind="missing").exists()
    ids = {
        w["id"] for w in api_for(users["institution"]).get("/api/v1/warnings/").json()["results"]
    }
    assert drop.pk in ids
    assert api_for(users["institution2"]).get(f"/api/v1/warnings/{drop.pk}/").status_code == 404


def make_round(orgs, users):
    system = f.make_system(min_months=12)
    f.make_indicator(system=system, code="A1", formula="sum(rd_spend)", weight=40)
    f.make_indicator(
        system=system, code="B1", formula="sum(revenue)", weight=40, dimension="industry"
    )
    scored = f.make_indicator(
        system=system, code="D1", method="scored", formula="", weight=20, dimension="service"
    )
    insts = []
    for key, rd in (("institution", 90), ("institution2", 30)):
        inst = f.make_institution(orgs[key])
        for mth in range(1, 13):
            f.make_report(orgs[key], status="published", period=dt.date(2023, mth, 1), rd_spend=rd)
        insts.append(inst)
    round_ = m.EvaluationRound.objects.create(
        name="2023年度",
        year=2023,
        system=system,
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 1),
    )
    a = m.EvaluatorAssignment.objects.create(
        round=round_, evaluator=users["evaluator"], institution=insts[0]
    )
    return round_, insts, a, scored


def test_an_evaluator_scores_only_assigned_institutions(orgs, users):
    round_, insts, a, scored = make_round(orgs, users)
    other = m.EvaluatorAssignment.objects.create(
        round=round_, evaluator=users["evaluator2"], institution=insts[1]
    )
    ev = client_for(users["evaluator"])
    assert (
        ev.post(
            f"/institutions/evaluation/assignments/{a.pk}/",
            {f"score_{scored.pk}": "8", f"comment_{scored.pk}": "平台开放共享好"},
        ).status_code
        == 302
    )
    assert ev.get(f"/institutions/evaluation/assignments/{other.pk}/").status_code == 404
    assert (
        ev.post(
            f"/institutions/evaluation/assignments/{other.pk}/", {f"score_{scored.pk}": "10"}
        ).status_code
        == 404
    )
    too_high = ev.post(
        f"/institutions/evaluation/assignments/{a.pk}/", {f"score_{scored.pk}": "11"}
    )
    assert too_high.status_code == 400
    assert m.Score.objects.get(assignment=a).value == Decimal("8")


def test_the_bureau_computes_grades_ranks_sensitivity_and_pdfs(orgs, users):
    round_, insts, a, scored = make_round(orgs, users)
    m.Score.objects.create(assignment=a, indicator=scored, value=9)
    bureau = client_for(users["bureau"])
    bureau.post(f"/institutions/evaluation/{round_.pk}/", {"action": "compute"})
    results = {r.institution_id: r for r in m.EvaluationResult.objects.filter(round=round_)}
    assert results[insts[0].pk].rank == 1 and results[insts[1].pk].rank == 2
    assert results[insts[0].pk].details["A1"]["raw"] == 1080.0
    round_.refresh_from_db()
    first = round_.inputs_hash
    evaluation.run(round_)
    round_.refresh_from_db()
    assert round_.inputs_hash == first  # reproducible from the stored inputs
    results = {r.institution_id: r for r in m.EvaluationResult.objects.filter(round=round_)}
    page = bureau.get(f"/institutions/evaluation/{round_.pk}/sensitivity/")
    assert page.status_code == 200 and "A1" in page.content.decode()
    pdf = bureau.get(f"/institutions/evaluation/results/{results[insts[0].pk].pk}.pdf")
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and b"STSong-Light" in pdf.content
    )
    assert bureau.get(f"/institutions/evaluation/{round_.pk}/summary.pdf").content.startswith(
        b"%PDF"
    )
    assert (
        client_for(users["institution"])
        .get(f"/institutions/evaluation/{round_.pk}/sensitivity/")
        .status_code
        == 403
    )
    bureau.post(f"/institutions/evaluation/{round_.pk}/", {"action": "publish"})
    own = api_for(users["institution"]).get("/api/v1/evaluations/").json()["results"]
    assert [r["institution"] for r in own] == [insts[0].pk] and own[0]["rank"] == 1
    assert {
        r["institution"]
        for r in api_for(users["evaluator"]).get("/api/v1/evaluations/").json()["results"]
    } == {insts[0].pk}


def test_changing_weights_after_publication_creates_a_new_version(orgs, users):
    round_, insts, a, scored = make_round(orgs, users)
    evaluation.run(round_)
    evaluation.publish(round_)
    new = evaluation.revise_weights(round_.system, {"A1": 50, "B1": 30}, version="V-next")
    system = m.IndicatorSystem.objects.get(pk=round_.system_id)
    assert new.pk != system.pk and new.indicators.get(code="A1").weight == 50
    assert system.indicators.get(code="A1").weight == 40
    edit = client_for(users["bureau"]).post(
        f"/institutions/indicators/{system.indicators.get(code='A1').pk}/edit/",
        {
            "system": system.pk,
            "dimension": "innovation",
            "code": "A1",
            "name": "x",
            "weight": 60,
            "method": "computed",
            "formula": "sum(rd_spend)",
            "normalisation": "minmax",
            "max_score": 10,
        },
    )
    assert edit.status_code == 400


def test_grades_respect_cut_offs_and_quotas():
    system = m.IndicatorSystem(
        excellent_min=85, good_min=75, pass_min=60, excellent_quota_pct=10, top_quota_pct=30
    )
    totals = {i: 100 - i for i in range(10)}  # all above the excellent line
    grades = evaluation.grades(system, totals)
    assert list(grades.values()).count("excellent") == 1
    assert list(grades.values()).count("good") == 2
