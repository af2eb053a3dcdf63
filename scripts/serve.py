#!/usr/bin/env python3
"""What `make run` runs: the web server and, beside it, the background task worker.

Usage::

    python scripts/serve.py -- .venv/bin/gunicorn xiake.wsgi:application --bind 127.0.0.1:8000

Everything after ``--`` is the server's command line. When the task backend is the database
queue (``django_tasks_db``, the default; see ``TASKS`` in xiake/settings.py) the script also
starts ``xiake task_worker`` (django_tasks_db's ``db_worker`` holding a lease) for every queue, which runs the compilations, pushes and e-mails the
pages enqueue. With another backend (``TASKS_BACKEND``, e.g. the immediate one) no worker is
needed and only the server runs.

Both children get their own process group, so a Ctrl-C in the terminal reaches this script only
and it stops them in order: the server first, then the worker, which finishes the task it is
running (a compilation of ~600 pages takes well under a minute) before it exits; after
``--grace`` seconds it is killed. A worker that dies is started again (at most once every 5 s);
when the server exits, the worker is stopped and the script exits with the server's code.

Each worker gets an id naming this host (``xiake.ops.workers``). Before a worker starts, and
again before a dead one is replaced, ``xiake requeue_tasks`` puts the tasks a killed worker left
RUNNING back in the queue, so they run again instead of staying half done
(tests/ops/test_faults.py kills a worker in the middle of a push fan-out). On another node the
worker's lease does the same after ``TASK_WORKER_LEASE_SECONDS`` (``xiake.ops.lease``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# this checkout's code, also when the venv's editable install points at another one
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESTART_DELAY = 5.0


def database_queue() -> bool:
    """Whether the default task backend is the database queue (which needs a worker)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    from django.conf import settings

    return settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db.")


def log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def stop(proc: subprocess.Popen | None, name: str, grace: float) -> int | None:
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    log(f"stopping the {name} (pid {proc.pid})")
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"the {name} did not stop within {grace:.0f} s: killing it")
        proc.kill()
        return proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grace", type=float, default=60.0, help="seconds to wait for a stop")
    parser.add_argument("server", nargs=argparse.REMAINDER, help="-- the server's command line")
    args = parser.parse_args(argv)
    server_cmd = args.server[1:] if args.server[:1] == ["--"] else args.server
    if not server_cmd:
        parser.error("give the server's command line after --")

    worker_cmd = None
    if database_queue():
        worker_cmd = [sys.executable, "-m", "xiake", "task_worker", "--queue-name", "*"]
        worker_cmd += ["--no-reload", "--verbosity", "1"]

    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    def start_worker():
        from xiake.ops.workers import new_worker_id

        # tasks a dead worker left RUNNING go back in the queue first
        requeue = subprocess.run([sys.executable, "-m", "xiake", "requeue_tasks"], check=False)
        if requeue.returncode:
            log(f"requeue_tasks exited with {requeue.returncode}")
        cmd = [*worker_cmd, "--worker-id", new_worker_id()]
        proc = subprocess.Popen(cmd, start_new_session=True)
        log(f"task worker started (pid {proc.pid}): {' '.join(cmd[2:])}")
        return proc

    worker = start_worker() if worker_cmd else None
    worker_started = time.monotonic()
    if worker is None:
        log("the task backend runs tasks itself: no worker started")
    server = subprocess.Popen(server_cmd, start_new_session=True)
    code = 0
    try:
        while not stopping:
            if server.poll() is not None:
                code = server.returncode
                log(f"the server exited with {code}")
                break
            if worker is not None and worker.poll() is not None:
                if time.monotonic() - worker_started >= RESTART_DELAY:
                    log(f"the task worker exited with {worker.returncode}: starting it again")
                    worker = start_worker()
                    worker_started = time.monotonic()
            time.sleep(0.2)
    finally:
        server_code = stop(server, "server", args.grace)
        if stopping and server_code is not None:
            code = server_code
        stop(worker, "task worker", args.grace)
    return code


if __name__ == "__main__":
    sys.exit(main())
