"""List-page and API benchmark under 20 concurrent clients, against gunicorn served as ``make run`` does.

A var dir with the full demo (``xiake demo``: 16,000 achievements) is migrated, filled and its static
files collected; gunicorn is started exactly like the Makefile (3 workers, 2 threads, access log) on
a free port of 127.0.0.1. Every target is measured in ``--rounds`` interleaved rounds (a round runs
each target once, the bare view first), so drift on a shared machine hits all targets alike; each
round's throughput is divided by the bare view's throughput of the same round.

Targets: p99 ≤ 200 ms and throughput ≥ 40 % of the bare view (GET /health/) for every list target.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    REPO,
    fresh_var_dir,
    gunicorn_shape,
    machine,
    median,
    now_iso,
    remove_dir,
    run_measured,
    table,
    terminate,
    write_json,
    xiake,
    xiake_env,
)

HOST = "127.0.0.1"
CONNECTIONS = 20
TARGET_P99_MS = 200
TARGET_RATIO = 0.40
PASSWORD = "Xiake@demo1"
LUA = Path(__file__).with_name("wrk_report.lua")

# (name, path, logged in as bureau)
TARGETS = [
    ("bare view /health/ (baseline)", "/health/", False),
    ("list status=published&trl=7 p1", "/catalog/achievements/?status=published&trl=7", False),
    ("list status=published p200", "/catalog/achievements/?status=published&page=200", False),
    ("API ?trl=7", "/api/v1/achievements/?trl=7", False),
    ("API ?page=200", "/api/v1/achievements/?page=200", False),
    ("list trl=7 p1, bureau login", "/catalog/achievements/?status=published&trl=7", True),
]
BASELINE = TARGETS[0][0]


def free_port(preferred: int = 8765, span: int = 50) -> int:
    for port in range(preferred, preferred + span):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {preferred}–{preferred + span - 1}")


def prepare(var_dir: Path) -> dict:
    env = xiake_env(var_dir)
    out = {}
    if not (var_dir / "xiake.sqlite3").exists() or "achievements" not in _demo_state(env):
        out["migrate_s"] = (
            run_measured(xiake("migrate", "--noinput", "-v0"), env, 300).check().seconds
        )
        out["demo_s"] = run_measured(xiake("demo", "--if-empty"), env, 600).check().seconds
    out["collectstatic_s"] = (
        run_measured(xiake("collectstatic", "--noinput", "-v0"), env, 300).check().seconds
    )
    return out


def _demo_state(env) -> str:
    m = run_measured(
        xiake(
            "shell",
            "-c",
            "from xiake.catalog.models import Achievement as A; print('achievements', A.objects.count())",
        ),
        env,
        120,
    )
    found = re.search(r"achievements (\d+)", m.stdout)
    return "achievements" if found and int(found.group(1)) > 0 else ""


def start_server(var_dir: Path, port: int) -> tuple[subprocess.Popen, Path]:
    """gunicorn exactly as ``make run`` starts it (access log to a file instead of the terminal)."""
    gunicorn = Path(PYTHON).with_name("gunicorn")
    log = var_dir / "gunicorn.log"
    workers, threads = gunicorn_shape()
    args = [
        str(gunicorn),
        "xiake.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        workers,
        "--threads",
        threads,
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    fh = log.open("wb")
    # as make run: persistent SQLite connections (SQLITE_CONN_MAX_AGE=0 in the caller's
    # environment measures a new connection per request)
    env = xiake_env(var_dir, SQLITE_CONN_MAX_AGE=os.environ.get("SQLITE_CONN_MAX_AGE", "60"))
    proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=fh, stderr=fh)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health/", timeout=2) as r:
                if r.status == 200 and r.read() == b"ok":
                    return proc, log
        except OSError:
            time.sleep(0.2)
    terminate(proc)
    raise RuntimeError("gunicorn did not answer /health/ within 60 s")


def login(base: str, username: str) -> str:
    """Session cookie header of ``username`` obtained through the login form (with its CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{base}/accounts/login/"
    with opener.open(url, timeout=10) as r:
        html = r.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    req = urllib.request.Request(url, data=data, headers={"Referer": url})
    with opener.open(req, timeout=10) as r:
        r.read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"login as {username} failed")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def probe(base: str, path: str, cookie: str | None) -> dict:
    req = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
        info = {"status": r.status, "bytes": len(body)}
    if path.startswith("/api/"):
        data = json.loads(body)
        info["count"] = data["count"]
        info["results"] = len(data["results"])
    else:
        info["rows"] = body.count(b"<tr") - 1
    return info


