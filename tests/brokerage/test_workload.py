"""Meetings on a case (page, timeline, who may record them) and the managers' workload view."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.base import client_for
from tests.brokerage.test_cases import make_case, make_meeting
from tests.contracts.factories import make_contract
from tests.factories import make_user
from xiake.brokerage.models import CaseMeeting, DockingCase
from xiake.brokerage.workload import workload
from xiake.core.models import Attachment


@pytest.fixture
def manager2(db):
    return make_user("t_manager2", "manager", None)


@pytest.mark.django_db
class TestMeetings:
    def test_the_manager_records_a_meeting_and_the_case_page_shows_it(self, orgs, users):
        case = make_case(orgs["enterprise"])
        manager = client_for(users["manager"])
        manager.post(f"/cases/{case.pk}/act/", {"to": "contact", "note": "已电话联系企业"})
        r = manager.post(
            f"/cases/{case.pk}/meetings/",
            {
                "held_at": "2026-11-20T14:00",
                "place": "测试大学材料学院",
                "participants": "张工\n李教授",
                "minutes": "确定样件测试方案",
                "next_steps": "12月初提交测试报告",
            },
        )
        meeting = CaseMeeting.objects.get(case=case)
        assert r.status_code == 302 and r["Location"] == meeting.get_absolute_url()
        assert meeting.created_by == users["manager"] and not meeting.online
        Attachment.objects.create(
            parent=meeting,
            file=ContentFile(b"%PDF-1.4\n", name="会议纪要.pdf"),
            name="会议纪要.pdf",
        )
        # the enterprise (a side of the case) reads it on the case page and in the timeline
        page = client_for(users["enterprise"]).get(case.get_absolute_url())
        html = page.content.decode()
        assert "确定样件测试方案" in html and "12月初提交测试报告" in html
        assert 'data-testid="timeline-meeting"' in html
        assert 'data-testid="timeline-stage"' in html and "已电话联系企业" in html
        assert "会议纪要.pdf" in html  # the meeting's attachment in the timeline
        assert 'data-testid="meeting-form"' not in html  # the enterprise does not record meetings

    def test_bad_input_is_refused_naming_the_field(self, orgs, users):
        case = make_case(orgs["enterprise"])
        manager = client_for(users["manager"])
        r = manager.post(
            f"/cases/{case.pk}/meetings/",
            {"held_at": "下周二", "participants": "张工"},
            follow=True,
        )
        assert "会议时间" in r.content.decode()
        r = manager.post(
            f"/cases/{case.pk}/meetings/",
            {"held_at": "2026-11-20T14:00", "participants": "张工"},  # no place, not online
            follow=True,
        )
        assert "地点或会议链接" in r.content.decode()
        assert not CaseMeeting.objects.filter(case=case).exists()
        manager.post(
            f"/cases/{case.pk}/meetings/",
            {"held_at": "2026-11-20T14:00", "participants": "张工", "online": "on"},
        )
        assert CaseMeeting.objects.get(case=case).online

    def test_only_the_cases_manager_or_the_bureau_records_meetings(self, orgs, users, manager2):
        case = make_case(orgs["enterprise"])
        data = {"held_at": "2026-11-20T14:00", "participants": "张工", "online": "on"}
        url = f"/cases/{case.pk}/meetings/"
        assert client_for(users["enterprise"]).post(url, data).status_code == 403  # reads only
        assert client_for(users["enterprise2"]).post(url, data).status_code == 404  # not a side
        assert client_for(manager2).post(url, data).status_code == 404  # another manager's case
        assert client_for().post(url, data).status_code == 302  # to the login page
        assert not CaseMeeting.objects.exists()
        # nor through the generic form: the case picker holds only the manager's own cases
        r = client_for(manager2).post(
            "/case-meetings/add/", {**data, "case": case.pk, "held_at": "2026-11-20 14:00"}
        )
        assert r.status_code == 400 and "case" in r.context["form"].errors
        assert client_for(users["bureau"]).post(url, data).status_code == 302
        assert CaseMeeting.objects.filter(case=case).count() == 1

    def test_the_api_writes_meetings_only_on_the_managers_own_cases(self, orgs, users, manager2):
        from tests.base import api_for

        case = make_case(orgs["enterprise"])
        data = {"case": case.pk, "held_at": "2026-11-20T14:00:00+08:00", "online": True}
        data["participants"] = "张工"
        r = api_for(manager2).post("/api/v1/case-meetings/", data, format="json")
        assert r.status_code == 403 and not CaseMeeting.objects.exists()
        r = api_for(users["manager"]).post("/api/v1/case-meetings/", data, format="json")
        assert r.status_code == 201, r.content
        meeting = CaseMeeting.objects.get()
        theirs = make_case(orgs["enterprise2"], manager=manager2)
        r = api_for(manager2).patch(
            f"/api/v1/case-meetings/{meeting.pk}/", {"case": theirs.pk}, format="json"
        )
        assert r.status_code == 404  # not their meeting: not even visible
        r = api_for(users["manager"]).patch(
            f"/api/v1/case-meetings/{meeting.pk}/", {"case": theirs.pk}, format="json"
        )
        assert r.status_code == 403  # nor may it be moved onto another manager's case
        meeting.refresh_from_db()
        assert meeting.case_id == case.pk

    def test_other_parties_do_not_see_the_meetings(self, orgs, users, manager2):
        meeting = make_meeting(orgs["enterprise"], minutes="保密的纪要")
        for user in (users["enterprise2"], manager2, users["public"]):
            assert client_for(user).get(meeting.get_absolute_url()).status_code == 404
            listing = client_for(user).get("/case-meetings/").content.decode()
            assert "保密的纪要" not in listing


@pytest.mark.django_db
class TestWorkload:
    @pytest.fixture
    def cases(self, orgs, users, manager2):
        today = timezone.localdate()
        old = today - dt.timedelta(days=40)
        mine = [
            make_case(orgs["enterprise"], title="意向新", manager=users["manager"]),
            make_case(orgs["enterprise"], title="意向旧", manager=users["manager"]),
            make_case(orgs["enterprise"], title="洽谈", manager=users["manager"]),
            make_case(orgs["enterprise"], title="签约", manager=users["manager"]),
        ]
        DockingCase.objects.filter(pk=mine[1].pk).update(stage_since=old)  # stale (> 7 days)
        DockingCase.objects.filter(pk=mine[2].pk).update(stage="negotiation", stage_since=today)
        DockingCase.objects.filter(pk=mine[3].pk).update(stage="signed", stage_since=old)
        make_contract(
            orgs["university"],
            orgs["enterprise"],
            docking_case=mine[3],
            total_amount=Decimal("880000.00"),
            status="registered",
        )
        make_contract(  # a draft is not counted yet
            orgs["university"],
            orgs["enterprise"],
            docking_case=mine[3],
            total_amount=Decimal("5.00"),
            non_technical_amount=Decimal("0.00"),
        )
        theirs = make_case(orgs["enterprise2"], title="他人的案例", manager=manager2)
        DockingCase.objects.filter(pk=theirs.pk).update(stage="contact", stage_since=old)
        return mine, theirs

    def test_the_bureau_sees_every_manager(self, cases, users, manager2):
        rows = {r.manager_id: r for r in workload(users["bureau"])}
        me, other = rows[users["manager"].pk], rows[manager2.pk]
        assert me.by_stage == {"intent": 2, "negotiation": 1, "signed": 1}
        assert me.open == 3 and me.stale == 1
        assert me.signed_contracts == 1 and me.signed_value == Decimal("880000.00")
        assert other.by_stage == {"contact": 1} and other.stale == 1  # 40 days > 14
        page = client_for(users["bureau"]).get("/cases/workload/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "880000.00" in html and "t_manager2" in html

    def test_a_manager_sees_only_their_own_row(self, cases, users, manager2):
        rows = workload(manager2)
        assert [r.manager_id for r in rows] == [manager2.pk]
        assert rows[0].signed_value == Decimal("0.00")
        html = client_for(manager2).get("/cases/workload/").content.decode()
        assert "880000.00" not in html and "t_manager" not in html.replace("t_manager2", "")

    def test_the_board_links_the_workload_for_those_who_may_see_it(self, cases, users):
        assert (
            "/cases/workload/" in client_for(users["manager"]).get("/cases/board/").content.decode()
        )
        page = client_for(users["enterprise"]).get("/cases/board/").content.decode()
        assert "/cases/workload/" not in page

    def test_nobody_else_gets_the_view(self, cases, users):
        for persona in ("enterprise", "university", "public", "institution"):
            assert client_for(users[persona]).get("/cases/workload/").status_code == 403
            assert workload(users[persona]) == []
        assert client_for().get("/cases/workload/").status_code == 302
