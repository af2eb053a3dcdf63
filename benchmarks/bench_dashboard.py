"""District dashboard: the bureau's page cold (figures computed) and warm (figures cached), beside
a bare view in the same run, at demo size and at 10× the records the figures count.

Each scale runs in its own child process on a fresh SQLite database in a temporary
``XIAKE_VAR_DIR``:

- ``demo``: the full ``xiake demo`` (16,000 achievements and the other libraries, contracts,
  docking cases, liaison events and registrations, institutions' reports), without the matching
  index step (the dashboard does not read the index);
- ``10x``: the same, then every record the figures count is multiplied to 10×: achievements,
  demands and experts (copies with a new title, same dates), contracts (copies with their
  amounts, dates and states), events with their registrations (new tokens), investments and
  meeting tasks. Monthly reports are one per institution and month, so they stay as they are.

Measured in interleaved repetitions through the Django test client (the whole middleware stack);
each repetition runs, in order:

| target | what |
|---|---|
| GET /health/ | **baseline**: a bare view |
| GET /dashboard/?fresh=1 | **cold**: every figure of the period, the previous period and last year computed |
| GET /dashboard/ | **warm**: the figures from the cache (the page, charts and links still rendered) |
| GET /my/ as bureau | the bureau's home page (its panel reads the dashboard's cached figures) |
| GET /dashboard/drill/contracts_total/ | the contracts behind 成交额, first page |
| brief DOCX / PDF | the statistics brief's task body for the same period (figures from the cache, as right after the page): three charts drawn, the document laid out and stored |

After the repetitions, each figure is computed once more on its own (nothing cached) for the three
periods, to show where the cold time goes.

Target: dashboard warm p50 ≤ 300 ms at demo size.

    .venv/bin/python -m benchmarks.bench_dashboard [--scales demo 10x] [--repetitions 20]
        [--database postgres://postgres@127.0.0.1:5432/xiake_bench_NAME]

With ``--database`` each scale runs on that PostgreSQL database instead, dropped and created
afresh (use a database name of your own: it is destroyed), and the slowest figure's queries are
shown with EXPLAIN ANALYZE.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time

from benchmarks.common import (
    PYTHON,
    fresh_var_dir,
    machine,
    now_iso,
    remove_dir,
    run_measured,
    table,
    write_json,
    xiake_env,
)

TARGET_WARM_MS = 300
SCALES = ("demo", "10x")
MARK = "BENCH-RESULT "
TARGETS = (
    ("health", "GET /health/ (baseline)"),
    ("cold", "GET /dashboard/?fresh=1 (cold)"),
    ("warm", "GET /dashboard/ (warm)"),
    ("home", "GET /my/ as bureau"),
    ("drill", "GET /dashboard/drill/contracts_total/"),
    ("brief_docx", "statistics brief DOCX (task body)"),
    ("brief_pdf", "statistics brief PDF (task body)"),
)


def pct(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99), "n": len(ms), "all_ms": ms}


# -- child: data ------------------------------------------------------------------------------


def _demo_data():
    import io

    from django.core.management import call_command

    from xiake.demo import extensions

    saved = dict(extensions._steps)
    extensions._steps.pop("matching", None)
    try:
        call_command("demo", stdout=io.StringIO())
    finally:
        extensions._steps.clear()
        extensions._steps.update(saved)


def _copies(model, times: int, change, batch: int = 2000) -> int:
    """Insert ``times - 1`` copies of every row of ``model``; ``change(obj, k)`` makes copy k
    unique. Bulk inserts: no change records, as the demo itself writes them."""
    from django.db import transaction

    rows = list(model.objects.all())
    made = 0
    with transaction.atomic():
        for k in range(1, times):
            copies = []
            for obj in rows:
                obj.pk = None
                obj.id = None
                obj._state.adding = True
                change(obj, k)
                copies.append(obj)
            model.objects.bulk_create(copies, batch_size=batch)
            made += len(copies)
    return made


def _scale_up(times: int = 10) -> dict:
    import uuid

    from xiake.catalog.models import Achievement, Demand, Expert
    from xiake.contracts.models import TechContract
    from xiake.liaison.models import Event, Investment, Registration, Task

    def retitle(obj, k):
        obj.title = f"{obj.title}（{k}）"

    def rename_expert(obj, k):
        obj.name = f"{obj.name}{k}"

    serial = itertools.count(1)

    def contract(obj, k):
        obj.title = f"{obj.title}（{k}）"
        obj.contract_no = f"{obj.contract_no or 'C'}-{k}"
        if obj.registration_no:  # unique, at most 16 characters
            obj.registration_no = f"BENCH{next(serial):011d}"
        obj.docking_case_id = None

    counts = {
        "achievements": _copies(Achievement, times, retitle),
        "demands": _copies(Demand, times, retitle),
        "experts": _copies(Expert, times, rename_expert),
        "contracts": _copies(TechContract, times, contract),
        "investments": _copies(Investment, times, lambda o, k: None),
        "tasks": _copies(Task, times, retitle),
    }
    # Events with their registrations: copy each event, then its registrations onto the copy.
    from django.db import transaction

    events = list(Event.objects.order_by("pk"))
    regs: dict[int, list] = {}
    for r in Registration.objects.all():
        regs.setdefault(r.event_id, []).append(r)
    made_e = made_r = 0
    with transaction.atomic():
        for k in range(1, times):
            copies = [
                Event(
                    **{
                        f.attname: getattr(ev, f.attname)
                        for f in Event._meta.concrete_fields
                        if not f.primary_key
                    }
                )
                for ev in events
            ]
            for copy in copies:
                copy.title = f"{copy.title}（{k}）"
            Event.objects.bulk_create(copies, batch_size=2000)  # pks set (SQLite ≥ 3.35, PG)
            registrations = [
                Registration(
                    event_id=copy.pk,
                    kind=r.kind,
                    enterprise_id=r.enterprise_id,
                    attendee_name=r.attendee_name,
                    phone=r.phone,
                    token=uuid.uuid4(),
                    checked_in_at=r.checked_in_at,
                    rating=r.rating,
                    is_demo=True,
                )
                for ev, copy in zip(events, copies, strict=True)
                for r in regs.get(ev.pk, ())
            ]
            Registration.objects.bulk_create(registrations, batch_size=2000)
            made_e += len(copies)
            made_r += len(registrations)
    counts.update(events=made_e, registrations=made_r)
    return counts


# -- child: measurements ----------------------------------------------------------------------


def child(scale: str, repetitions: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    import django

    django.setup()
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # import every view now

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from xiake.catalog.models import Achievement
    from xiake.contracts.models import TechContract
    from xiake.liaison.models import Registration

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    _demo_data()
    copies = _scale_up() if scale == "10x" else {}
    from django.db import connection

    if connection.vendor == "postgresql":
        # As autovacuum would in service: planner statistics and the visibility map that
        # index-only scans need (right after a bulk load the planner guesses rows=1).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    setup_s = time.perf_counter() - started
    bureau = get_user_model().objects.get(username="bureau")
    client = Client()
    client.force_login(bureau)

    def get(url):
        def fetch():
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)

        return fetch

    from django.utils import timezone

    from xiake.dashboard.brief import build as build_brief
    from xiake.dashboard.models import StatisticsBrief
    from xiake.dashboard.periods import year_to_date

    period = year_to_date(timezone.localdate())  # the dashboard's default period

    def brief(fmt):
        def build():
            made = StatisticsBrief.objects.create(
                requested_by=bureau, period=period.key, format=fmt, language="zh-hans"
            )
            assert build_brief(made.pk)["status"] == "done"

        return build

    calls = {
        "health": get("/health/"),
        "cold": get("/dashboard/?fresh=1"),
        "warm": get("/dashboard/"),
        "home": get("/my/"),
        "drill": get("/dashboard/drill/contracts_total/"),
        "brief_docx": brief("docx"),
        "brief_pdf": brief("pdf"),
    }
    t = time.perf_counter()
    calls["warm"]()  # the very first dashboard request of the process: nothing cached, imports
    first_ms = (time.perf_counter() - t) * 1000
    for fn in calls.values():  # warm-up
        fn()
    timings = {k: [] for k in calls}
    for _ in range(repetitions):
        for key, fn in calls.items():
            t = time.perf_counter()
            fn()
            timings[key].append(time.perf_counter() - t)
    figures_ms = figure_times(bureau, period)
    return {
        "scale": scale,
        "figures_ms": figures_ms,
        "plans": plans(bureau, period, sorted(figures_ms, key=lambda k: -figures_ms[k])[:2]),
        "achievements": Achievement.objects.count(),
        "contracts": TechContract.objects.count(),
        "registrations": Registration.objects.count(),
        "copies": copies,
        "setup_s": setup_s,
        "first_request_ms": first_ms,
        "timings": {k: stats_ms(v) for k, v in timings.items()},
    }


def figure_times(user, period) -> dict[str, float]:
    """Each figure alone for the period, the previous one and last year (ms, nothing cached)."""
    from xiake.dashboard.figures import FIGURES, Context

    periods = (period, period.previous(), period.same_period_last_year())
    out = {}
    for f in FIGURES:
        ctx = Context(user, periods)
        t = time.perf_counter()
        for p in periods:
            f.value(ctx, p)
        out[f.key] = (time.perf_counter() - t) * 1000
    return out


def plans(user, period, keys) -> dict[str, list[dict]]:
    """The queries of the given figures with their plans: EXPLAIN ANALYZE on PostgreSQL,
    EXPLAIN QUERY PLAN on SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiake.dashboard.figures import BY_KEY, Context

    periods = (period, period.previous(), period.same_period_last_year())
    explain = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    out = {}
    for key in keys:
        with CaptureQueriesContext(connection) as captured:
            ctx = Context(user, periods)
            for p in periods:
                BY_KEY[key].value(ctx, p)
        rows = []
        for q in captured.captured_queries:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(explain + q["sql"])
                plan = ["  ".join(str(c) for c in row) for row in cursor.fetchall()]
            rows.append({"sql": q["sql"], "ms": float(q["time"]) * 1000, "plan": plan})
        out[key] = rows
    return out


