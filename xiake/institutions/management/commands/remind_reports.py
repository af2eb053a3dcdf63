"""``xiake remind_reports [--today YYYY-MM-DD]``: remind the reporters of institutions whose
monthly report is due or overdue (cron, daily). Idempotent."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from xiake.institutions.reminders import send_report_reminders


class Command(BaseCommand):
    help = "Remind institution reporters of monthly reports due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to act as (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        counts = send_report_reminders(day)
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
