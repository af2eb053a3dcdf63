"""The bureau's district overview, the per-institution dashboard, and evaluation internals."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.base import client_for
from tests.factories import make_org
from tests.institutions import factories as f
from xiake.core.models import ChangeRecord
from xiake.institutions import evaluation, parkmap
from xiake.institutions import models as m

pytestmark = pytest.mark.django_db


def two_institutions(orgs):
    a = f.make_institution(orgs["institution"], park="仙林大学城")
    b = f.make_institution(orgs["institution2"], park="紫东核心区", filing_status="city")
    for month in range(1, 13):
        f.make_report(orgs["institution"], "published", dt.date(2023, month, 1), revenue=100)
        f.make_report(orgs["institution2"], "published", dt.date(2023, month, 1), revenue=300)
    return a, b


def test_the_overview_ranks_by_revenue_and_counts_open_warnings(orgs, users):
    a, b = two_institutions(orgs)
    m.EarlyWarning.objects.create(
        institution=a, kind="late", period=dt.date(2023, 5, 1), key="late:2023-05", reason="迟报"
    )
    response = client_for(users["bureau"]).get("/institutions/overview/?year=2023")
    assert response.status_code == 200
    table = response.context["table"]
    assert [r["institution"] for r in table] == [b, a]
    assert table[0]["revenue"] == Decimal("3600") and table[0]["months"] == 12
    assert {p["name"] for p in response.context["parks"]} == {"仙林大学城", "紫东核心区"}
    page = response.content.decode()
    assert str(m.EarlyWarning.Kind.LATE.label) in page
    assert client_for(users["institution"]).get("/institutions/overview/").status_code == 403


def test_the_overview_maps_parks_with_coordinates_and_lists_every_park_in_a_table(orgs, users):
    a, b = two_institutions(orgs)
    f.make_institution(make_org("第三家新型研发机构", "nri"), park="紫东核心区")
    m.Park.objects.create(
        name="仙林大学城", latitude=Decimal("32.108"), longitude=Decimal("118.925")
    )
    m.Park.objects.create(
        name="马群科技园", latitude=Decimal("32.052"), longitude=Decimal("118.884")
    )
    response = client_for(users["bureau"]).get("/institutions/overview/?year=2023")
    parks = {p["name"]: p for p in response.context["parks"]}
    assert parks["紫东核心区"]["institutions"] == 2 and parks["紫东核心区"]["lat"] is None
    assert parks["仙林大学城"]["revenue"] == Decimal("1200") and "马群科技园" not in parks
    option = response.context["park_map"]
    points = [p for s in option["series"][1:] for p in s["data"]]
    assert [(p["name"], p["value"]) for p in points] == [
        ("仙林大学城", [118.925, 32.108, 1, 1200.0])
    ]
    assert option["series"][2]["type"] == "effectScatter"
    page = response.content.decode()
    assert 'data-testid="park-map"' in page and 'data-testid="parks"' in page
    table = page.split('data-testid="parks"')[1].split("</table>")[0]
    assert "紫东核心区" in table and "32.10800, 118.92500" in table


def test_the_district_outline_encloses_every_park():
    points = [(118.80, 32.11), (118.93, 32.20), (119.05, 32.17), (118.88, 32.05), (118.9, 32.1)]
    ring = parkmap.district_outline(points, pad=0.02)
    assert ring[0] == ring[-1] and len(ring) == 5  # the inner park is not a corner
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    for x, y in points:
        assert min(xs) < x < max(xs) and min(ys) < y < max(ys)
    assert parkmap.district_outline([]) == []
    assert len(parkmap.district_outline([(118.9, 32.1)])) >= 3


def test_the_dashboard_shows_own_trends_and_filing_check_only_to_its_readers(orgs, users):
    a, b = two_institutions(orgs)
    f.make_filing_rule()
    url = f"/institutions/registry/{a.pk}/dashboard/"
    response = client_for(users["institution"]).get(url)
    assert response.status_code == 200
    assert len(response.context["trend"]["xAxis"]["data"]) == 12
    assert response.context["yoy"]["series"][0]["data"] == [1200.0]
    assert any(met is True for *_, met in response.context["checks"])
    assert client_for(users["bureau"]).get(url).status_code == 200
    assert client_for(users["institution2"]).get(url).status_code == 404
    assert client_for(users["evaluator"]).get(url).status_code == 404


def test_percentile_normalisation_handles_ties():
    values = {1: 0.0, 2: 5.0, 3: 5.0, 4: 9.0}
    assert evaluation.normalise("percentile", values) == {
        1: 0.0,
        2: 50.0,
        3: 50.0,
        4: 100.0,
    }


def test_recomputing_a_round_replaces_results_without_a_change_record_per_row(orgs, users):
    from tests.institutions.test_workflows import make_round

    round_, insts, a, scored = make_round(orgs, users)
    evaluation.run(round_)
    before = ChangeRecord.objects.filter(content_type__model="evaluationresult").count()
    evaluation.run(round_)
    assert m.EvaluationResult.objects.filter(round=round_).count() == 2
    assert ChangeRecord.objects.filter(content_type__model="evaluationresult").count() == before


def test_a_result_is_also_a_docx_report_for_its_readers_only(orgs, users):
    import io

    from docx import Document

    from tests.institutions.test_workflows import make_round

    round_, insts, a, scored = make_round(orgs, users)
    evaluation.run(round_)
    evaluation.publish(round_)
    result = m.EvaluationResult.objects.get(round=round_, institution=insts[0])
    url = f"/institutions/evaluation/results/{result.pk}.docx"
    response = client_for(users["institution"]).get(url)
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert insts[0].name in text and round_.inputs_hash[:16] in text
    assert client_for(users["institution2"]).get(url).status_code == 404
