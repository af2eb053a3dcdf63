"""``xiake prune_audit [--apply]``: delete audit records older than ``AUDIT_RETENTION_DAYS``.

A dry run by default (says how many would go); ``--apply`` deletes them and writes the pruning
itself to the log. Nothing younger than the retention is touched, and the database triggers refuse
anything younger than six months whatever this command is told.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from xiake.core.auditdb import MIN_RETENTION_DAYS
from xiake.core.changelog import record_event
from xiake.core.context import acting_as
from xiake.core.models import ChangeAction, ChangeRecord


class Command(BaseCommand):
    help = "Delete audit records older than AUDIT_RETENTION_DAYS (dry run unless --apply)."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="delete (default: only count)")

    def handle(self, *args, apply=False, **options):
        days = settings.AUDIT_RETENTION_DAYS
        if days < MIN_RETENTION_DAYS:  # the start-up check refuses this too
            raise CommandError(f"AUDIT_RETENTION_DAYS is {days}; at least {MIN_RETENTION_DAYS}.")
        cutoff = timezone.now() - dt.timedelta(days=days)
        old = ChangeRecord.objects.filter(time__lt=cutoff)
        if not apply:
            self.stdout.write(
                f"{old.count()} audit records older than {days} days (before "
                f"{cutoff:%Y-%m-%d %H:%M} UTC) would be deleted; run with --apply to delete them."
            )
            return
        with (
            acting_as(None, request_id=f"prune-{timezone.now():%Y%m%d%H%M%S}"),
            transaction.atomic(),
        ):
            deleted = ChangeRecord.objects.prune(cutoff)
            record_event(
                ChangeAction.PRUNE,
                comment=f"xiake prune_audit --apply: {deleted} records before "
                f"{cutoff.isoformat()} (retention {days} days)",
            )
        self.stdout.write(f"{deleted} audit records older than {days} days deleted.")
