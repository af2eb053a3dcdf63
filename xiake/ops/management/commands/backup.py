"""xiake backup: archive the database and uploaded files with a verifiable manifest (docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from xiake.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database (online) and MEDIA_ROOT into one .tar.gz with a manifest."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="directory for the archive (default VAR_DIR/backups)", default=None
        )

    def handle(self, *args, output=None, **opts):
        try:
            path = create_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