# -- parent ---------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named in ``url``."""
    from urllib.parse import urlparse

    import psycopg

    name = urlparse(url).path.lstrip("/")
    assert name.startswith("xiake_bench"), "--database must name a xiake_bench… database"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(scales=SCALES, repetitions: int = 20, keep: bool = False, database: str = "") -> dict:
    info = {"started": now_iso(), "machine": machine(), "repetitions": repetitions, "scales": {}}
    info["database"] = "postgresql" if database else "sqlite"
    for scale in scales:
        var = fresh_var_dir(f"dashboard-{scale}")
        try:
            args = [PYTHON, "-m", "benchmarks.bench_dashboard", "--child", scale]
            args += ["--repetitions", str(repetitions)]
            extra = {}
            if database:
                fresh_database(database)
                extra["DATABASE_URL"] = database
            env = xiake_env(var, **extra)
            measured = run_measured(args, env=env, timeout=3600).check()
            line = next(x for x in measured.stdout.splitlines() if x.startswith(MARK))
            result = json.loads(line[len(MARK) :])
            result["child_max_rss_mb"] = measured.max_rss_mb
            info["scales"][scale] = result
            print(f"  {scale}: done in {measured.seconds:.0f} s", flush=True)
        finally:
            if not keep:
                remove_dir(var)
    return info


