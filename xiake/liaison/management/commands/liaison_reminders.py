from django.core.management.base import BaseCommand

from xiake.core.context import acting_as
from xiake.liaison import reminders


class Command(BaseCommand):
    help = (
        "Remind owners of overdue meeting tasks and officers of consultations near their SLA date."
    )

    def handle(self, *args, **options):
        with acting_as(None):
            counts = reminders.run()
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n}")
