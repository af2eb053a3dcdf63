"""xiake eval_triage [--sample N] [--json]: how often the suggested industry of a demand is right."""

import json

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand

from xiake.matching.triage import evaluate_industry


class Command(BaseCommand):
    help = (
        "Leave-one-out accuracy of the industry suggested for a demand from its text, beside the "
        "majority-industry baseline of the same demands (published demands only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sample", type=int, default=300, help="demands to score")
        parser.add_argument("--neighbours", type=int, default=10)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        result = evaluate_industry(
            AnonymousUser(), sample=opts["sample"], neighbours=opts["neighbours"]
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(", ".join(f"{k} {v}" for k, v in result.items()))