def report(info: dict) -> str:
    rows = []
    for scale, r in info["scales"].items():
        t = r["timings"]
        base = t["health"]["p50_ms"]
        label = (
            f"{scale} ({r['achievements']:,} achievements, {r['contracts']:,} contracts, "
            f"{r['registrations']:,} registrations)"
        )
        for i, (key, name) in enumerate(TARGETS):
            ratio = t[key]["p50_ms"] / base if base else float("nan")
            rows.append(
                [label if i == 0 else "", name, t[key]["p50_ms"], t[key]["p99_ms"], f"{ratio:.0f}×"]
            )
        rows.append(["", "first dashboard request of the process", r["first_request_ms"], "", ""])
        slowest = sorted(r["figures_ms"].items(), key=lambda kv: -kv[1])[:5]
        rows.append(
            [
                "",
                "slowest figures alone (ms)",
                ", ".join(f"{k} {v:.0f}" for k, v in slowest),
                "",
                "",
            ]
        )
    out = [table(["scale", "target", "p50 ms", "p99 ms", "p50 / baseline"], rows)]
    demo = info["scales"].get("demo")
    if demo:
        p50 = demo["timings"]["warm"]["p50_ms"]
        ok = "met" if p50 <= TARGET_WARM_MS else "MISSED"
        out.append(
            f"dashboard warm at demo size: p50 {p50:.0f} ms (target ≤ {TARGET_WARM_MS}): {ok}"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dirs")
    parser.add_argument("--database", default="", help="a PostgreSQL URL (destroyed!)")
    parser.add_argument("--child", choices=list(SCALES), help=argparse.SUPPRESS)
    o = parser.parse_args(argv)
    if o.child:
        print(MARK + json.dumps(child(o.child, o.repetitions)), flush=True)
        return 0
    info = run(o.scales, o.repetitions, o.keep, o.database)
    path = write_json("dashboard-postgresql" if o.database else "dashboard", info)
    print(report(info))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
