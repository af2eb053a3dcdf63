"""Mixed load (locust) against the production-style server, on PostgreSQL and on SQLite, beside the bare view.

The server is what ``make run`` starts: ``scripts/serve.py`` with gunicorn (3 workers × 2 threads,
timeout 120, access log to a file) and ``xiake db_worker`` beside it, DEBUG off, on a port of
8180–8189. Two databases, each in its own var dir kept between runs (``--pg-var-dir``,
``--sqlite-var-dir``), migrated and given the full demo (16,000 achievements), the search index and
``--accounts`` extra enterprise and university accounts (``load_ent_NNN``, ``load_uni_NNN``,
non-privileged roles):

- **PostgreSQL** (``--pg-url``, default the database ``xiake_load``) with the Redis cache
  (``--redis-url``, default database 11 of 127.0.0.1:6379);
- **SQLite**, the embedded default: no ``DATABASE_URL``, no ``REDIS_URL`` (file cache).

The login lockout and the rate limits are off for the load server (``LOGIN_LOCKOUT=0``,
``RATE_LIMITS=0``): every virtual user of one account would otherwise count against it. The
accounts' sessions are made in the database before the measurement (see ``sessions``), and the
virtual users of a role share them round-robin.

For every round (``--rounds``, interleaved: a round runs every database × user count, the bare
view first) locust runs ``--seconds`` after the ramp-up with ``Bare`` users only (GET /health/),
then with the mix of ``benchmarks/locustfile.py`` (anonymous 60 %, enterprise 30 %, university
10 %, one importer), each with the same think time (``--wait``, default 2–8 s). Reported per
request category and overall: throughput (requests/s over the measured window), p50/p95/p99 and
errors (locust failures: status ≥ 400 or a socket error; plus the server's 5xx and "database is
locked" lines), medians of the rounds, and each round's throughput divided by the bare view's of
the same database, user count and round.

    .venv/bin/python -m benchmarks.bench_load [--users 50 200] [--rounds 3] [--seconds 40]
        [--databases postgresql sqlite] [--wait 0.5,1.5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.bench_list import free_port
from benchmarks.common import (
    PYTHON,
    REPO,
    gunicorn_shape,
    machine,
    median,
    now_iso,
    run_measured,
    table,
    write_json,
    xiake,
    xiake_env,
)

HOST = "127.0.0.1"
PORTS = range(8180, 8190)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MIX = ["Anonymous", "Enterprise", "University", "Importer"]
QUERIES = [
    "焊接",
    "新能源",
    "人工智能",
    "锂电池",
    "传感器",
    "生物医药",
    "机器人",
    "芯片",
    "复合材料",
    "污水处理",
    "激光",
    "智能制造",
    "储能",
    "高熵合金",
    "光伏",
    "图像识别",
]
CATEGORIES = {
    "anon": "anonymous browsing",
    "search": "logged-in search/matching",
    "form": "form submissions",
    "import": "import",
    "bare": "bare view /health/",
}

# Run inside ``xiake shell`` of the database being prepared: the load accounts (idempotent) and
# the ids the virtual users pick from, as JSON on the last line of stdout.
FIXTURE = r"""
import json, random
from xiake.accounts.models import Organization, User
from xiake.catalog.models import Achievement, Demand
from xiake.liaison.models import Event
from django.utils import timezone
N = {accounts}
rng = random.Random(7)
made = 0
def accounts(prefix, role, orgs):
    global made
    names = []
    for i, org in enumerate(orgs[:N]):
        name = f"{{prefix}}{{i:03d}}"
        if not User.objects.filter(username=name).exists():
            User.objects.create_user(name, password="{password}", role=role, organization=org)
            made += 1
        names.append(name)
    return names
