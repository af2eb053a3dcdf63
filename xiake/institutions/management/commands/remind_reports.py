"""``xiake remind_reports [--today YYYY-MM-DD]``: remind the reporters of institutions whose
monthly report is due or overdue (cron, daily). Idempotent."""

from xiake.core.management.jobs import DailyJobCommand
from xiake.institutions.reminders import send_report_reminders


class Command(DailyJobCommand):
    help = "Remind institution reporters of monthly reports due soon or overdue."
    job = staticmethod(send_report_reminders)
