"""Reminders: cases sitting too long in a stage (threshold as data), registration deadlines
approaching (working days, holiday calendar) or overdue; once per situation."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from tests.brokerage.test_cases import make_case
from tests.contracts import factories as cf
from xiake.brokerage.models import Notification, ReminderRule
from xiake.brokerage.reminders import send_reminders
from xiake.contracts.models import TechContract

TODAY = dt.date(2025, 9, 30)  # Tuesday before the National Day holidays (Oct 1–8; Oct 11 worked)


def contract_due(org, deadline, status="accepted", registrar=None):
    c = cf.make_contract(org)
    TechContract.objects.filter(pk=c.pk).update(
        status=status, deadline=deadline, registrar=registrar
    )
    return c


@pytest.mark.django_db
class TestReminders:
    def test_thresholds_are_data_with_shipped_defaults(self):
        rules = ReminderRule.thresholds()
        assert rules["stage_intent"] == 7 and rules["deadline_approaching"] == 3
        ReminderRule.objects.filter(code="stage_intent").update(days=2)
        assert ReminderRule.thresholds()["stage_intent"] == 2
        ReminderRule.objects.all().delete()  # a missing row falls back to the default
        assert ReminderRule.thresholds()["stage_contact"] == 14

    def test_stale_cases_remind_their_manager_once_per_stage(self, orgs, users):
        users["manager"].email = "m@example.com"
        users["manager"].save()
        stale = make_case(
            orgs["enterprise"], title="停滞的对接", stage_since=TODAY - dt.timedelta(days=8)
        )
        make_case(orgs["enterprise"], title="新对接", stage_since=TODAY - dt.timedelta(days=6))
        assert send_reminders(TODAY)["stale cases"] == 1
        n = Notification.objects.get(user=users["manager"])
        assert "停滞的对接" in n.title and n.key.startswith(f"case:{stale.pk}:stale:intent:")
        assert len(mail.outbox) == 1
        assert send_reminders(TODAY + dt.timedelta(days=1))["stale cases"] == 0
        assert len(mail.outbox) == 1
        # moved on, and sitting again: a new situation
        stale.move("contact", users["manager"])
        assert send_reminders(TODAY + dt.timedelta(days=15))["stale cases"] == 1

    def test_deadlines_approaching_in_working_days_and_overdue(self, orgs, users):
        seller = orgs["university"]
        soon = contract_due(seller, dt.date(2025, 10, 10), registrar=users["bureau"])
        adjusted = contract_due(seller, dt.date(2025, 10, 11))  # the worked Saturday: 3rd day
        later = contract_due(seller, dt.date(2025, 10, 13))
        late = contract_due(seller, dt.date(2025, 9, 29), status="reviewing")
        contract_due(seller, dt.date(2025, 9, 1), status="registered")  # answered: no reminder
        counts = send_reminders(TODAY)
        assert counts == {"stale cases": 0, "approaching": 2, "overdue": 1}
        keys = set(Notification.objects.values_list("key", flat=True))
        assert f"contract:{soon.pk}:deadline:2025-10-10:approaching" in keys
        assert f"contract:{adjusted.pk}:deadline:2025-10-11:approaching" in keys
        assert f"contract:{late.pk}:deadline:2025-09-29:overdue" in keys
        assert not any(k.startswith(f"contract:{later.pk}:") for k in keys)
        # without a registrar yet, the bureau is told
        assert Notification.objects.filter(key__startswith=f"contract:{late.pk}:").count() == 1
        # the command again the same day, or the next: nothing new until the state changes
        call_command("send_reminders", "--today", TODAY.isoformat())
        assert Notification.objects.count() == 3
        counts = send_reminders(dt.date(2025, 10, 12))
        assert counts["overdue"] == 2 and counts["approaching"] == 1  # 10-10, 10-11 passed; 10-13
