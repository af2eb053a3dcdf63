"""The daily cron commands (reminders of each app) share one shape: an optional ``--today`` to act
as (tests, catching up a missed day), the job run as the system (no request user), and what it did
printed on one line as ``label count, label count``."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from xiake.core.context import acting_as


class DailyJobCommand(BaseCommand):
    """Subclasses set ``help`` and ``job``: ``job(today: date | None) -> {label: count}``."""

    job = None

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to act as (YYYY-MM-DD)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        with acting_as(None):
            counts = type(self).job(day)
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
