"""``xiake load_taxonomy``: load the built-in lists or full classification tables from JSONL."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from xiake.taxonomy.api import invalidate_choices
from xiake.taxonomy.loading import LoadError, load_builtin, load_file
from xiake.taxonomy.models import Scheme

FILE_SCHEMES = ["gbt4754", "gbt13745", "ipc", "sei2018"]


class Command(BaseCommand):
    help = (
        "Load taxonomies. --builtin (re)loads the lists shipped with xiake; "
        "--scheme CODE --file PATH loads a full table from JSONL (.gz read transparently); "
        "--list shows schemes, versions and term counts. Loads are idempotent and all-or-nothing."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version (the scheme version) replaces Django's --version (the Django version).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--builtin", action="store_true", help="(re)load the shipped lists")
        parser.add_argument(
            "--scheme",
            help=f"scheme code to load from --file ({', '.join(FILE_SCHEMES)}, or any code, "
            "e.g. chain, with a code/name/level/parent file)",
        )
        parser.add_argument("--file", help="JSONL or JSONL.gz file")
        parser.add_argument("--version", dest="scheme_version", help="scheme version, e.g. 2017")
        parser.add_argument("--name", help="scheme name when the scheme is new")
        parser.add_argument(
            "--make-current", action="store_true", help="make this version the current one"
        )
        parser.add_argument("--list", action="store_true", help="list schemes and term counts")

    def handle(self, *args, **opts):
        if not (opts["builtin"] or opts["scheme"] or opts["list"]):
            raise CommandError("give --builtin, --scheme CODE --file PATH, or --list")
        if opts["builtin"]:
            started = time.monotonic()
            results = load_builtin()
            invalidate_choices()
            for r in results:
                self.stdout.write(str(r))
            self.stdout.write(
                self.style.SUCCESS(
                    f"built-in: {len(results)} scheme versions, "
                    f"{sum(r.total for r in results)} terms in {time.monotonic() - started:.1f}s"
                )
            )
        if opts["scheme"]:
            if not opts["file"]:
                raise CommandError("--scheme needs --file PATH")
            started = time.monotonic()
            try:
                result = load_file(
                    opts["scheme"],
                    opts["file"],
                    version=opts["scheme_version"],
                    make_current=opts["make_current"],
                    name=opts["name"],
                )
            except LoadError as exc:
                raise CommandError(f"{exc} — nothing was written") from exc
            invalidate_choices()
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(warning))
            self.stdout.write(self.style.SUCCESS(f"{result} in {time.monotonic() - started:.1f}s"))
        elif opts["file"]:
            raise CommandError("--file needs --scheme CODE")
        if opts["list"]:
            schemes = Scheme.objects.annotate(n=Count("terms")).order_by("code", "-version")
            for s in schemes:
                mark = "*" if s.is_current else " "
                self.stdout.write(f"{mark} {s.code:<18} {s.version:<10} {s.n:>7}  {s.name}")
