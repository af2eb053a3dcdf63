"""xiake index_status [--json]: this node's index: health, documents, cursor and feed lag."""

import json

from django.core.management.base import BaseCommand

from xiake.matching.engine import engine


class Command(BaseCommand):
    help = "Report the search index's health, document count and how far it lags the change feed."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        status = engine().status()
        if opts["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False, indent=2))
            return
        for key, value in status.items():
            self.stdout.write(f"{key:<18} {value}")
