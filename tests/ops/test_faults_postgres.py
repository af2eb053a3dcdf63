"""PostgreSQL restarted under load: gunicorn keeps answering, cleanly, and recovers by itself.

A private PostgreSQL cluster (Debian's initdb/pg_ctl, a temporary data directory, its own port;
never the shared server) serves a gunicorn started on it. Requests run continuously from two
threads while the cluster is restarted (``pg_ctl restart -m fast``) and then stopped for a few
seconds and started again. "Cleanly" means: every answer is 200, or 503 with Retry-After and a
page or JSON without a traceback, none takes longer than the client's timeout, and once the
database is back every request succeeds again without restarting gunicorn (its persistent
connections are health-checked, settings.CONN_HEALTH_CHECKS).

Slow: run with ``make test-slow``. Skipped, loudly, where Debian's PostgreSQL server binaries
are missing (`make install-test` installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.ops.faultkit import ROOT, base_env, migrate

pytestmark = pytest.mark.slow

PORTS = range(8170, 8180)  # this work's port range on the shared development machine
TIMEOUT = 10  # seconds a client waits for an answer; longer counts as a hang


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def free_port(skip=()) -> int:
    for port in PORTS:
        if port in skip:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # all taken: any free port
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster, run as the postgres user when we are root."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="xiake-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def run(self, tool, *args, check=True):
        argv = [*self.as_user, str(self.bindir / tool), *map(str, args)]
        return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)

    def pg_ctl(self, *args, check=True):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        log = self.dir / "server.log"
        return self.run(
            "pg_ctl", "-D", self.data, "-l", log, "-o", options, "-w", *args, check=check
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/xiake"

    def close(self):
        self.pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    bindir = pg_bin()
    if bindir is None:
        pytest.skip(
            "NOT RUN: PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing; "
            "`make install-test` installs Debian's postgresql package"
        )
    c = Cluster(bindir)
    try:
        c.pg_ctl("start")
        c.run("createdb", "-h", "127.0.0.1", "-p", c.port, "-U", "postgres", "xiake")
        yield c
    finally:
        c.close()


def start_gunicorn(env, port, log: Path):
    # the log goes to a file: a pipe nobody reads fills up with the logged tracebacks of the
    # outage, and then every worker thread blocks writing to it
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "xiake.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        # one worker: its first requests are slow (lazy imports), so the test warms it up first
        + ["--workers", "1", "--threads", "4", "--timeout", "30"],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("gunicorn did not answer in time")


class Load:
    """Two threads requesting a page and an API list (both read the database) without pause."""

    def __init__(self, base):
        self.urls = [f"{base}/catalog/achievements/", f"{base}/api/v1/achievements/"]
        self.answers: list[tuple[float, str, int | str, str, float, str]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(u,)) for u in self.urls]

    def loop(self, url):
        session = requests.Session()
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                r = session.get(url, timeout=TIMEOUT)
                answer = (r.status_code, r.text, r.headers.get("Retry-After", ""))
            except requests.RequestException as exc:
                answer = (type(exc).__name__, str(exc), "")
            self.answers.append((started, url, *answer, time.monotonic() - started))
            time.sleep(0.02)

    def wait_for_each_url(self, status, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(any(a[1] == u and a[2] == status for a in self.answers) for u in self.urls):
                return
            time.sleep(0.1)
        raise AssertionError(f"no {status} from every URL within {timeout} s: {self.answers[-4:]}")

    def since(self, t):
        return [a for a in self.answers if a[0] >= t]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=TIMEOUT + 5)


def clean(answer) -> bool:
    _t, url, status, body, retry_after, elapsed = answer
    if elapsed >= TIMEOUT:
        return False
    if status == 200:
        return True
    if status != 503 or retry_after != "5" or "Traceback" in body:
        return False
    if "/api/" in url:
        return body.startswith('{"detail":')
    return 'class="xk-error-code"' in body and "503" in body


def test_postgres_restart_under_load_fails_cleanly_and_recovers_without_an_app_restart(
    cluster, tmp_path
):
    env = {**base_env(tmp_path / "var"), "DATABASE_URL": cluster.url}
    migrate(env)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from tests.factories import make_achievement, make_org\n"
            "org = make_org('重启测试大学', 'university')\n"
            "[make_achievement(org) for _ in range(5)]",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "xiake.settings"},
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    port = free_port(skip={cluster.port})
    log = tmp_path / "gunicorn.log"
    server = start_gunicorn(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        with Load(base) as load:
            load.wait_for_each_url(200)
            restart_at = time.monotonic()
            cluster.pg_ctl("restart", "-m", "fast")
            time.sleep(2)
            stop_at = time.monotonic()
            cluster.pg_ctl("stop", "-m", "fast")
            time.sleep(3)
            down = load.since(stop_at)
            health = requests.get(f"{base}/health/", timeout=TIMEOUT)
            start_at = time.monotonic()
            cluster.pg_ctl("start")
            back_at = time.monotonic()
            time.sleep(4)
        answers = load.answers
        before = [a for a in answers if a[0] + a[5] < restart_at]  # answered before the restart
        after = [a for a in answers if a[0] >= back_at + 1]
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        output = log.read_text()

    events = {"restart": restart_at, "stop": stop_at, "start": start_at, "back": back_at}

    def show(rows):
        t0 = answers[0][0]
        lines = [" ".join(f"{k} {v - t0:.2f}" for k, v in events.items())]
        lines += [f"{a[0] - t0:.2f} {a[1]} {a[2]} {a[5]:.2f}s {a[3][:200]!r}" for a in rows[:20]]
        return "\n".join(lines)

    assert before and all(a[2] == 200 for a in before), show(before)
    unclean = [a for a in answers if not clean(a)]
    assert not unclean, show(unclean) + "\n" + output[-3000:]
    # while the database was down the pages and the API said 503, promptly; the probe stayed up
    outage = [a for a in down if a[0] < start_at]
    assert any(a[2] == 503 for a in outage) and any("/api/" in a[1] and a[2] == 503 for a in outage)
    assert health.status_code == 200
    # a second after the database was back every request succeeded, on the same gunicorn
    assert after and all(a[2] == 200 for a in after), show([a for a in after if a[2] != 200])
    assert output.count("Booting worker") == 1  # the same worker process all along
