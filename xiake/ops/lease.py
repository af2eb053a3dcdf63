"""Leases of task workers: the tasks of a node that died for good go back in the queue.

``xiake.ops.workers`` requeues the tasks of a dead worker *of this host* (it looks for the worker's
process); when several app nodes share one PostgreSQL and a node dies for good (power, disk,
decommissioned), no process on the others can tell. So every worker started with
``xiake task_worker`` holds a lease, a :class:`~xiake.ops.models.WorkerHeartbeat` row it renews
every ``lease / 6`` seconds from a thread of its own (so also while a long task runs):

- any worker, on each renewal, runs :func:`sweep`: rows not renewed for ``TASK_WORKER_LEASE_SECONDS``
  (by the database's clock, the one clock all nodes share) are marked expired in one conditional
  UPDATE, and the RUNNING tasks whose last claimant is an expired worker are put back in the queue
  (or failed after ``MAX_ATTEMPTS`` claims) by :func:`xiake.ops.workers.requeue_or_fail`;
- a worker's renewal is itself conditional (``expired_at IS NULL``): the renewal and the expiry
  cannot both win. A worker that finds its lease expired, or could not renew it for 3/4 of the
  lease (database unreachable), stops at once (:data:`EXIT_LEASE_LOST`): by the time another node
  may run its task it no longer runs anything.

A worker that stops normally expires its own row; ``xiake requeue_tasks`` runs :func:`sweep` too.
Tasks claimed by a worker without a lease (plain ``xiake db_worker``) are never taken from it here.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.db.models.functions import Now

logger = logging.getLogger(__name__)

EXIT_LEASE_LOST = 75  # EX_TEMPFAIL: serve.py and systemd start the worker again
PRUNE_AFTER = timedelta(days=1)  # expired leases kept this long (for the record, and late claims)


class WorkerIdInUse(RuntimeError):
    """Another live worker holds a lease under this id."""


def lease_seconds() -> float:
    lease = float(settings.TASK_WORKER_LEASE_SECONDS)
    if lease <= 0:
        raise ImproperlyConfigured(f"TASK_WORKER_LEASE_SECONDS must be positive, not {lease:g}.")
    return lease


def _heartbeats():
    from xiake.ops.models import WorkerHeartbeat

    return WorkerHeartbeat.objects


def register(worker_id: str, lease: float | None = None):
    """Take the lease for ``worker_id`` in this process; refuse an id whose lease is live."""
    from xiake.ops.workers import host

    lease = lease_seconds() if lease is None else lease
    sweep(lease)  # a previous holder of the id that died is expired (and its tasks requeued) first
    live = _heartbeats().filter(worker_id=worker_id, expired_at=None)
    holder = live.first()
    if holder is not None:
        raise WorkerIdInUse(
            f"worker id {worker_id!r} is held by pid {holder.pid} on {holder.host} (last "
            f"heartbeat {holder.seen_at:%Y-%m-%d %H:%M:%S}); give each worker its own id"
        )
    fields = {"host": host(), "pid": os.getpid(), "started_at": Now(), "seen_at": Now()}
    if not _heartbeats().filter(worker_id=worker_id).update(**fields, expired_at=None):
        _heartbeats().create(worker_id=worker_id, **fields)


def beat(worker_id: str) -> bool:
    """Renew the lease; False when it has expired (the caller must stop running tasks)."""
    return _heartbeats().filter(worker_id=worker_id, expired_at=None).update(seen_at=Now()) == 1


def expire_workers(worker_ids) -> int:
    """End these workers' leases now (a worker stopping normally, or one known to be dead)."""
    worker_ids = [w for w in worker_ids if w]
    if not worker_ids:
        return 0
    return _heartbeats().filter(worker_id__in=worker_ids, expired_at=None).update(expired_at=Now())


def sweep(lease: float | None = None) -> dict:
    """Expire the leases not renewed for ``lease`` seconds and requeue their workers' tasks."""
    from xiake.ops.workers import requeue_or_fail, running_tasks

    lease = lease_seconds() if lease is None else lease
    stale = _heartbeats().filter(expired_at=None, seen_at__lt=Now() - timedelta(seconds=lease))
    stale_ids = list(stale.values_list("worker_id", flat=True))
    if stale_ids:
        # the conditions again in the UPDATE: a renewal committed in between keeps its lease
        if stale.filter(worker_id__in=stale_ids).update(expired_at=Now()):
            logger.warning(
                "task worker lease expired (no heartbeat for %s s): %s", lease, stale_ids
            )
    counts = {"requeued": 0, "failed": 0}
    running = running_tasks()
    lasts = {claimants[-1] for _pk, claimants, _path, _at in running if claimants}
    if lasts:
        dead = set(
            _heartbeats()
            .filter(worker_id__in=lasts, expired_at__isnull=False)
            .values_list("worker_id", flat=True)
        )
        for pk, claimants, task_path, started_at in running:
            if claimants and claimants[-1] in dead:
                outcome = requeue_or_fail(pk, claimants, task_path, started_at, "lost its lease")
                if outcome:
                    counts[outcome] += 1
    _heartbeats().filter(expired_at__lt=Now() - PRUNE_AFTER).delete()
    return counts


def _stop_process(reason: str) -> None:
    logger.critical("task worker stops: %s", reason)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(EXIT_LEASE_LOST)  # no cleanup that could still write a task's outcome


class Heartbeat:
    """The lease of this worker process, renewed by a daemon thread; a watchdog thread stops the
    process (``on_lost``) when the lease is lost or could not be renewed in time."""

    def __init__(self, worker_id: str, lease: float | None = None, on_lost=_stop_process):
        self.worker_id = worker_id
        self.lease = lease_seconds() if lease is None else lease
        self.interval = self.lease / 6
        self.on_lost = on_lost
        self.last_renewed = time.monotonic()
        self.lost: str | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Heartbeat:
        register(self.worker_id, self.lease)
        self.last_renewed = time.monotonic()
        for target, name in ((self._renew, "lease"), (self._watch, "lease-watchdog")):
            thread = threading.Thread(target=target, name=f"task-worker-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop renewing and give the lease up (a worker stopping normally)."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=self.lease)
        if self.lost is None:
            expire_workers([self.worker_id])

    def _lose(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            self._stopping.set()
            self.on_lost(reason)

    def _renew(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                started = time.monotonic()
                try:
                    renewed = beat(self.worker_id)
                except DatabaseError as exc:
                    logger.warning("task worker %s: heartbeat failed: %s", self.worker_id, exc)
                    connection.close()  # a new connection next time
                    continue
                if not renewed:
                    self._lose(f"its lease ({self.worker_id}) expired: another node took its tasks")
                    return
                self.last_renewed = started
                try:
                    sweep(self.lease)
                except DatabaseError as exc:  # the next renewal sweeps again
                    logger.warning("task worker %s: lease sweep failed: %s", self.worker_id, exc)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    def _watch(self) -> None:
        limit = self.lease * 3 / 4
        while not self._stopping.wait(self.interval / 2):
            silent = time.monotonic() - self.last_renewed
            if silent > limit:
                self._lose(f"its lease could not be renewed for {silent:.0f} s (limit {limit:.0f})")
                return
