"""The bureau records a joint meeting, turns a decision into a task, sees it overdue and closes it
with evidence; an enterprise registers for an event and checks in with its QR code's link."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.browser.conftest import login, logout
from tests.factories import PASSWORD
from tests.liaison import factories as lf
from xiake.liaison.models import Decision, JointMeeting, Registration, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page):
    with page.expect_navigation():
        page.click("form.xk-form button[type=submit]")


def test_bureau_records_a_meeting_and_closes_an_overdue_task_with_evidence(page, users, orgs):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    login(page, "t_bureau", PASSWORD)

    page.goto("/liaison/meetings/add/")
    page.fill("input[name=title]", "栖霞区—测试大学校地合作联席会议")
    page.fill("textarea[name=agenda]", "研究共建联合实验室事宜")
    page.fill("textarea[name=minutes]", "会议议定共建新材料联合实验室。")
    submit(page)
    meeting = JointMeeting.objects.get(title="栖霞区—测试大学校地合作联席会议")
    assert page.url.endswith(f"/liaison/meetings/{meeting.pk}/")

    page.click("a[href$='/liaison/decisions/add/']")
    page.select_option("select[name=meeting]", label=str(meeting))
    page.fill("input[name=number]", "1")
    page.fill("textarea[name=text]", "共建新材料联合实验室，区科技局牵头落实场地")
    submit(page)
    decision = Decision.objects.get(meeting=meeting, number=1)

    page.goto(meeting.get_absolute_url())
    page.click("a[href$='/liaison/tasks/add/']")
    page.select_option("select[name=decision]", label=str(decision))
    page.fill("input[name=title]", "完成联合实验室场地交付")
    page.select_option("select[name=owner_org]", label=orgs["bureau"].name)
    page.fill("input[name=due_on]", yesterday.isoformat())
    submit(page)
    task = Task.objects.get(title="完成联合实验室场地交付")
    assert task.decision == decision and task.is_overdue

    # overdue: in the list and on the meeting's page
    page.goto("/liaison/tasks/overdue/")
    assert "完成联合实验室场地交付" in page.content()
    page.goto(meeting.get_absolute_url())
    decisions = page.locator("[data-testid=decision]")
    assert "完成联合实验室场地交付" in decisions.inner_text()
    assert page.locator("[data-testid=decision] .badge.text-bg-danger").count() == 1

    # closing without evidence is refused, with evidence accepted
    page.goto(f"/liaison/tasks/{task.pk}/edit/")
    page.select_option("select[name=status]", "done")
    page.click("form.xk-form button[type=submit]")
    page.wait_for_selector(".invalid-feedback, .errorlist, .alert-danger")
    task.refresh_from_db()
    assert task.status == "open"
    page.fill("textarea[name=evidence]", "场地已于本周交付，交接单扫描件已存档。")
    submit(page)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_on == timezone.localdate()
    page.goto("/liaison/tasks/overdue/")
    assert "完成联合实验室场地交付" not in page.content()
    page.goto(meeting.get_absolute_url())
    with translation.override("zh-hans"):
        done = str(Task.Status.DONE.label)
    assert done in page.locator("[data-testid=decision]").inner_text()
    assert "交接单扫描件已存档" in page.content()
    logout(page)


def test_an_enterprise_registers_for_an_event_and_checks_in(page, users, orgs):
    now = timezone.now()
    event = lf.make_event(
        orgs["university"],
        title="公益大讲堂：知识产权质押融资实务",
        starts_at=now - dt.timedelta(minutes=20),
        ends_at=now + dt.timedelta(hours=2),
        capacity=30,
    )
    login(page, "t_enterprise", PASSWORD)
    page.goto(f"/liaison/events/{event.pk}/")
    page.fill("input[name=attendee_name]", "王建国")
    page.fill("input[name=phone]", "13900001111")
    with page.expect_navigation():
        page.click(f"form[action$='/liaison/events/{event.pk}/register/'] button")
    reg = Registration.objects.get(event=event, user=users["enterprise"])
    assert reg.enterprise == orgs["enterprise"] and reg.attendee_name == "王建国"
    qr = page.locator(f"img[src$='/liaison/registrations/{reg.pk}/qr.svg']")
    assert qr.is_visible()
    assert "29" in page.locator("[data-testid=places-left]").inner_text()

    # the QR code carries the check-in link; scanning it opens this page
    page.goto(f"/liaison/checkin/{reg.token}/")
    with page.expect_navigation():
        page.click("main form button[type=submit], form button.btn-success")
    reg.refresh_from_db()
    assert reg.checked_in_at is not None
    assert (
        timezone.localtime(reg.checked_in_at).strftime("%Y-%m-%d")
        in page.locator("[data-testid=checkin-state]").inner_text()
    )
    logout(page)

    login(page, "t_bureau", PASSWORD)
    page.goto("/liaison/events/served/")
    assert page.locator("[data-testid=served]").inner_text().strip() == "1"
