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
random id, are left alone here: only ``--worker ID`` names them, and the workers' leases
(``xiake.ops.lease``, the other path to :func:`requeue_or_fail`) hand them back from any node.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import traceback
from pathlib import Path

from django.utils import timezone
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


def running_tasks() -> list[tuple]:
    """``(pk, worker ids, task path, started_at)`` of every RUNNING task (a handful at most)."""
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
            "pk", "worker_ids", "task_path", "started_at"
        )
    )


def requeue_or_fail(pk, claimants: list, task_path: str, started_at, why: str) -> str | None:
    """Put one RUNNING task back in the queue, or fail it after ``MAX_ATTEMPTS`` claims.

    A single conditional UPDATE on the claim as it was read (still RUNNING, same ``started_at``,
    which every claim sets anew): if the task finished meanwhile, or another sweep or worker got
    there first, nothing changes. Returns ``"requeued"``, ``"failed"`` or None (left alone).
    """
    from django_tasks_db.models import DBTaskResult

    claim = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING)
    claim = claim.filter(started_at=started_at) if started_at else claim.filter(started_at=None)
    last = claimants[-1] if claimants else ""
    if len(claimants) >= MAX_ATTEMPTS:
        error = RuntimeError(
            f"the worker died {len(claimants)} times while running this task "
            f"({', '.join(claimants)}); not tried again"
        )
        changed = claim.update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
            traceback="".join(traceback.format_exception(error)),
            return_value=None,
        )
        if changed:
            logger.error("task %s (%s) failed: its workers kept dying", pk, task_path)
            return "failed"
        return None
    if claim.update(status=TaskResultStatus.READY, started_at=None):
        logger.warning("task %s (%s) requeued: worker %s %s", pk, task_path, last, why)
        return "requeued"
    return None


def requeue_abandoned(worker_ids=()) -> dict:
    """READY again (or FAILED after MAX_ATTEMPTS claims) every RUNNING task whose worker is gone
    from this host (or is one of ``worker_ids`` and not running here)."""
    from xiake.ops.lease import expire_workers

    named = set(worker_ids)
    running = running_tasks()
    counts = {"requeued": 0, "failed": 0}
    if not running:
        return counts
    live = live_worker_ids() if os.path.isdir("/proc") else set()
    gone = set()
    for pk, claimants, task_path, started_at in running:
        last = claimants[-1] if claimants else ""
        if not abandoned(last, live, named):
            continue
        gone.add(last)
        outcome = requeue_or_fail(pk, claimants, task_path, started_at, "is gone")
        if outcome:
            counts[outcome] += 1
    expire_workers(gone)  # their leases too: known dead, no need to wait for them to lapse
    return counts
