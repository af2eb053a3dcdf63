"""Tasks that a dead task worker left behind, put back in the queue.

django_tasks_db marks a task RUNNING when a worker claims it, and only that worker records the
outcome. A worker killed while it runs a task (SIGKILL, the OOM killer, a power cut) leaves the
task RUNNING for ever: no other worker takes it up, so a push fan-out or a compilation stops half
done. Our tasks are idempotent (notifications unique per user and event key, offers per demand and
target, e-mails claimed before sending, compilations rebuilt whole), so the remedy is to run such
a task again.

A worker started by ``scripts/serve.py`` gets the id ``<host>:<random>`` (:func:`new_worker_id`),
passed on its command line. A RUNNING task whose last claimant is a worker of this host and no live
process here carries that id on its command line is abandoned: :func:`requeue_abandoned` makes it
READY again, and fails it instead after ``MAX_ATTEMPTS`` claims (a task that kills its worker every
time must not kill the next one too). serve.py calls it (``xiake requeue_tasks``) before it starts
a worker and before each restart. Tasks of workers on other hosts, or started by hand with a
random id, are left alone: only ``--worker ID`` names them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path

from django.db import transaction
from django_tasks import TaskResultStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def host() -> str:
    return socket.gethostname()[:40]


def new_worker_id() -> str:
    """A worker id (≤ 64 characters) that says which host the worker runs on."""
    return f"{host()}:{secrets.token_hex(8)}"


def live_worker_ids(proc: Path = Path("/proc")) -> set[str]:
    """The ``--worker-id`` values on the command lines of this host's running processes."""
    ids = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile, or is not ours to read
            continue
        for i, arg in enumerate(argv[:-1]):
            if arg == b"--worker-id":
                ids.add(argv[i + 1].decode(errors="replace"))
            elif arg.startswith(b"--worker-id="):
                ids.add(arg.split(b"=", 1)[1].decode(errors="replace"))
    return ids


def abandoned(last: str, live: set[str], named: set[str]) -> bool:
    if last in named:
        return last not in live
    return last.startswith(f"{host()}:") and last not in live


def requeue_abandoned(worker_ids=()) -> dict:
    """READY again (or FAILED after MAX_ATTEMPTS claims) every RUNNING task whose worker is gone."""
    from django_tasks_db.models import DBTaskResult

    named = set(worker_ids)
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
            "pk", "worker_ids", "task_path"
        )
    )
    if not running:
        return {"requeued": 0, "failed": 0}
    live = live_worker_ids() if os.path.isdir("/proc") else set()
    requeued = failed = 0
    for pk, claimants, task_path in running:
        last = claimants[-1] if claimants else ""
        if not abandoned(last, live, named):
            continue
        with transaction.atomic():
            row = (
                DBTaskResult.objects.select_for_update()
                .filter(pk=pk, status=TaskResultStatus.RUNNING)
                .first()
            )
            if row is None or (row.worker_ids or [""])[-1] != last:
                continue  # finished or claimed again meanwhile
            if len(row.worker_ids) >= MAX_ATTEMPTS:
                row.set_failed(
                    RuntimeError(
                        f"the worker died {len(row.worker_ids)} times while running this task "
                        f"({', '.join(row.worker_ids)}); not tried again"
                    )
                )
                logger.error("task %s (%s) failed: its workers kept dying", pk, task_path)
                failed += 1
            else:
                row.status = TaskResultStatus.READY
                row.started_at = None
                row.save(update_fields=["status", "started_at"])
                logger.warning("task %s (%s) requeued: worker %s is gone", pk, task_path, last)
                requeued += 1
    return {"requeued": requeued, "failed": failed}
