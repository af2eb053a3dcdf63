"""``xiake send_reminders [--today YYYY-MM-DD]``: cases sitting too long in a stage and
registration deadlines approaching or overdue (cron, daily). Idempotent."""

from xiake.brokerage.reminders import send_reminders
from xiake.core.management.jobs import DailyJobCommand


class Command(DailyJobCommand):
    help = "Remind managers of stale docking cases and registrars of registration deadlines."
    job = staticmethod(send_reminders)
