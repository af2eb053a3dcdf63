"""Reminders of due and overdue monthly reports: to the institution's own reporters, once per
institution, month and kind, as in-site notifications with an e-mail copy."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.base import client_for
from tests.factories import make_org
from tests.institutions import factories as f
from xiake.brokerage.models import Notification
from xiake.institutions import models as m
from xiake.institutions.reminders import send_report_reminders

pytestmark = pytest.mark.django_db
MARCH = dt.date(2024, 3, 1)  # due on 2024-04-10; reminders from 2024-04-07


@pytest.fixture
def setup(orgs, users):
    f.make_warning_rule(deadline_day=10, reminder_days=3)
    late = f.make_institution(orgs["institution"])
    other = f.make_institution(orgs["institution2"])
    punctual = make_org("准时的机构", "nri")
    f.make_report(punctual, status="pending", period=MARCH)
    f.make_institution(make_org("没有填报员的机构", "nri"))
    f.make_report(orgs["institution2"], status="draft", period=MARCH)
    for inst in m.Institution.objects.all():  # February is done everywhere
        f.make_report(inst.owner_org, status="published", period=dt.date(2024, 2, 1))
    users["institution"].email = "reporter@example.com"
    users["institution"].save()
    return late, other


def keys(user):
    return sorted(Notification.objects.filter(user=user).values_list("key", flat=True))


def test_reporters_are_reminded_before_and_after_the_deadline_once_each(setup, users):
    late, other = setup
    assert send_report_reminders(dt.date(2024, 4, 6)) == {
        "due": 0,
        "overdue": 0,
        "without reporter": 0,
    }
    # The punctual institution submitted; the one without a reporter user is only counted.
    assert send_report_reminders(dt.date(2024, 4, 7)) == {
        "due": 2,
        "overdue": 0,
        "without reporter": 1,
    }
    assert keys(users["institution"]) == [f"institutions:report:{late.pk}:2024-03:due"]
    assert keys(users["institution2"]) == [f"institutions:report:{other.pk}:2024-03:due"]
    n = Notification.objects.get(user=users["institution"])
    assert "2024-03" in n.title and "2024-04-10" in n.title and late.name in n.title
    assert n.url == f"/institutions/registry/{late.pk}/months/2024-03/"
    assert [msg.to for msg in mail.outbox] == [["reporter@example.com"]]
    # Daily runs tell nobody twice.
    assert send_report_reminders(dt.date(2024, 4, 8))["due"] == 0
    assert len(mail.outbox) == 1
    # The first institution submits; after the deadline only the other one is overdue.
    m.MonthlyReport.objects.filter(institution=other, period=MARCH).update(status="returned")
    f.make_report(users["institution"].organization, status="pending", period=MARCH)
    counts = send_report_reminders(dt.date(2024, 4, 11))
    assert counts == {"due": 0, "overdue": 1, "without reporter": 1}
    assert keys(users["institution"]) == [f"institutions:report:{late.pk}:2024-03:due"]
    assert f"institutions:report:{other.pk}:2024-03:overdue" in keys(users["institution2"])
    assert send_report_reminders(dt.date(2024, 4, 12))["overdue"] == 0
    # Others never see the reminder: not the bureau, not another institution's reporter.
    assert not Notification.objects.filter(user=users["bureau"]).exists()
    page = client_for(users["institution2"]).get("/notifications/").content.decode()
    assert "overdue" in page or "逾期" in page
    assert late.name not in page


def test_a_month_missed_by_the_daily_run_is_still_reminded_as_overdue(setup, users):
    late, other = setup
    m.MonthlyReport.objects.filter(institution=late, period=dt.date(2024, 2, 1)).delete()
    send_report_reminders(dt.date(2024, 4, 7))
    assert keys(users["institution"]) == [
        f"institutions:report:{late.pk}:2024-02:overdue",
        f"institutions:report:{late.pk}:2024-03:due",
    ]


def test_the_command_runs_them_for_a_day_and_names_a_bad_date(setup, users):
    out = io.StringIO()
    call_command("remind_reports", "--today", "2024-04-11", stdout=out)
    assert "overdue 2" in out.getvalue()
    with pytest.raises(CommandError, match="--today"):
        call_command("remind_reports", "--today", "2024-13-01")
