"""Reminders of due monthly reports (``xiake remind_reports``, daily from cron).

From ``reminder_days`` before the deadline of the rule in force, the reporters of every
institution whose last-month report is not yet submitted (none, draft, or returned and not
resubmitted) get an in-site notification with an e-mail copy — the brokerage notifications, not a
second mechanism; after the deadline they get an "overdue" one. The notification key names the
institution, the month and the kind, so running the command daily (or twice) tells nobody twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiake.core.roles import Role
from xiake.institutions.reporting import add_months, deadline_of, month_start

#: Reports in these states still wait for the reporter.
NOT_SUBMITTED = ("draft", "returned")


def reminder_key(inst_id: int, period: dt.date, kind: str) -> str:
    return f"institutions:report:{inst_id}:{period:%Y-%m}:{kind}"


def due_reminders(today: dt.date):
    """(institution, month, kind, deadline) for every reminder due on ``today``.

    Looks at last month (its deadline is this month: "due" from ``reminder_days`` before it,
    "overdue" after it) and the month before (overdue only), so a day without a run loses nothing.
    """
    from xiake.institutions.models import Institution, MonthlyReport, WarningRule

    found = []
    last = add_months(month_start(today), -1)
    for period in (add_months(last, -1), last):
        rule = WarningRule.in_force(period)
        if rule is None:
            continue
        due = deadline_of(period, rule)
        if today > due:
            kind = "overdue"
        elif today >= due - dt.timedelta(days=rule.reminder_days):
            kind = "due"
        else:
            continue
        done = set(
            MonthlyReport.objects.filter(period=period)
            .exclude(status__in=NOT_SUBMITTED)
            .values_list("institution_id", flat=True)
        )
        for inst in Institution.objects.filter(established_on__lte=period).order_by("pk"):
            if inst.pk not in done:
                found.append((inst, period, kind, due))
    return found


def send_report_reminders(today: dt.date | None = None) -> dict:
    """Notify the reporters of institutions with a report due or overdue; returns the counts."""
    from xiake.brokerage.models import notify_ids

    today = today or timezone.localdate()
    reminders = due_reminders(today)
    reporters: dict[int, list[int]] = {}
    for org_id, user_id in (
        get_user_model()
        .objects.filter(
            role=Role.INSTITUTION,
            is_active=True,
            organization_id__in={r[0].owner_org_id for r in reminders},
        )
        .values_list("organization_id", "pk")
    ):
        reporters.setdefault(org_id, []).append(user_id)
    counts = {"due": 0, "overdue": 0, "without reporter": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for inst, period, kind, due in reminders:
            users = reporters.get(inst.owner_org_id, [])
            if not users:
                counts["without reporter"] += 1
                continue
            values = {"inst": inst.name, "m": f"{period:%Y-%m}", "d": due.isoformat()}
            if kind == "due":
                title = _("The %(m)s report of %(inst)s is due on %(d)s") % values
            else:
                title = _("The %(m)s report of %(inst)s is overdue since %(d)s") % values
            counts[kind] += notify_ids(
                users,
                reminder_key(inst.pk, period, kind),
                title,
                body=_("Please fill in and submit the monthly statistics."),
                url=reverse("institutions:report_month", args=[inst.pk, f"{period:%Y-%m}"]),
                email=True,
            )
    if counts["due"] or counts["overdue"]:
        from xiake.brokerage import tasks

        tasks.enqueue(tasks.send_emails, "")
    return counts
