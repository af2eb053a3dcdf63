"""xiake requeue_tasks: run again the tasks a dead worker left RUNNING (docs/operations.md)."""

from django.core.management.base import BaseCommand

from xiake.ops.workers import requeue_abandoned


class Command(BaseCommand):
    help = (
        "Put RUNNING tasks whose worker (of this host, or named with --worker) no longer runs "
        "back in the queue; scripts/serve.py runs this before it starts a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker",
            action="append",
            default=[],
            metavar="ID",
            help="also a worker id of another host or one started by hand (repeatable)",
        )

    def handle(self, *args, worker=(), **opts):
        result = requeue_abandoned(worker)
        if result["requeued"] or result["failed"] or opts["verbosity"] > 1:
            self.stdout.write(
                f"{result['requeued']} tasks requeued, {result['failed']} failed after "
                "repeated worker deaths"
            )