demand_orgs = list(Organization.objects.filter(org_type="enterprise", pk__in=Demand.objects.values("owner_org")).order_by("pk"))
uni_orgs = list(Organization.objects.filter(org_type="university").order_by("pk"))
uni_orgs = (uni_orgs * (N // max(len(uni_orgs), 1) + 1))[:N]
ent = accounts("load_ent_", "enterprise", demand_orgs)
uni = accounts("load_uni_", "university", uni_orgs)
users = {{u.username: u for u in User.objects.filter(username__in=ent + uni)}}
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
def session(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key
published = list(Achievement.objects.filter(status="published").values_list("pk", flat=True))
now = timezone.now()
out = {{
    "made": made,
    "enterprise": [{{"username": n, "session": session(users[n]), "demands": list(Demand.objects.filter(owner_org_id=users[n].organization_id).values_list("pk", flat=True)[:50])}} for n in ent],
    "university": [{{"username": n, "session": session(users[n]), "achievements": list(Achievement.objects.filter(owner_org_id=users[n].organization_id).values_list("pk", flat=True)[:200])}} for n in uni],
    "achievements": rng.sample(published, min(3000, len(published))),
    "events": list(Event.objects.filter(is_public=True).values_list("pk", flat=True)),
    "open_events": list(Event.objects.filter(registration_open=True, starts_at__gt=now).values_list("pk", flat=True)),
}}
print("FIXTURE " + json.dumps(out))
"""


def pg_name(db: str, pg_url: str) -> str | None:
    """The PostgreSQL database name whose backends count as server CPU (None on SQLite)."""
    return pg_url.rsplit("/", 1)[1].split("?")[0] if db == "postgresql" else None


def server_env(db: str, var_dir: Path, pg_url: str, redis_url: str) -> dict:
    env = xiake_env(var_dir, LOGIN_LOCKOUT="0", RATE_LIMITS="0")
    if db == "postgresql":
        env.update(DATABASE_URL=pg_url, REDIS_URL=redis_url)
    return env


def prepare(db: str, env: dict, var_dir: Path, accounts: int) -> dict:
    out = {}
    steps = [("migrate_s", xiake("migrate", "--noinput", "-v0"))]
    steps.append(("demo_s", xiake("demo", "--if-empty")))
    if not (var_dir / "staticfiles" / "staticfiles.json").exists():
        steps.append(("collectstatic_s", xiake("collectstatic", "--noinput", "-v0")))
    if not (var_dir / "index").exists():
        steps.append(("reindex_s", xiake("reindex")))
    for key, args in steps:
        out[key] = round(run_measured(args, env, 900).check().seconds, 1)
    code = FIXTURE.format(accounts=accounts, password="Xiake@demo1")
    m = run_measured(xiake("shell", "-c", code), env, 600).check()
    line = [x for x in m.stdout.splitlines() if x.startswith("FIXTURE ")][-1]
    fixture = json.loads(line.split(" ", 1)[1])
    out["accounts_made"] = fixture.pop("made")
    print(f"[{db}] prepared {out}", flush=True)
    return {"prepare": out, "fixture": fixture}


def start_server(env: dict, var_dir: Path, port: int) -> subprocess.Popen:
    """scripts/serve.py with gunicorn as the Makefile's ``run`` target starts them."""
    gunicorn = Path(PYTHON).with_name("gunicorn")
    args = [PYTHON, str(REPO / "scripts" / "serve.py"), "--grace", "20", "--"]
    args += [str(gunicorn), "xiake.wsgi:application", "--bind", f"{HOST}:{port}"]
    workers, threads = gunicorn_shape()
    args += ["--workers", workers, "--threads", threads, "--timeout", "120"]
    args += ["--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1"]
    log = (var_dir / f"load-server-{port}.log").open("wb")
    proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=log, stderr=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: see {log.name}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("the server did not answer /health/ within 90 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # serve.py stops gunicorn, then the worker
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def drain(base: str, limit: float = 120) -> float:
    """Wait until the requests a stopped run left queued are served (/health/ answers fast again).

    When locust stops, the requests in flight stay in gunicorn's queue and are still served: the
    next run would otherwise measure that backlog. Returns the seconds waited.
    """
    started = time.monotonic()
    fast = 0
    while fast < 2 and time.monotonic() - started < limit:
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=limit) as r:
                r.read()
        except OSError:
            pass
        fast = fast + 1 if time.perf_counter() - t < 0.2 else 0
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def tree_cpu(root: int, database: str | None = None) -> dict[int, float]:
    """CPU seconds used so far by ``root`` and its descendants (gunicorn, workers, db_worker), per pid.

    With ``database`` (PostgreSQL on this machine), the server backends connected to that database
    count too: on SQLite the database work is inside the workers, on PostgreSQL it is not.
    """
    tick = os.sysconf("SC_CLK_TCK")
    stats, out = {}, {}
    marker = f" {database} ".encode() if database else None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / tick
                if marker:
                    cmdline = (entry / "cmdline").read_bytes()
                    if cmdline.startswith(b"postgres: ") and marker in cmdline:
                        out[int(entry.name)] = cpu
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), cpu)
    tree, changed = {root}, True
    while changed:
        changed = False
        for pid, (ppid, _cpu) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    out.update({pid: stats[pid][1] for pid in tree if pid in stats})
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two ``tree_cpu`` readings: a process that exited in between (a database
    connection closed after its 60 s) is left out with its last increment, so this never goes
    below zero; a new one counts whole."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def sessions(base: str, fixture: dict) -> dict:
    """The sessions made in the database for the load accounts, checked against the server.

    They are made directly (``SessionStore`` with the user's id, backend and session hash: what
    ``django.contrib.auth.login`` stores) instead of through the login form: a form login costs
    ≈ 0.3–3 s of CPU for the password hash on this shared machine, minutes for 80 accounts.
    """
    out = {}
    for role in ("enterprise", "university"):
        out[role] = []
        for entry in fixture[role]:
            entry = dict(entry, cookies={"sessionid": entry.pop("session")})
            out[role].append(entry)
        probe = urllib.request.Request(
            f"{base}/my/", headers={"Cookie": f"sessionid={out[role][0]['cookies']['sessionid']}"}
        )
        with urllib.request.urlopen(probe, timeout=30) as r:
            if "/accounts/login/" in r.geturl():
                raise RuntimeError(f"the {role} session made for the load is not accepted")
    return out


def cost_probe(base: str, pid: int, data: dict, database=None, repeat: int = 10) -> dict:
    """Server CPU per request type, one request at a time (least disturbed by other load).

    Every GET of the scenario is sent ``repeat`` times in a row by one client; the CPU time of the
    server's process tree over those requests, divided by ``repeat``, is the cost of one. On an
    otherwise idle machine, 2 cores ÷ the mix's mean cost bounds the sustainable throughput.
    """
    ent, uni = data["sessions"]["enterprise"][0], data["sessions"]["university"][0]
    q = urllib.parse.quote
    cases = [
        ("bare: /health/", "/health/", None),
        ("anon: portal home", "/portal/", None),
        ("anon: portal search", "/portal/search/?q={q}", None),
        ("anon: achievement page", "/catalog/achievements/{a}/", None),
        ("anon: event page", "/liaison/events/{e}/", None),
        ("anon: achievement list", "/catalog/achievements/?status=published&trl=5&page={n}", None),
        ("search: role home /my/", "/my/", ent),
        ("search: API matching", "/api/v1/matching/search/?q={q}&type=achievement&limit=10", ent),
        ("search: demand matches tab", "/matching/matches/demand/{d}/?type=achievement", ent),
        ("search: search page", "/matching/search/?q={q}", uni),
        ("search: achievement matches tab", "/matching/matches/achievement/{u}/?type=demand", uni),
        ("form: demand draft (GET)", "/catalog/demands/add/", ent),
        ("form: consultation (GET)", "/liaison/consultations/add/", ent),
        ("import: page (GET)", "/catalog/achievements/import/", uni),
    ]
    rng = random.Random(3)
    out = {}
    for name, template, account in cases:
        headers = {"Cookie": f"sessionid={account['cookies']['sessionid']}"} if account else {}
        cpu0, t0, wall = tree_cpu(pid, database), time.perf_counter(), []
        for i in range(repeat):
            path = template.format(
                q=q(rng.choice(QUERIES)),
                a=rng.choice(data["achievements"]),
                e=rng.choice(data["events"]),
                n=i + 1,
                d=rng.choice(ent["demands"]),
                u=rng.choice(uni["achievements"]),
            )
            started = time.perf_counter()
            req = urllib.request.Request(base + path, headers=headers)
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
                if r.status != 200 or "/accounts/login/" in r.geturl():
                    raise RuntimeError(f"{name}: {r.status} {r.geturl()}")
            wall.append((time.perf_counter() - started) * 1000)
        out[name] = {
            "server_cpu_ms": round(1000 * cpu_used(cpu0, tree_cpu(pid, database)) / repeat, 1),
            "wall_ms_median": round(median(wall), 1),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"  cost {name:<34} {out[name]['server_cpu_ms']:7.1f} ms CPU", flush=True)
    return out


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return values[k]


def run_locust(base, data_file, classes, users, seconds, wait, log_lines, until=None) -> dict:
    """One locust run of ``seconds`` after the ramp-up; with ``until`` (a process), it runs
    until that process has exited (plus 5 s) instead, at most 30 minutes."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out_file = Path(fh.name)
    rate = max(10, users // 4)  # ramp-up ≤ 4 s, not measured
    ramp = users / rate
    env = dict(os.environ)
    env.update(
        XIAKE_LOAD_DATA=str(data_file),
        XIAKE_LOAD_OUT=str(out_file),
        XIAKE_LOAD_WAIT=wait,
        PYTHONUNBUFFERED="1",
    )
    args = [PYTHON, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    args += ["-u", str(users), "-r", str(rate), "-t", f"{round(ramp + 1 + seconds)}s"]
    args += ["--host", base, "--loglevel", "WARNING", "--exit-code-on-error", "0", *classes]
    if until is None:
        m = run_measured(args, env, timeout=seconds + ramp + 120)
    else:
        args[args.index("-t") + 1] = "1800s"
        m = run_until(args, env, until)
    try:
        payload = json.loads(out_file.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"locust wrote no results ({exc}):\n{m.stderr[-3000:]}") from exc
    finally:
        out_file.unlink(missing_ok=True)
    payload["client_cpu_s"] = round(m.cpu_seconds, 2)
    payload["locust_returncode"] = m.returncode
    if m.returncode not in (0, 1):
        log_lines.append(m.stderr[-2000:])
    return payload


def run_until(args, env, other: subprocess.Popen):
    """Run ``args`` until ``other`` exits (+5 s), then stop it with SIGTERM (locust still writes
    its results); measured like ``run_measured``."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        while other.poll() is None and proc.poll() is None:
            time.sleep(0.5)
        time.sleep(5)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return argparse.Namespace(
            returncode=proc.returncode,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            stderr=err.read().decode("utf-8", "replace"),
        )


def digest(payload: dict) -> dict:
    """Per request name, per category and overall: count, req/s, p50/p95/p99, failures."""
    window = payload["window"]
    span = max(1e-6, (window["end"] or 0) - (window["start"] or 0))
    groups: dict[str, dict] = {}
    for name, rec in payload["requests"].items():
        category = CATEGORIES[name.split(":", 1)[0]]
        for key in (f"name {name}", f"category {category}", "overall"):
            g = groups.setdefault(key, {"ms": [], "failures": []})
            g["ms"] += rec["ms"]
            g["failures"] += rec["failures"]
    out = {}
    for key, g in groups.items():
        n = len(g["ms"]) + len(g["failures"])
        out[key] = {
            "requests": n,
            "rps": round(n / span, 2),
            "p50_ms": percentile(g["ms"], 50),
            "p95_ms": percentile(g["ms"], 95),
            "p99_ms": percentile(g["ms"], 99),
            "max_ms": max(g["ms"], default=float("nan")),
            "errors": len(g["failures"]),
            "error_samples": sorted(set(g["failures"]))[:5],
        }
    out["overall"]["seconds"] = round(span, 1)
    out["overall"]["client_cpu_s"] = payload["client_cpu_s"]
    return out


def server_errors(log: Path, offset: int) -> tuple[dict, int]:
    """5xx answers and lock errors written to the server log since ``offset``."""
    data = log.read_bytes()
    text = data[offset:].decode("utf-8", "replace")
    lines = text.splitlines()
    counts = {
        "http_5xx": sum(1 for x in lines if '" 5' in x and "HTTP/1.1" in x),
        "database_is_locked": text.count("database is locked"),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
    }
    return counts, len(data)


def run(
    databases=("postgresql", "sqlite"),
    user_counts=(50, 200),
    rounds=3,
    seconds=40.0,
    wait="2,8",
    pg_url="postgres://postgres@127.0.0.1:5432/xiake_load",
    redis_url="redis://127.0.0.1:6379/11",
    pg_var_dir=None,
    sqlite_var_dir=None,
    accounts=40,
    warmup=20.0,
    cost=True,
    big_import=None,
) -> dict:
    info = {
        "benchmark": "load",
        "date": now_iso(),
        "machine": machine(),
        "server": "scripts/serve.py: gunicorn 3 workers × 2 threads, timeout 120 + xiake db_worker",
        "settings": "DEBUG off, LOGIN_LOCKOUT=0, RATE_LIMITS=0",
        "users": list(user_counts),
        "rounds": rounds,
        "seconds": seconds,
        "think_time_s": wait,
        "warmup_s": warmup,
        "databases": {},
        "runs": [],
    }
    var_dirs = {
        "postgresql": Path(pg_var_dir or REPO / "var" / "load-pg"),
        "sqlite": Path(sqlite_var_dir or REPO / "var" / "load-sqlite"),
    }
    servers = {}
    try:
        for db in databases:
            var_dir = var_dirs[db]
            var_dir.mkdir(parents=True, exist_ok=True)
            env = server_env(db, var_dir, pg_url, redis_url)
            prepared = prepare(db, env, var_dir, accounts)
            port = free_port(PORTS.start, len(PORTS))
            proc = start_server(env, var_dir, port)
            base = f"http://{HOST}:{port}"
            data = dict(prepared["fixture"], queries=QUERIES)
            data["sessions"] = sessions(base, prepared["fixture"])
            data_file = var_dir / "load-data.json"
            data_file.write_text(json.dumps(data, ensure_ascii=False))
            log = var_dir / f"load-server-{port}.log"
            servers[db] = {"proc": proc, "base": base, "data": data_file, "log": log, "offset": 0}
            servers[db]["env"] = env
            info["databases"][db] = {
                "var_dir": str(var_dir),
                "port": port,
                "prepare": prepared["prepare"],
                "accounts": {k: len(v) for k, v in data["sessions"].items()},
                "open_events": len(data["open_events"]),
            }
            if db == "postgresql":
                info["databases"][db].update(database=pg_url.rsplit("/", 1)[1], cache=redis_url)
            if warmup:
                # every worker loads the index, the segmenter's dictionary and its caches once
                notes = []
                run_locust(base, data_file, MIX, 20, warmup, wait, notes)
                drain(base)
                s = servers[db]
                _errs, s["offset"] = server_errors(s["log"], 0)
            if cost:
                info["databases"][db]["cost"] = cost_probe(
                    base, proc.pid, data, pg_name(db, pg_url)
                )
        for n in range(1, rounds + 1):
            for db in databases:
                s = servers[db]
                for users in user_counts:
                    for scenario, classes in (("bare", ["Bare"]), ("mix", MIX)):
                        load = [round(x, 2) for x in os.getloadavg()]
                        cpu0 = tree_cpu(s["proc"].pid, pg_name(db, pg_url))
                        notes = []
                        payload = run_locust(
                            s["base"], s["data"], classes, users, seconds, wait, notes
                        )
                        result = digest(payload)
                        drained = drain(s["base"])
                        errs, s["offset"] = server_errors(s["log"], s["offset"])
                        result["overall"]["server_cpu_s"] = round(
                            cpu_used(cpu0, tree_cpu(s["proc"].pid, pg_name(db, pg_url))), 1
                        )
                        entry = {
                            "round": n,
                            "database": db,
                            "users": users,
                            "scenario": scenario,
                            "loadavg_before": load,
                            "server_log": errs,
                            "drain_s": drained,
                            "notes": notes,
                            "result": result,
                        }
                        info["runs"].append(entry)
                        o = result["overall"]
                        print(
                            f"round {n} {db:<10} {users:>3} users {scenario:<4} "
                            f"{o['rps']:7.1f} req/s p50 {o['p50_ms']:7.1f} p95 {o['p95_ms']:7.1f} "
                            f"p99 {o['p99_ms']:7.1f} ms errors {o['errors']} server {errs} "
                            f"load {load[0]} drained in {drained} s",
                            flush=True,
                        )
        if big_import:
            for db in databases:
                info["databases"][db]["import_during_load"] = import_during_load(
                    db, servers[db], big_import, user_counts[0], seconds, wait
                )
    finally:
        for s in servers.values():
            stop_server(s["proc"])
    info["summary"] = summarise(info["runs"])
    return info


def import_during_load(db, server, workbook: Path, users, seconds, wait) -> dict:
    """The mix again while the bureau imports a large workbook from the command line, from 3 s
    after the import starts until 5 s after it ends.

    One import is one transaction (all or nothing). On SQLite a write transaction holds the
    database's single write lock until it commits, so every other write (a form, a session touch)
    waits for it, up to the busy timeout (20 s).
    """
    env = server["env"]
    started = time.monotonic()
    args = xiake("import_records", "catalog.achievement", str(workbook), "--user", "bureau")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([*args, "--publish"], env=env, cwd=REPO, stdout=log, stderr=log)
    time.sleep(3)  # the import is reading and validating when the users arrive
    notes = []
    payload = run_locust(server["base"], server["data"], MIX, users, seconds, wait, notes, proc)
    code = proc.wait(timeout=60)
    import_s = round(time.monotonic() - started, 1)
    log.seek(0)
    tail = log.read().decode("utf-8", "replace")[-600:]
    drain(server["base"])
    errs, server["offset"] = server_errors(server["log"], server["offset"])
    result = digest(payload)
    o = result["overall"]
    print(
        f"{db} import during load: import exit {code} in {import_s} s; mix {o['rps']} req/s "
        f"p50 {o['p50_ms']} p99 {o['p99_ms']} ms errors {o['errors']} server {errs}",
        flush=True,
    )
    return {
        "users": users,
        "import_exit": code,
        "import_s": import_s,
        "import_output": tail,
        "server_log": errs,
        "result": result,
    }


def summarise(runs: list[dict]) -> dict:
    """Medians over the rounds; ratio = the mix's req/s ÷ the bare view's of the same round."""
    out = {}
    bare = {
        (r["database"], r["users"], r["round"]): r["result"]["overall"]["rps"]
        for r in runs
        if r["scenario"] == "bare"
    }
    keys = sorted(
        {(r["database"], r["users"]) for r in runs}, key=lambda k: (k[0] != "postgresql", k)
    )
    for db, users in keys:
        conf = {}
        for scenario in ("bare", "mix"):
            mine = [
                r
                for r in runs
                if (r["database"], r["users"], r["scenario"]) == (db, users, scenario)
            ]
            names = sorted({k for r in mine for k in r["result"]})
            for key in names:
                rows = [r["result"][key] for r in mine if key in r["result"]]
                row = {
                    "requests": sum(x["requests"] for x in rows),
                    "rps": round(median(x["rps"] for x in rows), 1),
                    "p50_ms": round(median(x["p50_ms"] for x in rows), 1),
                    "p95_ms": round(median(x["p95_ms"] for x in rows), 1),
                    "p99_ms": round(median(x["p99_ms"] for x in rows), 1),
                    "errors": sum(x["errors"] for x in rows),
                }
                if key == "overall":
                    row["ratio_to_bare"] = round(
                        median(
                            r["result"]["overall"]["rps"] / bare[(db, users, r["round"])]
                            for r in mine
                        ),
                        3,
                    )
                    row["server_cpu_ms_per_req"] = round(
                        1000
                        * sum(r["result"]["overall"]["server_cpu_s"] for r in mine)
                        / max(row["requests"], 1),
                        2,
                    )
                    row["server_log"] = {
                        k: sum(r["server_log"][k] for r in mine) for k in mine[0]["server_log"]
                    }
                    row["loadavg_before"] = [r["loadavg_before"][0] for r in mine]
                conf[f"{scenario} {key}"] = row
        out[f"{db} {users}"] = conf
    return out


def report(info: dict) -> str:
    lines = [
        f"Load benchmark {info['date']}: {info['rounds']} rounds × {info['seconds']:.0f} s per "
        f"run, think time {info['think_time_s']} s, {info['machine']['cpus']} CPUs, "
        f"load at start {info['machine']['loadavg_at_start']}",
    ]
    costs = {db: d["cost"] for db, d in info["databases"].items() if "cost" in d}
    if costs:
        names = list(next(iter(costs.values())))
        rows = [[n] + [costs[db][n]["server_cpu_ms"] for db in costs] for n in names]
        lines.append("\nserver CPU ms per request, one at a time:")
        lines.append(table(["request", *costs], rows))
    for db, d in info["databases"].items():
        if "import_during_load" in d:
            x = d["import_during_load"]
            o = x["result"]["overall"]
            lines.append(
                f"\n{db}: mix of {x['users']} users during a CLI import (exit {x['import_exit']}, "
                f"{x['import_s']} s): {o['rps']} req/s, p50 {o['p50_ms']} p95 {o['p95_ms']} "
                f"p99 {o['p99_ms']} ms, errors {o['errors']} {o['error_samples']}, "
                f"server {x['server_log']}"
            )
    head = ["type", "requests", "req/s", "÷ bare", "p50 ms", "p95 ms", "p99 ms", "errors"]
    for conf_name, conf in info["summary"].items():
        rows = []
        for key, s in conf.items():
            if " name " in f" {key} " or key.startswith("bare category"):
                continue
            label = key.replace("mix category ", "  ").replace("mix overall", "mix, overall")
            label = label.replace("bare overall", "bare view /health/").replace(
                "bare category ", ""
            )
            if label == "bare view /health/" or label.startswith("  ") or label == "mix, overall":
                rows.append(
                    [
                        label,
                        s["requests"],
                        s["rps"],
                        f"{s['ratio_to_bare']:.0%}" if "ratio_to_bare" in s else "",
                        s["p50_ms"],
                        s["p95_ms"],
                        s["p99_ms"],
                        s["errors"],
                    ]
                )
        mix = conf.get("mix overall", {})
        lines.append(
            f"\n{conf_name} users — server log during the mix: {mix.get('server_log')}, "
            f"server CPU {mix.get('server_cpu_ms_per_req')} ms/req, load avg before each mix run "
            f"{mix.get('loadavg_before')}"
        )
        lines.append(table(head, rows))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--users", nargs="+", type=int, default=[50, 200])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=40, help="measured seconds per run")
    parser.add_argument("--wait", default="2,8", help="think time between tasks: MIN,MAX s")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/xiake_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--pg-var-dir", type=Path)
    parser.add_argument("--sqlite-var-dir", type=Path)
    parser.add_argument("--accounts", type=int, default=40, help="load accounts per role")
    parser.add_argument("--warmup", type=float, default=20, help="seconds of unmeasured mix")
    parser.add_argument("--no-cost", action="store_true", help="skip the CPU cost per request type")
    parser.add_argument(
        "--import-during", type=Path, help="also run the mix during a CLI import of this workbook"
    )
    o = parser.parse_args(argv)
    random.seed(1)
    info = run(
        o.databases,
        o.users,
        o.rounds,
        o.seconds,
        o.wait,
        o.pg_url,
        o.redis_url,
        o.pg_var_dir,
        o.sqlite_var_dir,
        o.accounts,
        o.warmup,
        not o.no_cost,
        o.import_during,
    )
    path = write_json("load", info)
    print(report(info))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
