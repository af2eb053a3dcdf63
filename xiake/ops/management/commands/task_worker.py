"""xiake task_worker: django_tasks_db's ``db_worker`` holding a lease (docs/operations.md).

The same worker loop and options as ``xiake db_worker``; beside it a thread renews this worker's
lease (``xiake.ops.lease``) and requeues the tasks of workers whose lease lapsed, on any node.
"""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from xiake.ops.lease import Heartbeat, WorkerIdInUse


class Command(DBWorkerCommand):
    help = (
        "Run the database task worker with a lease: its tasks go back in the queue when it stops "
        "renewing the lease (TASK_WORKER_LEASE_SECONDS), also seen from another node."
    )

    def handle(self, *args, **options):
        if options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)  # the reloader: its child runs the worker
        try:
            heartbeat = Heartbeat(options["worker_id"]).start()
        except WorkerIdInUse as exc:
            raise CommandError(str(exc)) from None
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
