"""Reminders (``xiake send_reminders``, daily from cron): docking cases sitting too long in a
stage, and registration deadlines approaching or passed.

Thresholds are data (``ReminderRule``). Each reminder is a notification whose key names the
situation — the case, its stage and the day it entered it; the contract, its deadline and
"approaching" or "overdue" — so running the command twice (or daily) tells nobody twice about the
same situation, while a new stage or a restarted clock is a new situation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiake.brokerage.models import DockingCase, ReminderRule, Stage, notify_ids
from xiake.core.roles import Role


def _bureau_ids() -> list[int]:
    return list(
        get_user_model()
        .objects.filter(role=Role.BUREAU, is_active=True)
        .values_list("pk", flat=True)
    )


def remind_stale_cases(today: dt.date, rules: dict) -> int:
    n = 0
    bureau = None
    for stage in (Stage.INTENT, Stage.CONTACT, Stage.NEGOTIATION):
        days = rules.get(f"stage_{stage}")
        if days is None:
            continue
        limit = today - dt.timedelta(days=days)
        for case in DockingCase.objects.filter(stage=stage, stage_since__lt=limit):
            if case.manager_id:
                recipients = [case.manager_id]
            else:
                bureau = _bureau_ids() if bureau is None else bureau
                recipients = bureau
            n += notify_ids(
                recipients,
                f"case:{case.pk}:stale:{stage}:{case.stage_since.isoformat()}",
                _("Case “%(case)s” has been at “%(stage)s” for %(days)d days")
                % {
                    "case": case.title,
                    "stage": case.get_stage_display(),
                    "days": (today - case.stage_since).days,
                },
                url=case.get_absolute_url(),
                email=True,
            )
    return n


def remind_deadlines(today: dt.date, rules: dict) -> dict:
    from xiake.contracts.models import OPEN_STATES, TechContract
    from xiake.core.calendar import add_working_days

    horizon = add_working_days(today, rules["deadline_approaching"])
    counts = {"approaching": 0, "overdue": 0}
    bureau = None
    qs = TechContract.objects.filter(
        status__in=OPEN_STATES, deadline__isnull=False, deadline__lte=horizon
    ).select_related("owner_org")
    for c in qs:
        state = "overdue" if c.deadline < today else "approaching"
        if c.registrar_id:
            recipients = [c.registrar_id]
        else:
            bureau = _bureau_ids() if bureau is None else bureau
            recipients = bureau
        title = (
            _("Registration overdue since %(date)s: “%(contract)s”")
            if state == "overdue"
            else _("Registration due by %(date)s: “%(contract)s”")
        ) % {"date": c.deadline.isoformat(), "contract": c.title}
        counts[state] += notify_ids(
            recipients,
            f"contract:{c.pk}:deadline:{c.deadline.isoformat()}:{state}",
            title,
            body=str(c.owner_org),
            url=c.get_absolute_url(),
            email=True,
        )
    return counts


def send_reminders(today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    rules = ReminderRule.thresholds()
    with translation.override(settings.LANGUAGE_CODE):
        counts = {"stale cases": remind_stale_cases(today, rules)}
        counts.update(remind_deadlines(today, rules))
    if any(counts.values()):
        from xiake.brokerage import tasks

        tasks.enqueue(tasks.send_emails, "")
    return counts
