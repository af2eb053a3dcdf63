"""``xiake push_matches [--days N]``: run the publication pushes again for demands and
achievements published in the last N days (default 7). Idempotent — offers are stored once and
notifications are unique per (user, event) — so it only fills what a deferred push (index being
rebuilt) left out. Run it from cron after `xiake reindex`, or hourly."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from xiake.brokerage import tasks


class Command(BaseCommand):
    help = "Retry the pushes of recently published demands and achievements."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days, **options):
        from xiake.catalog.models import Achievement, Demand

        since = timezone.now() - dt.timedelta(days=days)
        recent = Q(status="published", reviewed_at__gte=since)
        counts = {"demands": 0, "achievements": 0, "deferred": 0}
        for pk in Demand.objects.filter(recent, match_offers__isnull=True).values_list(
            "pk", flat=True
        ):
            result = tasks.enqueue(tasks.push_published_demand, pk)
            counts["demands"] += 1
            try:
                counts["deferred"] += bool((result.return_value or {}).get("deferred"))
            except ValueError:  # a queue backend: not run yet
                pass
        for pk in Achievement.objects.filter(recent).values_list("pk", flat=True):
            tasks.enqueue(tasks.push_published_achievement, pk)
            counts["achievements"] += 1
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
