"""Contacts granted by accepted docking cases are decided once per page or export, not per row.

Experts of one university: some linked to a case the enterprise and the provider both accepted
(their phones are shown to the enterprise), some to a case only one side accepted, some to
another enterprise's accepted case, some to none. Every row of the API list, the CSV export and a
list table must be masked exactly as the single-record check (the detail page's) decides, and the
number of queries must not grow with the number of rows.
"""

import copy
import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.base import api_for, client_for
from xiake.brokerage.models import DockingCase
from xiake.catalog.models import Expert
from xiake.core.resources import resource_for
from xiake.core.tables import Table

KINDS = ("granted", "one side accepted", "other enterprise's case", "no case")


def phone(n: int) -> str:
    return f"1390000{n:04d}"


def make_experts(orgs, users, count: int) -> dict:
    """``count`` experts, of the kinds in ``KINDS`` in turn; their ids by kind."""
    manager = users["manager"]
    cases = {
        "granted": DockingCase.objects.get_or_create(
            title="已接受",
            enterprise=orgs["enterprise"],
            manager=manager,
            enterprise_accepted=True,
            provider_accepted=True,
        )[0],
        "one side accepted": DockingCase.objects.get_or_create(
            title="仅企业接受",
            enterprise=orgs["enterprise"],
            manager=manager,
            enterprise_accepted=True,
        )[0],
        "other enterprise's case": DockingCase.objects.get_or_create(
            title="他企业已接受",
            enterprise=orgs["enterprise2"],
            manager=manager,
            enterprise_accepted=True,
            provider_accepted=True,
        )[0],
    }
    ids = {kind: set() for kind in KINDS}
    start = Expert.objects.count()
    for n in range(start, start + count):
        kind = KINDS[n % len(KINDS)]
        expert = f.make_expert(orgs["university"], phone=phone(n))
        if kind in cases:
            cases[kind].experts.add(expert)
        ids[kind].add(expert.pk)
    return ids


def shown(text: str, expert: Expert) -> bool:
    """Does ``text`` hold the expert's phone in full (and not only masked)?"""
    return expert.phone in text


@pytest.mark.django_db
def test_every_row_is_masked_as_its_single_check_decides(orgs, users):
    ids = make_experts(orgs, users, 12)
    enterprise = users["enterprise"]
    experts = list(Expert.objects.filter(pk__in=set().union(*ids.values())))
    single = {e.pk: Expert.policy.contact_visible(enterprise, e) for e in experts}
    assert {pk for pk, visible in single.items() if visible} == ids["granted"]

    rows = api_for(enterprise).get("/api/v1/experts/", {"page_size": 200}).json()["results"]
    by_id = {row["id"]: row for row in rows}
    export = (
        client_for(enterprise)
        .get(reverse("catalog:expert_list"), {"export": "csv"})
        .content.decode("utf-8-sig")
    )
    exported = {line[0]: line for line in csv.reader(io.StringIO(export))}
    resource = copy.copy(resource_for(Expert))
    resource.list_columns = ("name", "phone")  # no list page shows a phone today: a table that does
    table = "".join(Table(resource, Expert.objects.order_by("pk"), enterprise).rows())
    for expert in experts:
        expected = single[expert.pk]
        assert (by_id[expert.pk]["phone"] == expert.phone) is expected, expert.pk
        assert any(shown(",".join(line), expert) for line in exported.values()) is expected
        assert shown(table, expert) is expected, expert.pk
    # the bureau still sees every phone; the other enterprise only those its own case grants
    bureau = api_for(users["bureau"]).get("/api/v1/experts/", {"page_size": 200}).json()
    assert all(row["phone"].startswith("1390000") for row in bureau["results"])
    other = api_for(users["enterprise2"]).get("/api/v1/experts/", {"page_size": 200}).json()
    visible = {row["id"] for row in other["results"] if "*" not in row["phone"]}
    assert visible == ids["other enterprise's case"]


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["api", "export", "table"])
def test_queries_do_not_grow_with_rows(orgs, users, where):
    enterprise = users["enterprise"]
    resource = copy.copy(resource_for(Expert))
    resource.list_columns = ("name", "phone")
    actions = {
        "api": lambda: api_for(enterprise).get("/api/v1/experts/", {"page_size": 200}),
        "export": lambda: client_for(enterprise).get(
            reverse("catalog:expert_list"), {"export": "csv"}
        ),
        "table": lambda: list(Table(resource, Expert.objects.all(), enterprise).rows()),
    }
    make_experts(orgs, users, 5)
    actions[where]()  # warm per-process caches (classifications, sessions)
    few = count_queries(actions[where])
    make_experts(orgs, users, 45)
    assert Expert.objects.count() == 50
    many = count_queries(actions[where])
    assert many == few, (few, many)
