"""Role home pages: each role lands on its own panels after login, and a panel shows only the rows
of the user's organisation (or the user), never another's."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.base import client_for
from tests.contracts.factories import make_contract
from tests.factories import PASSWORD, make_achievement, make_demand, make_user
from tests.institutions.factories import make_institution, make_report, make_system
from tests.liaison.factories import make_compilationjob, make_consultation, make_event
from xiake.portal.panels import ROLE_PANELS


def panel_keys(response) -> list[str]:
    return re.findall(r'data-panel="([a-z_]+)"', response.content.decode())


def panel(response, key):
    for p, content in response.context["panels"]:
        if p.key == key:
            return content
    raise AssertionError(f"no panel {key}")


def texts(content) -> set[str]:
    return {item.text for item in content.items}


@pytest.mark.django_db
def test_login_lands_on_the_role_home_page(users):
    user = make_user("t_landing", "enterprise", users["enterprise"].organization)
    response = client_for().post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/my/"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login():
    response = client_for().get("/my/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ROLE_PANELS))
def test_each_role_sees_exactly_its_panels(users, role):
    response = client_for(users[role]).get("/my/")
    assert response.status_code == 200
    assert panel_keys(response) == list(ROLE_PANELS[role])
    others = {k for r, keys in ROLE_PANELS.items() if r != role for k in keys}
    foreign = others - set(ROLE_PANELS[role])
    assert foreign and not foreign & set(panel_keys(response))


@pytest.mark.django_db
def test_enterprise_sees_its_demands_in_every_state_and_no_other_enterprises(users, orgs):
    mine = make_demand(orgs["enterprise"], status="draft", title="我司焊缝防腐草稿需求")
    theirs = make_demand(orgs["enterprise2"], status="published", title="别家公开需求")
    hidden = make_demand(orgs["enterprise2"], status="draft", title="别家草稿需求")
    make_consultation(orgs["enterprise"], subject="我司的加计扣除咨询")
    make_consultation(orgs["enterprise2"], subject="别家的加计扣除咨询")
    response = client_for(users["enterprise"]).get("/my/")
    demands = panel(response, "my_demands")
    assert mine.title in texts(demands)
    assert theirs.title not in texts(demands) and hidden.title not in texts(demands)
    assert texts(panel(response, "my_consultations")) == {"我司的加计扣除咨询"}
    body = response.content.decode()
    assert "别家草稿需求" not in body and "别家的加计扣除咨询" not in body
    other = client_for(users["enterprise2"]).get("/my/")
    assert mine.title not in other.content.decode()


@pytest.mark.django_db
def test_enterprise_sees_the_matches_of_its_published_demands(users, orgs):
    from xiake.brokerage.models import MatchOffer

    demand = make_demand(orgs["enterprise"], title="高温合金焊接需求")
    visible = make_achievement(orgs["university"], title="镍基高温合金焊接技术")
    draft = make_achievement(orgs["university"], status="draft", title="未发布的成果")
    for rank, target in enumerate((visible, draft), 1):
        MatchOffer.objects.create(
            demand=demand, kind="achievement", achievement=target, rank=rank, score=1.0 / rank
        )
    content = panel(client_for(users["enterprise"]).get("/my/"), "demand_matches")
    (item,) = content.items
    assert item.text == demand.title and item.badge == "1"  # the draft is not offered to them
    assert visible.title in item.note


@pytest.mark.django_db
def test_events_panel_marks_the_enterprise_registrations(users, orgs):
    from xiake.liaison.models import Registration

    soon = make_event(orgs["university"], title="高校专家巡诊（仙林）")
    make_event(orgs["university"], title="已结束的讲堂", starts_at=timezone.now() - dt.timedelta(1))
    Registration.objects.create(event=soon, enterprise=orgs["enterprise"], attendee_name="张工")
    content = panel(client_for(users["enterprise"]).get("/my/"), "upcoming_events")
    assert texts(content) == {"高校专家巡诊（仙林）"}
    assert content.items[0].badge_class == "success"
    other = panel(client_for(users["enterprise2"]).get("/my/"), "my_demands")
    assert other.items == []


@pytest.mark.django_db
def test_university_sees_its_achievements_contracts_and_compilations_only(users, orgs):
    make_achievement(orgs["university"], status="pending", title="本校待审成果")
    make_achievement(orgs["university2"], status="draft", title="外校草稿成果")
    make_contract(orgs["university"], orgs["enterprise"], title="本校技术开发合同")
    make_contract(orgs["university2"], orgs["enterprise"], title="外校技术开发合同")
    make_compilationjob(orgs["university"], title="本校成果汇编")
    make_compilationjob(orgs["university2"], title="外校成果汇编")
    response = client_for(users["university"]).get("/my/")
    assert texts(panel(response, "my_achievements")) == {"本校待审成果"}
    contracts = panel(response, "my_contracts")
    assert texts(contracts) == {"本校技术开发合同"}
    assert contracts.figures[0][1] == 1  # contracts: their own, not the other university's
    assert texts(panel(response, "my_compilations")) == {"本校成果汇编"}
    assert "外校" not in response.content.decode()


@pytest.mark.django_db
def test_manager_board_holds_only_the_managers_own_cases(users, orgs):
    from xiake.brokerage.models import DockingCase

    other = make_user("t_manager2", "manager", None)
    DockingCase.objects.create(
        title="我的对接案例", enterprise=orgs["enterprise"], manager=users["manager"]
    )
    DockingCase.objects.create(title="别人的对接案例", enterprise=orgs["enterprise"], manager=other)
    response = client_for(users["manager"]).get("/my/")
    board = panel(response, "case_board")
    assert texts(board) == {"我的对接案例"}
    assert sum(n for _label, n in board.figures) == 1
    assert "别人的对接案例" not in response.content.decode()


@pytest.mark.django_db
def test_institution_sees_the_report_due_this_month(users, orgs):
    from xiake.institutions import reporting

    make_institution(orgs["institution"])
    due = reporting.add_months(reporting.month_start(timezone.localdate()), -1)
    make_report(orgs["institution"], status="pending", period=due)
    other_org = users["bureau"].organization  # an organisation without an institution
    stranger = make_user("t_institution_x", "institution", other_org)
    content = panel(client_for(users["institution"]).get("/my/"), "month_report")
    first, current = content.items
    assert first.text.endswith(f"{due:%Y-%m}") and first.badge_class == "warning"
    assert current.badge_class in ("warning", "danger")  # not filed yet
    assert f"{due:%Y-%m}" in first.url
    nothing = panel(client_for(stranger).get("/my/"), "month_report")
    assert nothing.items == []


@pytest.mark.django_db
def test_evaluator_sees_only_their_assignments(users, orgs):
    from xiake.institutions.models import EvaluationRound, EvaluatorAssignment

    inst = make_institution(orgs["institution"])
    rnd = EvaluationRound.objects.create(
        name="2025年度评价",
        year=2025,
        system=make_system(),
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    EvaluatorAssignment.objects.create(round=rnd, evaluator=users["evaluator"], institution=inst)
    stranger = make_user("t_evaluator_x", "evaluator", orgs["evaluator"])
    mine = panel(client_for(users["evaluator"]).get("/my/"), "my_assignments")
    assert len(mine.items) == 1 and str(inst) in mine.items[0].text
    assert [n for _label, n in mine.figures] == [1, 1]  # assignments, in open rounds
    assert panel(client_for(stranger).get("/my/"), "my_assignments").items == []


@pytest.mark.django_db
def test_bureau_sees_what_waits_for_review(users, orgs):
    make_demand(orgs["enterprise"], status="pending")
    make_demand(orgs["enterprise2"], status="pending")
    content = panel(client_for(users["bureau"]).get("/my/"), "pending_reviews")
    (demands,) = [i for i in content.items if i.url.startswith("/catalog/demands/")]
    assert demands.badge == "2" and demands.url.endswith("?status=pending")
    # Nobody else gets the review queue, whatever records exist.
    assert "pending_reviews" not in panel_keys(client_for(users["enterprise"]).get("/my/"))
