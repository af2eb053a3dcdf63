"""The statistics page reads running totals (ContractRollup); they must equal a recomputation from
the contracts after every kind of change: create, edit, workflow moves, delete, bulk writes."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.base import client_for
from tests.contracts.factories import make_contract, make_ready
from tests.factories import term
from xiake.contracts import rollup, stats, workflow
from xiake.contracts.models import ContractRollup, TechContract

D = dt.date


def _as_tuples(report):
    total, sections = report
    return (
        (total.key, total.count, total.total, total.tech),
        [
            (str(heading), sorted((r.key, r.count, r.total, r.tech) for r in rows))
            for heading, rows in sections
        ],
    )


def assert_rollup_matches(user):
    """Cells == recomputation, and every page variant from the cells == grouped directly."""
    assert rollup.stored() == rollup.recompute()
    for scope in stats.SCOPES:
        for period in ("year", "quarter", "month"):
            fast = stats.report(user, scope, period, use_rollup=True)
            slow = stats.report(user, scope, period, use_rollup=False)
            assert _as_tuples(fast) == _as_tuples(slow), (scope, period)


@pytest.fixture
def varied(orgs, users):
    """Contracts in several states, categories, fields, party types, buyers and periods."""
    orgs["enterprise2"].is_local = True
    orgs["enterprise2"].save()
    cats = ("development", "transfer", "service")
    fields = ("manufacturing", "materials", None)
    parties = ("022", "021", None)
    sellers = (orgs["university"], orgs["university2"], orgs["institution"])
    buyers = (orgs["enterprise"], orgs["enterprise2"], None)
    states = (
        "registered",
        "submitted",
        "draft",
        "amended",
        "returned",
        "reviewing",
        "refused",
        "cancelled",
        "expert_review",
        "draft",
        "registered",
        "accepted",
    )
    made = []
    for i in range(12):
        c = make_ready(
            sellers[i % 3],
            buyers[(i // 3) % 3],
            category=term("contract_type", cats[i % 3]),
            subcategory=None,
            technical_field=term("contract_field", fields[i % 3]) if fields[i % 3] else None,
            seller_party_type=term("party_type", parties[i % 3]) if parties[i % 3] else None,
            signed_on=None if i == 11 else D(2024 + i % 3, 1 + (i * 5) % 12, 10),
            signed_online=i % 2 == 0,
            total_amount=Decimal("100000.00") * (i + 1) + Decimal("0.07"),
            non_technical_amount=Decimal("1234.56") * (i % 4),
            status=states[i],
        )
        made.append(c)
    return made


@pytest.mark.django_db
def test_the_cells_follow_saves_workflow_moves_and_deletes(varied, users):
    bureau, seller = users["bureau"], users["university"]
    assert_rollup_matches(bureau)
    org = seller.organization
    # workflow moves: submit → accept → review → register / refuse, and a return
    first = make_ready(org, varied[0].buyer_org, signed_online=True)
    second = make_ready(org, varied[1].buyer_org, signed_on=D(2025, 10, 9))
    returned = make_ready(org, varied[4].buyer_org)
    for action, who in (("submit", seller), ("accept", bureau), ("review", bureau)):
        workflow.transition(first, action, who, "ok")
        workflow.transition(second, action, who, "ok")
    workflow.transition(first, "register", bureau, "符合条件")
    workflow.transition(second, "refuse", bureau, "不属于技术合同")
    workflow.transition(returned, "submit", seller, "")
    workflow.transition(returned, "return", bureau, "请补充扫描件")
    assert {first.status, second.status, returned.status} == {"registered", "refused", "returned"}
    assert_rollup_matches(bureau)
    # an edit of the amounts, the category and the signing date (while returned)
    third = returned
    stale = TechContract.objects.get(pk=third.pk)  # loaded before the next edit
    third.total_amount = Decimal("999999.99")
    third.category = term("contract_type", "consulting")
    third.signed_on = D(2023, 12, 31)
    third.save()
    # a stale instance saved again does not count twice: the stored row is read first
    stale.total_amount = Decimal("60000.00")
    stale.save()
    stale.save()
    assert_rollup_matches(bureau)
    # a partial save counts what was stored, not the instance's other unsaved changes
    stale.category = term("contract_type", "training")
    stale.total_amount = Decimal("70000.00")
    stale.save(update_fields=["category"])
    assert_rollup_matches(bureau)
    # deletes, one instance and a queryset
    first.delete()
    TechContract.objects.filter(owner_org=varied[1].owner_org).delete()
    assert_rollup_matches(bureau)


@pytest.mark.django_db
def test_a_registered_contract_counts_on_the_page_at_once(orgs, users):
    bureau, seller = users["bureau"], users["university"]
    c = make_ready(orgs["university"], orgs["enterprise"], total_amount=Decimal("420000.10"))
    before = stats.report(bureau, "registered", "year")[0]
    for action, who in (("submit", seller), ("accept", bureau), ("review", bureau)):
        workflow.transition(c, action, who, "ok")
    workflow.transition(c, "register", bureau, "符合条件")
    page = client_for(bureau).get("/contracts/statistics/")
    assert page.context["total"].count == before.count + 1
    assert page.context["total"].total == before.total + Decimal("420000.10")


@pytest.mark.django_db
def test_bulk_writes_are_counted_by_add_and_rebuild(orgs, users):
    contracts = [
        TechContract(
            title=f"批量合同{i}",
            owner_org=orgs["university"],
            buyer_org=orgs["enterprise"],
            category=term("contract_type", "service"),
            total_amount=Decimal("1000.01") * (i + 1),
            tech_amount=Decimal("1000.01") * (i + 1),
            status="registered",
            signed_on=D(2025, 3, 1),
        )
        for i in range(5)
    ]
    TechContract.objects.bulk_create(contracts)
    assert rollup.stored() != rollup.recompute()  # bulk_create calls no save(): not counted yet
    rollup.add(contracts)
    assert_rollup_matches(users["bureau"])
    ContractRollup.objects.update(count=0)  # damage the cells; the rebuild repairs them
    assert rollup.rebuild() > 0
    assert_rollup_matches(users["bureau"])


@pytest.mark.django_db
def test_the_bureau_also_counts_the_drafts_it_typed(orgs, users):
    bureau = users["bureau"]
    make_contract(orgs["university"], orgs["enterprise"], signed_on=D(2025, 5, 5))  # not visible
    mine = make_contract(orgs["university"], orgs["enterprise"], signed_on=D(2025, 5, 5))
    mine.created_by = bureau
    mine.save()
    total, _sections = stats.report(bureau, "all", "year")
    assert total.count == 1 and total.total == mine.total_amount
    assert_rollup_matches(bureau)


@pytest.mark.django_db
def test_others_get_only_their_own_figures_not_the_cells(varied, users, orgs):
    """Outside the bureau the page groups the user's own contracts: the cells (all contracts)
    never leak into it."""
    enterprise = users["enterprise"]
    total, _sections = stats.report(enterprise, "all", "year")
    own = TechContract.objects.filter(buyer_org=orgs["enterprise"])
    assert total.count == own.count() < TechContract.objects.count()
    assert total.total == sum((c.total_amount for c in own), Decimal(0))
    public = client_for(users["public"]).get("/contracts/statistics/", {"scope": "all"})
    assert public.context["total"].count == 0


@pytest.mark.django_db
def test_the_command_checks_and_rebuilds(varied):
    from django.core.management import CommandError, call_command

    call_command("contract_rollup")  # in step
    ContractRollup.objects.filter(dimension="category").delete()
    with pytest.raises(CommandError, match="differ"):
        call_command("contract_rollup")
    call_command("contract_rollup", "--rebuild")
    call_command("contract_rollup")
    assert rollup.stored() == rollup.recompute()
