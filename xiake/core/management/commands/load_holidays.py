"""Load one year of the official holiday calendar from a JSON file (see xiake.core.calendar)."""

from django.core.management.base import BaseCommand, CommandError

from xiake.core.calendar import HolidayDataError, load_file


class Command(BaseCommand):
    help = "Load a year of public holidays and adjusted working days from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        try:
            n = load_file(opts["file"])
        except (HolidayDataError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{n} days loaded from {opts['file']}")
