"""Joint meetings → decisions → tasks, the overdue list and reminders."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.base import api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.core.models import ChangeRecord
from xiake.liaison import models as m


class TestJointMeetings(PrivateContract):
    model = m.JointMeeting
    factory = staticmethod(lf.make_jointmeeting)
    label_field = "title"
    form_data = {"title": "2025年第一次校地联席会议", "held_on": "2025-03-01"}


class TestDecisions(PrivateContract):
    model = m.Decision
    factory = staticmethod(lf.make_decision)
    label_field = "text"

    @property
    def form_data(self):
        return {"meeting": lf.make_jointmeeting().pk, "number": 9, "text": "设立成果转化基金"}


class TestTasks(PrivateContract):
    model = m.Task
    factory = staticmethod(lf.make_task)
    label_field = "title"

    @property
    def form_data(self):
        return {
            "decision": lf.make_decision().pk,
            "title": "拟定基金章程",
            "due_on": "2025-06-30",
            "status": "open",
        }


@pytest.mark.django_db
class TestMeetingToTask:
    def test_bureau_records_a_meeting_turns_a_decision_into_a_task_and_closes_it(self, orgs, users):
        bureau = client_for(users["bureau"])
        uni = lf.make_assignment().university
        r = bureau.post(
            reverse("liaison:jointmeeting_add"),
            {"title": "第三次联席会议", "held_on": "2025-01-10", "university": uni.pk},
        )
        assert r.status_code == 302
        meeting = m.JointMeeting.objects.get(title="第三次联席会议")
        r = bureau.post(
            reverse("liaison:decision_add"),
            {"meeting": meeting.pk, "number": 1, "text": "共建新型研发机构"},
        )
        assert r.status_code == 302
        decision = meeting.decisions.get()
        past = timezone.localdate() - dt.timedelta(days=5)
        r = bureau.post(
            reverse("liaison:task_add"),
            {
                "decision": decision.pk,
                "title": "完成可行性研究",
                "owner_org": orgs["university"].pk,
                "due_on": past.isoformat(),
                "status": "in_progress",
            },
        )
        assert r.status_code == 302
        task = decision.tasks.get()
        # overdue: on the list, in the API and on the meeting's page
        overdue = bureau.get(reverse("liaison:task_overdue"))
        assert "完成可行性研究" in overdue.content.decode()
        api = api_for(users["bureau"]).get("/api/v1/liaison/tasks/overdue/").json()
        assert [t["id"] for t in api["results"]] == [task.pk]
        page = bureau.get(meeting.get_absolute_url()).content.decode()
        assert "完成可行性研究" in page and "共建新型研发机构" in page
        # closing without evidence is refused, with evidence accepted
        data = {
            "decision": decision.pk,
            "title": task.title,
            "owner_org": orgs["university"].pk,
            "due_on": past.isoformat(),
            "status": "done",
        }
        r = bureau.post(reverse("liaison:task_edit", args=[task.pk]), data)
        assert r.status_code == 400 and "evidence" in r.context["form"].errors
        r = bureau.post(
            reverse("liaison:task_edit", args=[task.pk]), {**data, "evidence": "可研报告已报区政府"}
        )
        assert r.status_code == 302
        task.refresh_from_db()
        assert task.status == "done" and task.completed_on == timezone.localdate()
        assert not m.Task.objects.overdue().exists()

    def test_the_responsible_organisation_updates_its_task_but_no_other(self, orgs, users):
        mine = lf.make_task(orgs["university"])
        other = lf.make_task(orgs["university2"])
        client = client_for(users["university"])
        assert client.get(reverse("liaison:task_edit", args=[mine.pk])).status_code == 200
        # visible (a task of its own meeting) but another organisation's to carry out
        assert client.get(reverse("liaison:task_edit", args=[other.pk])).status_code == 403
        r = api_for(users["university"]).patch(
            f"/api/v1/meeting-tasks/{mine.pk}/", {"status": "in_progress"}, format="json"
        )
        assert r.status_code == 200
        assert client_for(users["enterprise"]).get(mine.get_absolute_url()).status_code == 404

    def test_the_api_refuses_done_without_evidence(self, orgs, users):
        task = lf.make_task(orgs["university"])
        r = api_for(users["bureau"]).patch(
            f"/api/v1/meeting-tasks/{task.pk}/", {"status": "done"}, format="json"
        )
        task.refresh_from_db()
        assert task.status == "open"
        assert r.status_code == 400, r.content

    def test_reminders_go_to_the_log_and_to_the_owners(self, orgs, users):
        users["university"].email = "office@example.edu.cn"
        users["university"].save()
        task = lf.make_task(orgs["university"], due_on=timezone.localdate() - dt.timedelta(days=1))
        lf.make_task(orgs["university"])  # not yet due
        call_command("liaison_reminders")
        assert len(mail.outbox) == 1 and task.title in mail.outbox[0].subject
        assert ChangeRecord.objects.filter(
            object_id=str(task.pk), comment__startswith="reminder"
        ).exists()
