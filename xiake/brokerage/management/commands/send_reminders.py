"""``xiake send_reminders [--today YYYY-MM-DD]``: cases sitting too long in a stage and
registration deadlines approaching or overdue (cron, daily). Idempotent."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from xiake.brokerage.reminders import send_reminders


class Command(BaseCommand):
    help = "Remind managers of stale docking cases and registrars of registration deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to act as (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        counts = send_reminders(day)
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
