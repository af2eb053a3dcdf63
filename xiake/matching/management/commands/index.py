"""xiake index [--loop] [--interval S] [--prune DAYS]: apply the change feed to this node's index."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from xiake.matching.engine import engine
from xiake.matching.models import IndexChange


class Command(BaseCommand):
    help = "Apply pending index changes once, or keep doing so with --loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--prune", type=int, metavar="DAYS", help="delete feed rows older than DAYS and exit"
        )

    def handle(self, *args, **opts):
        if opts["prune"] is not None:
            cutoff = timezone.now() - timedelta(days=opts["prune"])
            n, _ = IndexChange.objects.filter(created_at__lt=cutoff).delete()
            self.stdout.write(f"pruned {n} feed rows older than {opts['prune']} days")
            return
        eng = engine()
        while True:
            result = eng.sync()
            if result.get("applied") or result.get("rebuilt"):
                self.stdout.write(str(result))
            if not opts["loop"]:
                return
            close_old_connections()
            time.sleep(opts["interval"])
