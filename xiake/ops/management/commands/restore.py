"""xiake restore ARCHIVE: verify a backup completely, then restore it and rebuild the search index."""

from django.core.management.base import BaseCommand, CommandError

from xiake.ops.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Restore the database and MEDIA_ROOT from an archive made by `xiake backup`, after checking "
        "every checksum; refuses a database that holds data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )
        parser.add_argument(
            "--check", action="store_true", help="only verify the archive; write nothing"
        )
        parser.add_argument(
            "--no-reindex", action="store_true", help="skip the search index rebuild"
        )

    def handle(self, *args, archive, force=False, check=False, no_reindex=False, **opts):
        try:
            if check:
                manifest = read_manifest(archive)
                self.stdout.write(
                    f"{archive}: verified, {manifest['engine']}, {len(manifest['tables'])} tables, "
                    f"{sum(manifest['tables'].values())} rows, {len(manifest['files'])} files"
                )
                return
            result = restore_backup(archive, force=force, reindex=not no_reindex)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {result.archive}: {result.tables} tables, {result.rows} rows, "
            f"{result.files} files verified; search index "
            + ("rebuilt" if result.reindexed else "not rebuilt")
        )
