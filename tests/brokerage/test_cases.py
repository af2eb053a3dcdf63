"""Docking cases: row rules, stages as data, both-sides acceptance reveals contacts, notifications."""

import pytest

from tests.base import ResourceContract, api_for, client_for
from tests.factories import make_achievement, make_demand
from xiake.brokerage.models import DockingCase, Notification, notify


def make_case(org, **kwargs):
    """A case whose enterprise side is ``org``, with one achievement of another organisation."""
    from xiake.accounts.models import Organization, User

    manager = kwargs.pop("manager", None) or User.objects.filter(username="t_manager").first()
    case = DockingCase.objects.create(
        title=kwargs.pop("title", "焊缝防腐对接"), enterprise=org, manager=manager, **kwargs
    )
    provider = Organization.objects.filter(name="测试大学").first()
    if provider is not None and provider.pk != org.pk:
        case.achievements.add(make_achievement(provider))
    return case


@pytest.mark.django_db
class TestDockingCases(ResourceContract):
    model = DockingCase
    factory = staticmethod(make_case)
    owner = "enterprise"
    outsider = "enterprise2"
    creator = "manager"
    reviewed = False
    public = False
    label_field = "title"

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        return {
            "title": "新对接",
            "enterprise": Organization.objects.get(name="测试材料科技有限公司").pk,
        }

    def test_owner_edits_and_the_change_is_logged(self, orgs, users):
        pytest.skip("the manager, not the enterprise, edits a case (tested below)")

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.outsider])
        for action in ("detail", "edit", "delete"):
            assert client.get(self.url(action, obj.pk)).status_code == 404
        assert api_for(users[self.outsider]).get(self.api_url(obj)).status_code == 404

    def test_export_holds_only_visible_rows(self, orgs, users):
        hidden = self.make(orgs)
        text = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert hidden.title not in text.content.decode("utf-8-sig")


@pytest.mark.django_db
class TestCaseFlow:
    def test_manager_moves_the_stages_in_order_and_ending_needs_a_reason(self, orgs, users):
        case = make_case(orgs["enterprise"])
        manager = client_for(users["manager"])
        act = f"/cases/{case.pk}/act/"
        manager.post(act, {"to": "negotiation"})  # skipping 联系 is refused
        case.refresh_from_db()
        assert case.stage == "intent"
        manager.post(act, {"to": "contact"})
        manager.post(act, {"to": "terminated"})  # no reason
        case.refresh_from_db()
        assert case.stage == "contact"
        manager.post(act, {"to": "terminated", "note": "企业预算取消"})
        case.refresh_from_db()
        assert case.stage == "terminated" and case.end_reason == "企业预算取消"
        # the enterprise reads but does not move the case
        assert client_for(users["enterprise"]).post(act, {"to": "contact"}).status_code == 403
        assert client_for(users["enterprise2"]).post(act, {"to": "contact"}).status_code == 404

    def test_contacts_are_revealed_only_when_both_sides_accept(self, orgs, users):
        demand = make_demand(orgs["enterprise"], contact_phone="13912345678")
        case = make_case(orgs["enterprise"], demand=demand)
        achievement = case.achievements.first()
        university = client_for(users["university"])
        page = university.get(demand.get_absolute_url()).content.decode()
        assert "13912345678" not in page
        university.post(f"/cases/{case.pk}/act/", {"action": "accept"})
        assert "13912345678" not in university.get(demand.get_absolute_url()).content.decode()
        client_for(users["enterprise"]).post(f"/cases/{case.pk}/act/", {"action": "accept"})
        case.refresh_from_db()
        assert case.contacts_revealed
        assert "13912345678" in university.get(demand.get_absolute_url()).content.decode()
        ent_page = client_for(users["enterprise"]).get(achievement.get_absolute_url())
        assert achievement.contact_phone in ent_page.content.decode()
        # a third party still sees the masked number
        other = client_for(users["university2"]).get(demand.get_absolute_url()).content.decode()
        assert "13912345678" not in other
        assert Notification.objects.filter(user=users["manager"]).count() == 1

    def test_board_and_notifications(self, orgs, users):
        make_case(orgs["enterprise"])
        board = client_for(users["manager"]).get("/cases/board/")
        assert board.status_code == 200 and len(board.context["columns"]) == 5
        assert notify([users["enterprise"], users["enterprise"]], "e:1", "新匹配") == 1
        assert notify([users["enterprise"]], "e:1", "新匹配") == 0  # never twice for one event
        api = api_for(users["enterprise"])
        assert api.get("/api/v1/notifications/").json()["unread"] == 1
        assert api_for(users["enterprise2"]).get("/api/v1/notifications/").json()["unread"] == 0
        n = Notification.objects.get(user=users["enterprise"])
        assert api_for(users["enterprise2"]).post(f"/api/v1/notifications/{n.pk}/read/").json() == {
            "marked": 0
        }
        assert api.post(f"/api/v1/notifications/{n.pk}/read/").json() == {"marked": 1}
        assert client_for(users["enterprise"]).get("/notifications/").context["unread"] == 0


def make_meeting(org, **kwargs):
    """A meeting on a case whose enterprise side is ``org`` (managed by ``t_manager``)."""
    import datetime as dt

    from django.utils import timezone

    from xiake.brokerage.models import CaseMeeting

    case = kwargs.pop("case", None) or make_case(org)
    defaults = dict(
        held_at=timezone.make_aware(dt.datetime(2026, 11, 20, 14, 0)),
        place="区科技局三楼会议室",
        participants="张工，测试材料科技有限公司\n李教授，测试大学",
        minutes="企业介绍焊缝腐蚀问题，高校介绍涂层方案。",
        next_steps="两周内提供样件测试报告。",
    )
    defaults.update(kwargs)
    return CaseMeeting.objects.create(case=case, **defaults)


@pytest.mark.django_db
class TestCaseMeetings(ResourceContract):
    from xiake.brokerage.models import CaseMeeting as model

    factory = staticmethod(make_meeting)
    owner = "manager"  # the case's manager writes its meetings
    outsider = "enterprise2"
    creator = "manager"
    reviewed = False
    public = False
    label_field = "minutes"

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        case = make_case(Organization.objects.get(name="测试材料科技有限公司"))
        return {
            "case": case.pk,
            "held_at": "2026-11-20 14:00",
            "online": "on",
            "participants": "张工；李教授",
        }

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.outsider])
        for action in ("detail", "edit", "delete"):
            assert client.get(self.url(action, obj.pk)).status_code == 404
        assert api_for(users[self.outsider]).get(self.api_url(obj)).status_code == 404

    def test_export_holds_only_visible_rows(self, orgs, users):
        hidden = self.make(orgs, minutes="外人不可见的纪要")
        text = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert "外人不可见的纪要" not in text.content.decode("utf-8-sig")
        assert hidden.pk
