"""What the fault tests share: a fresh platform per test that real processes run against.

Each :class:`Site` has its own ``XIAKE_VAR_DIR`` (index, media, cache) and its own database, copied
from a template migrated once per session: a SQLite file copy, or on PostgreSQL (``DATABASE_URL``)
``CREATE DATABASE … TEMPLATE``. The test process never opens that database itself: it starts
commands, the worker or gunicorn as subprocesses and asks for counts through :meth:`Site.query`
(a short Django script in another process), so what it sees is what a restarted process sees.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
FAULT_SITE = Path(__file__).resolve().parent / "faultsite"


def base_env(var_dir: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XIAKE_FAULT", "PYTEST_", "DJANGO_"))
    }
    env.update(
        {
            "XIAKE_VAR_DIR": str(var_dir),
            "PYTHONPATH": os.pathsep.join([str(FAULT_SITE), str(ROOT)]),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "PAGE_CACHE_SECONDS": "0",
            "RATE_LIMITS": "0",
            "LOGIN_LOCKOUT": "0",
            # DEBUG is off in these processes: accept the generated field-encryption keys
            "FIELD_ENCRYPTION_DEV_KEY": "1",
            "XIAKE_STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    env.pop("REDIS_URL", None)  # one cache per site (its var/cache), nothing shared between tests
    return env


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "xiake", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":")[0] in ("postgres", "postgresql") else None


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


class Template:
    """The migrated database every site starts from (one per test session)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.pg = postgres_url()
        env = base_env(directory)
        if self.pg:
            self.name = f"{urlsplit(self.pg).path.lstrip('/') or 'xiake'}_ftpl_{os.getpid()}"
            admin_sql(
                self.pg,
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                f'CREATE DATABASE "{self.name}"',
            )
            env["DATABASE_URL"] = with_database(self.pg, self.name)
        else:
            env.pop("DATABASE_URL", None)
        migrate(env)
        self.sites = 0

    def site(self, var_dir: Path) -> Site:
        self.sites += 1
        env = base_env(var_dir)
        if self.pg:
            name = f"{self.name}_{self.sites}"
            admin_sql(
                self.pg,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"',
            )
            env["DATABASE_URL"] = with_database(self.pg, name)
            return Site(var_dir, env, drop=name)
        env.pop("DATABASE_URL", None)
        var_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.directory / "xiake.sqlite3", var_dir / "xiake.sqlite3")
        return Site(var_dir, env)

    def close(self) -> None:
        if self.pg:
            admin_sql(self.pg, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Site:
    """One platform instance: its directory, database and the environment of its processes."""

    def __init__(self, var_dir: Path, env: dict, drop: str | None = None):
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.drop = drop
        self.fault_file = var_dir / "fault-reached"
        self.processes: list[subprocess.Popen] = []

    def fault_env(self, point: str, n: int = 1, **extra) -> dict:
        return {
            **self.env,
            "XIAKE_FAULT": f"{point}:{n}",
            "XIAKE_FAULT_FILE": str(self.fault_file),
            **extra,
        }

    def xiake(self, *args, env=None, timeout=180) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "xiake", *args],
            env=env or self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, argv, env=None) -> subprocess.Popen:
        """Start a process; its output goes to a file (:meth:`output`): a pipe that nobody reads
        while the test waits would fill up and block the process."""
        log = self.var_dir / f"process-{len(self.processes)}.log"
        proc = subprocess.Popen(
            argv,
            env=env or self.env,
            cwd=ROOT,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log
        self.processes.append(proc)
        return proc

    @staticmethod
    def output(proc) -> str:
        return proc.log.read_text(errors="replace")

    def query(self, code: str, timeout=120):
        """Run ``code`` (which sets ``result``) in a fresh Django process; returns ``result``."""
        script = "import django, json\ndjango.setup()\n" + textwrap.dedent(code)
        script += "\nprint('@@RESULT@@' + json.dumps(result, default=str))\n"
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={**self.env, "DJANGO_SETTINGS_MODULE": "xiake.settings"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        line = [ln for ln in done.stdout.splitlines() if ln.startswith("@@RESULT@@")][-1]
        return json.loads(line.removeprefix("@@RESULT@@"))

    def wait_for_fault(self, proc: subprocess.Popen, timeout=120) -> int:
        """The pid of the process stopped at the fault point (``proc`` or one of its children)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.fault_file.exists():
                text = self.fault_file.read_text().strip()
                if text:
                    return int(text)
            if proc.poll() is not None:
                raise AssertionError(
                    f"exited ({proc.returncode}) before the fault point:\n{self.output(proc)}"
                )
            time.sleep(0.05)
        raise AssertionError("the fault point was not reached in time")

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=30)
        if self.drop:
            admin_sql(postgres_url(), f'DROP DATABASE IF EXISTS "{self.drop}" WITH (FORCE)')


def kill(pid: int) -> None:
    """SIGKILL: no handler, no cleanup, no commit; exactly what a crash or the OOM killer does."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # a child of ours stays a zombie until reaped; a zombie is dead enough
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} survived SIGKILL")
