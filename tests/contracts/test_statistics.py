"""Statistics over the demo contracts: the page and the XLSX reproduce the demo totals exactly."""

import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from tests.base import client_for
from xiake.contracts import demo
from xiake.contracts.models import REGISTERED_STATES, TechContract
from xiake.demo.extensions import DemoContext


@pytest.fixture
def demo_data(orgs, users):
    orgs["enterprise2"].is_local = True
    orgs["enterprise2"].save()
    world = SimpleNamespace(
        universities=[orgs["university"], orgs["university2"]],
        nris=[orgs["institution"]],
        enterprises=[orgs["enterprise"], orgs["enterprise2"]],
    )
    context = DemoContext(
        seed=7,
        world=world,
        users={
            "university": users["university"],
            "bureau": users["bureau"],
            "enterprise": users["enterprise"],
        },
    )
    return demo.generate(context)


def _page_totals(response):
    total = response.context["total"]
    return total.count, total.total, total.tech


@pytest.mark.django_db
def test_demo_has_every_state_and_the_page_reproduces_its_totals(demo_data, users):
    states = set(TechContract.objects.values_list("status", flat=True))
    assert states == {s for s, _ in demo.PLAN}
    registered = list(TechContract.objects.filter(status__in=REGISTERED_STATES))
    python_total = sum((c.total_amount for c in registered), Decimal(0))
    python_tech = sum((c.total_amount - c.non_technical_amount for c in registered), Decimal(0))
    assert demo_data["registered 成交额 (yuan)"] == python_total
    assert demo_data["registered 技术交易额 (yuan)"] == python_tech

    response = client_for(users["bureau"]).get("/contracts/statistics/")
    assert response.status_code == 200
    assert _page_totals(response) == (len(registered), python_total, python_tech)
    html = response.content.decode()
    assert f">{python_total}<" in html and f">{python_tech}<" in html
    # every breakdown adds up to the same totals
    for heading, rows in response.context["sections"][:-1]:
        assert sum(r.count for r in rows) == len(registered), heading
        assert sum((r.total for r in rows), Decimal(0)) == python_total, heading
        assert sum((r.tech for r in rows), Decimal(0)) == python_tech, heading
    channel = dict((r.key, r.count) for r in response.context["sections"][-1][1])
    online = TechContract.objects.filter(signed_online=True).exclude(status="draft").count()
    assert online in channel.values()

    quarter = client_for(users["bureau"]).get("/contracts/statistics/", {"period": "quarter"})
    rows = quarter.context["sections"][0][1]
    assert sum((r.total for r in rows), Decimal(0)) == python_total


@pytest.mark.django_db
def test_xlsx_export_holds_the_same_figures(demo_data, users):
    r = client_for(users["bureau"]).get("/contracts/statistics/", {"export": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    year_rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] is None or row[1] == "合同数":
            break
        year_rows.append(row)
    total = sum((Decimal(str(row[2])) for row in year_rows), Decimal(0))
    assert total == demo_data["registered 成交额 (yuan)"]


@pytest.mark.django_db
def test_a_party_counts_only_its_own_contracts(demo_data, users, orgs):
    response = client_for(users["university2"]).get("/contracts/statistics/")
    mine = TechContract.objects.filter(status__in=REGISTERED_STATES).filter(
        owner_org=orgs["university2"]
    ) | TechContract.objects.filter(status__in=REGISTERED_STATES, buyer_org=orgs["university2"])
    assert response.context["total"].count == mine.count() > 0
    assert client_for(users["public"]).get("/contracts/statistics/").context["total"].count == 0
    assert client_for().get("/contracts/statistics/").status_code == 302
    assert (
        client_for(users["bureau"]).get("/contracts/statistics/", {"scope": "x"}).status_code == 400
    )


@pytest.mark.django_db
def test_demo_flush_removes_its_contracts(demo_data, orgs):
    for o in orgs.values():
        o.is_demo = True
        o.save()
    assert demo.flush()["technology contracts"] == demo_data["technology contracts"]
    assert not TechContract.objects.exists()
