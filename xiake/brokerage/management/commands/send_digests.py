"""``xiake send_digests --period daily|weekly``: the subscription digests (cron, once a day/week).

Idempotent: a user gets one digest per day (daily) or ISO week (weekly), however often it runs.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xiake.brokerage.subscriptions import send_digests


class Command(BaseCommand):
    help = "Send the daily or weekly subscription digests."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=("daily", "weekly"), required=True)
        parser.add_argument("--now", help="ISO date-time to act as (tests, catching up)")

    def handle(self, *args, period, now=None, **options):
        when = None
        if now:
            try:
                when = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        counts = send_digests(period, when)
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
