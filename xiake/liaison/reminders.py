"""Reminders: overdue meeting tasks and consultations close to or past their service-level date.

Run by `xiake liaison_reminders` (cron or a task worker). Every reminder is written to the change log
(so "was the owner told?" has an answer) and mailed to the responsible people who have an address.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from xiake.core.changelog import record_event
from xiake.core.models import ChangeAction


def _notify(obj, recipients, subject, body) -> None:
    record_event(ChangeAction.UPDATE, comment=f"reminder: {subject}", obj=obj)
    addresses = sorted({u.email for u in recipients if getattr(u, "email", "")})
    if addresses:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True)


def remind_overdue_tasks(today=None) -> int:
    from xiake.liaison.models import Task

    today = today or timezone.localdate()
    n = 0
    for task in Task.objects.overdue(today).select_related("owner_org", "decision__meeting"):
        members = list(task.owner_org.members.all()) if task.owner_org_id else []
        _notify(
            task,
            members,
            f"[霞科] 联席会议任务已逾期：{task.title}",
            f"{task.decision.meeting}：任务“{task.title}”应于 {task.due_on:%Y-%m-%d} 完成，请尽快办理并上传佐证材料。",
        )
        n += 1
    return n


def run(today=None) -> dict:
    counts = {"overdue tasks": remind_overdue_tasks(today)}
    try:
        from xiake.liaison.models.consultations import remind_consultations
    except ImportError:
        return counts
    counts["consultations"] = remind_consultations(_notify, today)
    return counts
