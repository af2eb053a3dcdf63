"""Helpers shared by the benchmarks: measured subprocesses, fresh var dirs, medians, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS_DIR = REPO / "var" / "bench"
CORPUS = REPO.parent / "shared" / "data" / "corpora" / "csl_papers_dedup.jsonl"


def gunicorn_shape() -> tuple[str, str]:
    """(workers, threads) of gunicorn as ``make run`` starts it: 2 × cores + 1 sync workers (one
    thread each), or ``WORKERS`` / ``THREADS`` from the environment."""
    return (
        os.environ.get("WORKERS") or str(2 * (os.cpu_count() or 1) + 1),
        os.environ.get("THREADS") or "1",
    )


@dataclass
class Measured:
    """One finished subprocess: wall time, peak resident memory and CPU time of that child alone."""

    args: list[str]
    returncode: int
    seconds: float
    max_rss_mb: float
    cpu_seconds: float
    stdout: str
    stderr: str

    def check(self) -> Measured:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.args)} exited with {self.returncode}:\n"
                f"{self.stdout[-2000:]}\n{self.stderr[-2000:]}"
            )
        return self


def xiake_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: SQLite under ``var_dir`` (DATABASE_URL is dropped)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # RATE_LIMITS=0: a load test is many requests from one address by design (docs/operations.md);
    # FIELD_ENCRYPTION_DEV_KEY=1: DEBUG is off, as in production, but the keys are generated ones
    env.update(
        {
            "XIAKE_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
            "RATE_LIMITS": "0",
            "FIELD_ENCRYPTION_DEV_KEY": "1",
            **extra,
        }
    )
    env.pop("DEBUG", None)
    return env


def measure_in_child(
    module: str,
    child_args: list[str],
    *,
    name: str,
    database_url: str = "",
    timeout: float = 3600,
    **extra_env: str,
) -> dict:
    """Run ``python -m module --child …`` with no state of ours: a fresh var dir (SQLite), or a
    scratch database created on the PostgreSQL server of ``database_url`` and dropped afterwards.
    Its output passes through; the result is the JSON object on its last line."""
    var_dir = fresh_var_dir(name)
    env = xiake_env(var_dir, DJANGO_SETTINGS_MODULE="xiake.settings", **extra_env)
    scratch = server = None
    if database_url:
        server = database_url.rpartition("/")[0] + "/postgres"
        scratch = f"xiake_bench_{name}_{os.getpid()}"
        subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {scratch}"], check=True)
        env["DATABASE_URL"] = database_url.rpartition("/")[0] + f"/{scratch}"
    try:
        child = subprocess.run(
            [PYTHON, "-m", module, "--child", *child_args],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        if child.returncode != 0:
            sys.exit(f"the measuring process failed ({child.returncode}); see its output above")
        return json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        remove_dir(var_dir)
        if scratch:
            subprocess.run(["psql", server, "-qc", f"DROP DATABASE IF EXISTS {scratch}"])


def run_measured(args: list[str], env: dict, timeout: float = 600, cwd: Path = REPO) -> Measured:
    """Run ``args`` and measure that one child with ``os.wait4`` (peak RSS is the child's own)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # stops Popen from waiting again
        out.seek(0)
        err.seek(0)
        return Measured(
            args=[str(a) for a in args],
            returncode=proc.returncode,
            seconds=seconds,
            max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def xiake(*args: str) -> list[str]:
    return [PYTHON, "-m", "xiake", *args]


def fresh_var_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"xiake-bench-{prefix}-"))


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def machine() -> dict:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def write_json(name: str, payload: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=_default) + "\n")
    return path


def _default(obj):
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    raise TypeError(type(obj))


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def terminate(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server we started: SIGTERM to it, then SIGKILL after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
