"""``xiake liaison_reminders [--today YYYY-MM-DD]``: overdue meeting tasks and consultations near
their service-level date (cron, daily). Idempotent."""

from xiake.core.management.jobs import DailyJobCommand
from xiake.liaison import reminders


class Command(DailyJobCommand):
    help = (
        "Remind owners of overdue meeting tasks and officers of consultations near their SLA date."
    )
    job = staticmethod(reminders.run)
