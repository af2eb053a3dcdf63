"""Demo docking cases: every stage, all followed by the demo manager, signed ones linked to demo
contracts, 推荐 lists, labels; the flush removes them and unlinks the contracts."""

from types import SimpleNamespace

import pytest

from tests.base import client_for
from tests.factories import make_achievement, make_demand
from xiake.brokerage import demo
from xiake.brokerage.models import DockingCase, MatchLabel, MatchOffer, Stage
from xiake.contracts import demo as contract_demo
from xiake.contracts.models import TechContract
from xiake.demo.extensions import DemoContext


@pytest.fixture
def demo_world(orgs, users):
    for i in range(24):
        make_demand(orgs["enterprise" if i % 2 else "enterprise2"], title=f"演示需求{i}")
    for i in range(4):
        make_achievement(orgs["university"], title=f"演示成果{i}")
        make_achievement(orgs["university2"], title=f"演示成果乙{i}")
    context = DemoContext(
        seed=7,
        world=SimpleNamespace(
            universities=[orgs["university"], orgs["university2"]],
            nris=[orgs["institution"]],
            enterprises=[orgs["enterprise"], orgs["enterprise2"]],
        ),
        users={k: users[k] for k in ("university", "bureau", "enterprise", "manager")},
    )
    contract_demo.generate(context)
    return demo.generate(context)


@pytest.mark.django_db
def test_cases_in_every_stage_for_the_manager_linked_to_contracts(demo_world, users):
    stages = set(DockingCase.objects.values_list("stage", flat=True))
    assert stages == {s.value for s in Stage}
    assert set(DockingCase.objects.values_list("manager", flat=True)) == {users["manager"].pk}
    signed = DockingCase.objects.filter(stage="signed")
    assert signed.count() == dict(demo.PLAN)[Stage.SIGNED]
    for case in signed:
        contract = TechContract.objects.get(docking_case=case)
        assert contract.buyer_org_id == case.enterprise_id
    assert all(c.end_reason for c in DockingCase.objects.filter(stage="terminated"))
    assert MatchOffer.objects.count() and MatchLabel.objects.count()
    board = client_for(users["manager"]).get("/cases/board/")
    assert board.context["total"] == DockingCase.objects.count()
    funnel = client_for(users["bureau"]).get("/cases/funnel/").context["total"]
    assert funnel.matched > funnel.cases > funnel.signed > 0
    assert demo_world["docking cases"] == DockingCase.objects.count()
    # meetings on every case past 意向, none before it
    from xiake.brokerage.models import CaseMeeting

    assert demo_world["case meetings"] == CaseMeeting.objects.count() > 0
    assert not CaseMeeting.objects.filter(case__stage="intent").exists()
    assert all(
        c.meetings.exists() for c in DockingCase.objects.exclude(stage__in=["intent", "terminated"])
    )


@pytest.mark.django_db
def test_flush_removes_the_cases_and_unlinks_the_contracts(demo_world, orgs):
    for org in orgs.values():
        org.is_demo = True
        org.save()
    demo.flush()
    assert not DockingCase.objects.exists() and not MatchLabel.objects.exists()
    assert not TechContract.objects.filter(docking_case__isnull=False).exists()
