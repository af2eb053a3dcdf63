"""The issue's "done when" path in a browser: the bureau records a joint meeting, turns a decision
into a task, sees it overdue and closes it with evidence; an enterprise registers for an event,
checks in with its QR code's link, asks a policy question and gets the bureau's answer; a
university asks for its achievement compilation, the page follows the build run by the task
worker (database queue) and the PDF downloads and opens."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from tests import factories as f
from tests.browser.conftest import login, logout
from tests.factories import PASSWORD
from tests.liaison import factories as lf
from xiake.liaison.models import (
    CompilationJob,
    Consultation,
    Decision,
    JointMeeting,
    Registration,
    Task,
)

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


def test_an_enterprise_registers_checks_in_and_gets_a_policy_answer(page, users, orgs):
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

    # a policy question through the green channel, answered within the SLA's working days
    lf.make_slarule(working_days=5)
    page.goto("/liaison/consultations/add/")
    page.fill("input[name=subject]", "研发费用加计扣除")
    page.fill("textarea[name=question]", "委托高校开发的费用能否加计扣除？")
    submit(page)
    question = Consultation.objects.get(subject="研发费用加计扣除")
    assert question.owner_org == orgs["enterprise"] and question.status == "submitted"
    logout(page)

    login(page, "t_bureau", PASSWORD)
    page.goto("/liaison/events/served/")
    assert page.locator("[data-testid=served]").inner_text().strip() == "1"
    page.goto(question.get_absolute_url())
    with page.expect_navigation():
        page.click("form:has(input[value=route]) button[type=submit]")
    question.refresh_from_db()
    assert question.status == "routed" and question.due_on
    page.fill("textarea[name=answer]", "可以，按实际发生额的80%计入加计扣除基数。")
    with page.expect_navigation():
        page.click("form:has(input[value=answer]) button[type=submit]")
    logout(page)

    login(page, "t_enterprise", PASSWORD)
    page.goto(question.get_absolute_url())
    assert "按实际发生额的80%" in page.content()
    page.fill("input[name=satisfaction]", "5")
    with page.expect_navigation():
        page.click("form:has(input[value=close]) button[type=submit]")
    question.refresh_from_db()
    assert question.status == "closed" and question.satisfaction == 5
    logout(page)


def test_a_university_downloads_its_compilation_built_by_the_worker(page, users, orgs, settings):
    from pypdf import PdfReader

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    university = f.make_university(orgs["university"], name="测试大学")
    titles = [f.make_achievement(orgs["university"], title=f"汇编成果{i}").title for i in range(3)]
    login(page, "t_university", PASSWORD)
    page.goto("/liaison/compilations/add/")
    page.fill("input[name=title]", "测试大学科技成果汇编")
    page.select_option("select[name=university]", label=str(university))
    submit(page)
    job = CompilationJob.objects.get(title="测试大学科技成果汇编")
    status = page.locator("[data-testid=compilation-status]")
    assert status.get_attribute("data-status") == "queued"  # only queued by the request

    # the worker runs the build; the page, polling its status block, offers the downloads
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector("[data-testid=compilation-status][data-status=done]", timeout=15000)
    with page.expect_download() as download:
        page.click(f"a[href$='/liaison/compilations/{job.pk}/download/pdf/']")
    with open(download.value.path(), "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "测试大学" in reader.pages[0].extract_text()
    assert all(title in text for title in titles)
    assert len(reader.pages) == 1 + 1 + len(titles)  # cover, contents, one page each
