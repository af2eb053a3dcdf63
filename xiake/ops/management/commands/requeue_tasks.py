"""xiake requeue_tasks: run again the tasks a dead worker left RUNNING (docs/operations.md)."""

from django.core.management.base import BaseCommand

from xiake.ops.lease import sweep
from xiake.ops.workers import requeue_abandoned


class Command(BaseCommand):
    help = (
        "Put RUNNING tasks whose worker no longer runs back in the queue: workers of this host "
        "(or named with --worker) without a process, and workers of any host whose lease "
        "(TASK_WORKER_LEASE_SECONDS) lapsed; scripts/serve.py runs this before it starts a worker."
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
        here = requeue_abandoned(worker)
        leased = sweep()
        requeued, failed = here["requeued"] + leased["requeued"], here["failed"] + leased["failed"]
        if requeued or failed or opts["verbosity"] > 1:
            self.stdout.write(
                f"{requeued} tasks requeued, {failed} failed after repeated worker deaths"
            )
