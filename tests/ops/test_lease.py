"""Task worker leases (xiake/ops/lease.py) on the real database, SQLite or PostgreSQL: a lapsed
lease gives its worker's RUNNING tasks back, a live one never does, the renewal and the expiry
cannot both win, the third claim fails the task. The worker killed on another "node" is
tests/ops/test_faults.py (slow)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from xiake.ops import lease
from xiake.ops.models import WorkerHeartbeat
from xiake.ops.workers import MAX_ATTEMPTS, requeue_or_fail

pytestmark = pytest.mark.django_db

LEASE = 60.0


def running(*claimants, task_path="xiake.brokerage.tasks.send_emails"):
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        run_after=get_date_max(),
        started_at=timezone.now(),
        worker_ids=list(claimants),
    )


def silent_for(worker_id, seconds):
    """The worker last renewed its lease ``seconds`` ago (as after a crash that long ago)."""
    past = timezone.now() - timedelta(seconds=seconds)
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=past)


def status(task):
    return DBTaskResult.objects.get(pk=task.pk).status


def test_a_lapsed_lease_gives_its_task_back_and_a_live_one_keeps_its_task():
    lease.register("node-a:1", LEASE)
    lease.register("node-b:1", LEASE)
    alive, dead = running("node-a:1"), running("node-b:1")
    silent_for("node-a:1", LEASE - 10)  # late, but within its lease
    silent_for("node-b:1", LEASE + 1)

    assert lease.sweep(LEASE) == {"requeued": 1, "failed": 0}
    assert status(alive) == "RUNNING"
    assert status(dead) == "READY"
    assert DBTaskResult.objects.get(pk=dead.pk).started_at is None
    assert WorkerHeartbeat.objects.get(worker_id="node-a:1").expired_at is None
    assert WorkerHeartbeat.objects.get(worker_id="node-b:1").expired_at is not None
    # the dead worker, should it wake up, finds its lease gone; the live one renews
    assert lease.beat("node-b:1") is False
    assert lease.beat("node-a:1") is True
    assert lease.sweep(LEASE) == {"requeued": 0, "failed": 0}  # nothing twice


def test_a_renewal_before_the_sweep_keeps_the_lease():
    lease.register("node-a:1", LEASE)
    task = running("node-a:1")
    silent_for("node-a:1", LEASE + 5)
    assert lease.beat("node-a:1") is True  # renewed just before the sweep runs
    assert lease.sweep(LEASE) == {"requeued": 0, "failed": 0}
    assert status(task) == "RUNNING"


def test_the_third_worker_death_fails_the_task_with_a_reason():
    claimants = [f"node-{i}:1" for i in range(MAX_ATTEMPTS)]
    for worker_id in claimants:
        lease.register(worker_id, LEASE)
    task = running(*claimants)
    silent_for(claimants[-1], LEASE + 1)
    assert lease.sweep(LEASE) == {"requeued": 0, "failed": 1}
    row = DBTaskResult.objects.get(pk=task.pk)
    assert row.status == "FAILED" and row.finished_at is not None
    assert f"died {MAX_ATTEMPTS} times" in row.traceback and claimants[0] in row.traceback


def test_a_task_claimed_by_an_expired_worker_after_its_expiry_is_given_back_too():
    lease.register("node-b:1", LEASE)
    silent_for("node-b:1", LEASE + 1)
    assert lease.sweep(LEASE) == {"requeued": 0, "failed": 0}  # expired, nothing running yet
    late = running("node-b:1")  # it claimed one more before it noticed
    assert lease.sweep(LEASE) == {"requeued": 1, "failed": 0}
    assert status(late) == "READY"


def test_the_requeue_is_conditional_on_the_claim_it_read():
    task = running("node-b:1")
    seen = DBTaskResult.objects.get(pk=task.pk)
    # meanwhile the task was put back and claimed again by another worker
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() + timedelta(seconds=1), worker_ids=["node-b:1", "node-c:1"]
    )
    outcome = requeue_or_fail(seen.pk, seen.worker_ids, seen.task_path, seen.started_at, "test")
    assert outcome is None and status(task) == "RUNNING"
    # or it finished: a finished task is never put back
    DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
    fresh = DBTaskResult.objects.get(pk=task.pk)
    assert (
        requeue_or_fail(fresh.pk, fresh.worker_ids, fresh.task_path, fresh.started_at, "t") is None
    )
    assert status(task) == "SUCCESSFUL"


def test_a_worker_without_a_lease_is_left_alone():
    task = running("plain-db-worker")  # started with `xiake db_worker`: no heartbeat row
    assert lease.sweep(LEASE) == {"requeued": 0, "failed": 0}
    assert status(task) == "RUNNING"


def test_an_id_with_a_live_lease_is_refused_and_a_dead_ones_id_is_taken_over():
    lease.register("fixed-id", LEASE)
    with pytest.raises(lease.WorkerIdInUse, match="fixed-id"):
        lease.register("fixed-id", LEASE)
    left = running("fixed-id")
    silent_for("fixed-id", LEASE + 1)
    lease.register("fixed-id", LEASE)  # its former holder died: its task is back first
    assert status(left) == "READY"
    row = WorkerHeartbeat.objects.get(worker_id="fixed-id")
    assert row.expired_at is None and lease.beat("fixed-id")


def test_expired_leases_are_pruned_after_a_day():
    lease.register("old", LEASE)
    lease.expire_workers(["old"])
    WorkerHeartbeat.objects.filter(worker_id="old").update(
        expired_at=timezone.now() - lease.PRUNE_AFTER - timedelta(minutes=1)
    )
    lease.register("recent", LEASE)
    lease.sweep(LEASE)
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


def test_a_lease_of_zero_is_a_configuration_error(settings):
    settings.TASK_WORKER_LEASE_SECONDS = 0
    with pytest.raises(Exception, match="TASK_WORKER_LEASE_SECONDS must be positive"):
        lease.sweep()


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)  # its thread has its own connection
def test_the_heartbeat_thread_renews_the_lease_and_stops_the_worker_when_it_is_taken():
    lost = []
    event = threading.Event()

    def on_lost(reason):
        lost.append(reason)
        event.set()

    beat = lease.Heartbeat("node-a:thread", lease=6, on_lost=on_lost).start()
    try:
        first = WorkerHeartbeat.objects.get(worker_id="node-a:thread").seen_at
        assert wait_until(
            lambda: WorkerHeartbeat.objects.get(worker_id="node-a:thread").seen_at > first
        )
        # another node's sweep expired it (as if it had been silent for the whole lease)
        lease.expire_workers(["node-a:thread"])
        assert event.wait(20), "the worker was not stopped"
        assert "expired" in lost[0]
    finally:
        beat.stop()


def test_a_worker_stopping_normally_gives_its_lease_up():
    beat = lease.Heartbeat("node-a:stop", lease=LEASE, on_lost=lambda reason: None).start()
    task = running("node-a:stop")  # as if a second Ctrl-C had cut a task short
    beat.stop()
    assert WorkerHeartbeat.objects.get(worker_id="node-a:stop").expired_at is not None
    assert lease.sweep(LEASE) == {"requeued": 1, "failed": 0}
    assert status(task) == "READY"


@pytest.mark.django_db(transaction=True)
def test_task_worker_runs_the_task_a_lapsed_worker_left_and_then_gives_its_lease_up(settings):
    settings.TASK_WORKER_LEASE_SECONDS = LEASE
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lease.register("node-b:gone", LEASE)
    task = running("node-b:gone")
    silent_for("node-b:gone", LEASE + 1)
    args = ["--batch", "--no-startup-delay", "--no-reload", "--worker-id", "node-a:batch"]
    call_command("task_worker", *args, verbosity=0)
    row = DBTaskResult.objects.get(pk=task.pk)
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.worker_ids == ["node-b:gone", "node-a:batch"]
    assert WorkerHeartbeat.objects.get(worker_id="node-a:batch").expired_at is not None
    with pytest.raises(CommandError, match="held by pid"):
        lease.register("busy", LEASE)
        call_command("task_worker", "--batch", "--no-reload", "--worker-id", "busy", verbosity=0)