def server_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn master and its workers (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load(client: str, url: str, seconds: float, cookie: str | None) -> dict:
    headers = [f"Cookie: {cookie}"] if cookie else []
    if client == "wrk":
        args = [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
        ]
        args += ["-s", str(LUA)]
        for h in headers:
            args += ["-H", h]
        args.append(url)
    else:
        args = [PYTHON, "-m", "benchmarks.loadgen", "-c", str(CONNECTIONS), "-d", str(seconds)]
        for h in headers:
            args += ["-H", h]
        args.append(url)
    m = run_measured(args, dict(os.environ), timeout=seconds + 60).check()
    line = [x for x in m.stdout.splitlines() if x.startswith("{")][-1]
    result = json.loads(line)
    result["client_cpu_s"] = round(m.cpu_seconds, 3)
    return result


def measure(base, master, client, targets, cookies, rounds, seconds, warmup) -> dict:
    results = {name: [] for name, _p, _l in targets}
    for _name, path, logged_in in targets:
        if warmup:
            load(client, base + path, warmup, cookies if logged_in else None)
    for n in range(1, rounds + 1):
        for name, path, logged_in in targets:
            cpu0 = server_cpu(master)
            r = load(client, base + path, seconds, cookies if logged_in else None)
            r["server_cpu_s"] = round(server_cpu(master) - cpu0, 3)
            r["round"] = n
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            results[name].append(r)
            print(
                f"  round {n} {name:<34} {r['rps']:7.1f} req/s  p99 {r['latency_us']['p99'] / 1000:6.1f} ms"
                f"  non-200 {r['non200']}",
                flush=True,
            )
    return results


def summarise(results: dict) -> dict:
    base_rounds = {r["round"]: r["rps"] for r in results[BASELINE]}
    out = {}
    for name, runs in results.items():
        reqs = sum(r["requests"] for r in runs)
        errors = sum(r["non200"] + sum(r["socket_errors"].values()) for r in runs)
        ratio = median(r["rps"] / base_rounds[r["round"]] for r in runs)
        p99 = median(r["latency_us"]["p99"] for r in runs) / 1000
        s = {
            "requests": reqs,
            "rps": round(median(r["rps"] for r in runs), 1),
            "p50_ms": round(median(r["latency_us"]["p50"] for r in runs) / 1000, 1),
            "p90_ms": round(median(r["latency_us"]["p90"] for r in runs) / 1000, 1),
            "p99_ms": round(p99, 1),
            "max_ms": round(max(r["latency_us"]["max"] for r in runs) / 1000, 1),
            "errors": errors,
            "ratio_to_bare": round(ratio, 3),
            "server_cpu_ms_per_req": round(
                1000 * sum(r["server_cpu_s"] for r in runs) / max(reqs, 1), 2
            ),
            "client_cpu_ms_per_req": round(
                1000 * sum(r["client_cpu_s"] for r in runs) / max(reqs, 1), 3
            ),
        }
        if name != BASELINE:
            s["ok"] = p99 <= TARGET_P99_MS and ratio >= TARGET_RATIO and errors == 0
        else:
            s["ok"] = errors == 0
        out[name] = s
    return out


def compare_clients(base: str, seconds: float) -> dict:
    """Both clients against the bare view: which one leaves more of the 2 cores to the server."""
    out = {}
    for client in ("wrk", "python"):
        if client == "wrk" and not shutil.which("wrk"):
            continue
        runs = [load(client, base + "/health/", seconds, None) for _ in range(2)]
        reqs = sum(r["requests"] for r in runs)
        out[client] = {
            "requests": reqs,
            "rps": round(median(r["requests"] / (r["duration_us"] / 1e6) for r in runs), 1),
            "client_cpu_s": round(sum(r["client_cpu_s"] for r in runs), 2),
            "client_cpu_ms_per_req": round(
                1000 * sum(r["client_cpu_s"] for r in runs) / max(reqs, 1), 3
            ),
        }
    return out


def run(
    duration: float = 30,
    rounds: int = 3,
    warmup: float = 3,
    client: str = "auto",
    var_dir: Path | None = None,
    keep: bool = False,
    compare: bool = False,
) -> dict:
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    own_dir = var_dir is None
    var_dir = var_dir or fresh_var_dir("list")
    info = {
        "benchmark": "list",
        "date": now_iso(),
        "machine": machine(),
        "client": client,
        "connections": CONNECTIONS,
        "rounds": rounds,
        "seconds_per_target": duration,
        "server": "gunicorn xiake.wsgi:application --workers {} --threads {} (as make run)".format(
            *gunicorn_shape()
        ),
    }
    proc = None
    try:
        info["prepare"] = prepare(var_dir)
        port = free_port()
        proc, _log = start_server(var_dir, port)
        base = f"http://{HOST}:{port}"
        cookies = login(base, "bureau")
        info["probes"] = {
            name: probe(base, path, cookies if logged_in else None)
            for name, path, logged_in in TARGETS
        }
        info["paths"] = {name: path for name, path, _l in TARGETS}
        if compare:
            info["client_comparison"] = compare_clients(base, max(3, duration / rounds))
        results = measure(
            base, proc.pid, client, TARGETS, cookies, rounds, duration / rounds, warmup
        )
        info["runs"] = results
        info["summary"] = summarise(results)
    finally:
        if proc is not None:
            terminate(proc)
        if own_dir and not keep:
            remove_dir(var_dir)
    return info


def report(info: dict) -> str:
    rows = []
    for name, s in info["summary"].items():
        rows.append(
            [
                name,
                s["requests"],
                s["rps"],
                s["p50_ms"],
                s["p90_ms"],
                s["p99_ms"],
                s["errors"],
                f"{s['ratio_to_bare']:.0%}",
                s["server_cpu_ms_per_req"],
                "ok" if s["ok"] else "MISSED",
            ]
        )
    head = (
        f"List/API benchmark, {info['connections']} connections, {info['rounds']} rounds × "
        f"{info['seconds_per_target'] / info['rounds']:.0f} s per target, client {info['client']}, "
        f"{info['machine']['cpus']} CPUs, {info['date']}"
    )
    lines = [
        head,
        table(
            [
                "target",
                "requests",
                "req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "errors",
                "vs bare",
                "srv CPU ms/req",
                f"p99≤{TARGET_P99_MS}, ≥{TARGET_RATIO:.0%}",
            ],
            rows,
        ),
    ]
    if "client_comparison" in info:
        lines.append("client comparison on /health/: " + json.dumps(info["client_comparison"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="xiake list/API benchmark")
    parser.add_argument(
        "--duration", type=float, default=30, help="seconds per target (all rounds)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--var-dir", type=Path, help="reuse this var dir (demo data kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir")
    parser.add_argument("--compare-clients", action="store_true")
    o = parser.parse_args(argv)
    info = run(o.duration, o.rounds, o.warmup, o.client, o.var_dir, o.keep, o.compare_clients)
    print(report(info))
    print(f"written {write_json('list', info)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
