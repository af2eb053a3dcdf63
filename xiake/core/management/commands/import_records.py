"""Bulk import from the command line: the same validation and all-or-nothing rule as the web page."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiake.core import importer
from xiake.core.resources import registry


class Command(BaseCommand):
    help = "Import an .xlsx or .csv file into a library (e.g. catalog.achievement)."

    def add_arguments(self, parser):
        parser.add_argument("resource", help="app.model, e.g. catalog.achievement")
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="username the records are imported as")
        parser.add_argument(
            "--publish", action="store_true", help="publish the records (bureau accounts only)"
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="import the valid rows even if other rows have errors",
        )
        parser.add_argument("--errors", help="write the error report (.xlsx) to this path")

    def handle(self, *args, **options):
        from xiake.accounts.models import User

        resource = registry().get(options["resource"])
        if resource is None:
            raise CommandError(
                f"unknown library {options['resource']}; known: {', '.join(sorted(registry()))}"
            )
        try:
            user = User.objects.get(username=options["user"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['user']}") from None
        path = Path(options["file"])
        if not resource.policy().can_import(user):
            raise CommandError(f"{user} may not import into {options['resource']}")
        try:
            header, rows = importer.read_table(path.name, path.read_bytes())
        except importer.ImportRejected as exc:
            raise CommandError(str(exc)) from None
        validation = importer.validate(resource, user, header, rows)
        for error in validation.errors[:20]:
            self.stderr.write(f"row {error.row}, {error.column}: {error.message} ({error.value})")
        if validation.errors and options["errors"]:
            Path(options["errors"]).write_bytes(
                importer.error_report([e.as_dict() for e in validation.errors])
            )
        if validation.errors and not options["valid_only"]:
            raise CommandError(
                f"{len(validation.errors)} problems in {validation.total} rows; nothing imported"
            )
        counts = importer.apply(
            resource, user, validation, valid_only=options["valid_only"], publish=options["publish"]
        )
        self.stdout.write(
            f"{validation.total} rows: {counts['created']} created, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{validation.total - len(validation.valid_rows)} skipped"
        )
