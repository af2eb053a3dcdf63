"""Brokerage benchmarks: notification fan-out and the contract statistics page.

``python -m benchmarks.bench_brokerage [--users 10000] [--contracts 100000] [--requests 40]``

A fresh var dir (SQLite) is migrated by ``xiake migrate``; a child process (this module with
``--worker``) then fills it and measures, so memory figures are that child's own.

1. Fan-out: ``--users`` users each subscribed (instant) to the industry of one achievement, all
   with an e-mail address; the achievement is published by the review transition. Measured:
   enqueueing the push task with a backend that only stores it (the DummyBackend: the cost a
   request pays with a real queue), delivering in-site (``push.push_achievement``: recommend +
   subscriber query + notification inserts, as the worker runs it), the e-mail copies through
   Django's locmem backend, tracemalloc peak and the growth of the child's peak RSS.
2. Statistics: ``--contracts`` contracts (bulk insert, 70 % registered, then counted into the
   statistics cells by ``rollup.rebuild``, timed), one contract saved through the cells, the page
   figures grouped directly vs from the cells (and checked equal), then ``GET
   /contracts/statistics/`` as the bureau through Django's test client (in-process, no HTTP
   server), interleaved with ``GET /health/`` — the bare-view baseline of the same run — p50/p99.

Results: ``var/bench/brokerage.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from benchmarks.common import (
    PYTHON,
    fresh_var_dir,
    machine,
    now_iso,
    remove_dir,
    run_measured,
    table,
    write_json,
    xiake,
    xiake_env,
)


def percentile(values, q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def worker(args) -> dict:
    import resource
    import time
    import tracemalloc

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from xiake.accounts.models import Organization
    from xiake.brokerage import push, tasks
    from xiake.brokerage.models import Notification, Subscription
    from xiake.catalog.models import Achievement
    from xiake.taxonomy.api import resolve
    from xiake.taxonomy.loading import load_builtin

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    load_builtin()
    # as in the tests: plain static storage (no collectstatic manifest in the fresh var dir)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MATCHING_BACKGROUND_REBUILD = False
    settings.BROKERAGE_PUSH_WAIT = 60
    User = get_user_model()
    out: dict = {}

    # --- 1. fan-out ------------------------------------------------------------------------------
    uni = Organization.objects.create(name="基准大学", org_type="university")
    ent = Organization.objects.create(name="基准企业", org_type="enterprise")
    bureau = User.objects.create_user("bench_bureau", role="bureau", password="x")
    industry = resolve("gbt4754", "33")
    started = time.perf_counter()
    users = User.objects.bulk_create(
        [
            User(
                username=f"sub{i:05d}",
                role="enterprise",
                organization=ent,
                email=f"sub{i:05d}@example.com",
                password="!",
            )
            for i in range(args.users)
        ],
        batch_size=2000,
    )
    Subscription.objects.bulk_create(
        [Subscription(user=u, kind="industry", term=industry, frequency="instant") for u in users],
        batch_size=2000,
    )
    out["setup_users_s"] = time.perf_counter() - started
    achievement = Achievement.objects.create(
        owner_org=uni,
        title="双相不锈钢焊缝耐海水腐蚀焊接工艺",
        keywords="不锈钢,焊缝,腐蚀",
        summary="不锈钢管焊缝在海水环境中的防腐蚀焊接工艺。",
        industry=industry,
        status="pending",
    )
    from xiake.matching.engine import engine

    engine().rebuild()  # the index exists before the push, as in production
    push.push_achievement  # noqa: B018  (imported before timing)

    # The child runs with TASKS_BACKEND=DummyBackend: enqueueing stores the task, runs nothing.
    from django_tasks import task_backends

    default_task_backend = task_backends["default"]
    assert type(default_task_backend).__name__ == "DummyBackend"
    t = time.perf_counter()
    achievement.transition("publish", bureau, "基准")  # autocommit: on_commit runs at once
    out["publish_and_enqueue_ms"] = (time.perf_counter() - t) * 1000
    assert len(default_task_backend.results) == 1, "the push task was not enqueued"
    assert not Notification.objects.exists(), "the dummy backend must not run the task"

    # warm the analyzer (jieba dictionary, loaded once per process) outside the timing
    from django.contrib.auth.models import AnonymousUser

    from xiake.matching import api as matching

    t = time.perf_counter()
    matching.recommend(AnonymousUser(), achievement, "demand", limit=1)
    out["first_recommend_s"] = time.perf_counter() - t
    rss0 = rss_mb()
    t = time.perf_counter()
    counts = push.push_achievement(achievement)
    out["deliver_in_site_s"] = time.perf_counter() - t
    out["deliver_rss_growth_mb"] = rss_mb() - rss0
    # memory on a second achievement (tracemalloc slows Python down: not during the timing)
    twin = Achievement.objects.create(
        owner_org=uni, title="焊缝在线检测系统", industry=industry, status="published"
    )
    tracemalloc.start()
    t = time.perf_counter()
    push.push_achievement(twin)
    out["deliver_traced_s"] = time.perf_counter() - t
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["deliver_tracemalloc_peak_mb"] = peak / 2**20
    out["notifications"] = Notification.objects.filter(key__in=list(counts)).count()
    out["notifications_new"] = sum(counts.values())
    t = time.perf_counter()
    again = push.push_achievement(achievement)
    out["deliver_again_s"] = time.perf_counter() - t
    out["notifications_new_again"] = sum(again.values())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    t = time.perf_counter()
    mailed = tasks.send_emails.call(next(iter(counts)))
    out["emails_s"] = time.perf_counter() - t
    out["emails_sent"] = mailed["sent"]

    # --- 2. statistics over N contracts ------------------------------------------------------------
    import datetime as dt
    import random
    from decimal import Decimal

    from xiake.contracts.models import TechContract

    rng = random.Random(7)
    cats = [resolve("contract_type", c) for c in ("development", "transfer", "service")]
    fields = [resolve("contract_field", c) for c in ("manufacturing", "materials", "energy")]
    party = [resolve("party_type", c) for c in ("022", "021", "100")]
    sellers = [
        Organization.objects.create(name=f"基准卖方{i}", org_type=("university", "nri")[i % 2])
        for i in range(40)
    ]
    buyers = [
        Organization.objects.create(name=f"基准买方{i}", org_type="enterprise", is_local=i % 3 == 0)
        for i in range(200)
    ]
    t = time.perf_counter()
    batch = []
    today = dt.date(2026, 11, 1)
    for i in range(args.contracts):
        total = Decimal(rng.randrange(10_000_00, 9_000_000_00)) / 100
        batch.append(
            TechContract(
                title=f"基准合同{i}",
                category=cats[i % 3],
                technical_field=fields[i % 3],
                owner_org=sellers[i % len(sellers)],
                seller_party_type=party[i % 3],
                buyer_org=buyers[i % len(buyers)],
                total_amount=total,
                non_technical_amount=Decimal("0.00"),
                tech_amount=total,
                signed_on=today - dt.timedelta(days=rng.randrange(0, 1500)),
                signed_online=i % 4 == 0,
                status="registered" if i % 10 < 7 else "submitted",
            )
        )
        if len(batch) == 5000:
            TechContract.objects.bulk_create(batch)
            batch = []
    TechContract.objects.bulk_create(batch)
    out["setup_contracts_s"] = time.perf_counter() - t
    # bulk_create calls no save(): count the contracts into the statistics cells as the demo and
    # imports do (a full rebuild: what `xiake contract_rollup --rebuild` costs at this size)
    from xiake.contracts import rollup

    t = time.perf_counter()
    out["rollup_cells"] = rollup.rebuild()
    out["rollup_rebuild_s"] = time.perf_counter() - t
    # one contract moved through the workflow's path (save + cells), as a registrar's click does
    c = TechContract.objects.filter(status="submitted").first()
    t = time.perf_counter()
    c.status = "registered"
    c.save()
    out["rollup_one_save_ms"] = (time.perf_counter() - t) * 1000
    # the same figures grouped directly over the table (what the page did before the cells)
    from xiake.contracts import stats

    t = time.perf_counter()
    direct = stats.report(bureau, "registered", "year", use_rollup=False)
    out["direct_grouping_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    cells = stats.report(bureau, "registered", "year", use_rollup=True)
    out["from_cells_ms"] = (time.perf_counter() - t) * 1000
    out["cells_equal_direct"] = (direct[0].count, direct[0].total, direct[0].tech) == (
        cells[0].count,
        cells[0].total,
        cells[0].tech,
    ) and [[(r.key, r.count, r.total, r.tech) for r in rows] for _, rows in direct[1]] == [
        [(r.key, r.count, r.total, r.tech) for r in rows] for _, rows in cells[1]
    ]

    client = Client()
    client.force_login(bureau)
    targets = [
        ("/health/", "bare view /health/ (baseline)"),
        ("/cases/board/", "full page, empty case board (baseline)"),
        ("/contracts/statistics/", "stats"),
    ]
    for path, _ in targets:  # warm up: templates, translations, first queries
        assert client.get(path).status_code == 200
    times: dict[str, list[float]] = {name: [] for _, name in targets}
    for _ in range(args.requests):
        for path, name in targets:
            t = time.perf_counter()
            r = client.get(path)
            times[name].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
    out["stats_registered_contracts"] = stats.totals(stats.base_queryset(bureau)).count
    out["latency_ms"] = {
        name: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99), "n": len(v)}
        for name, v in times.items()
    }
    out["peak_rss_mb"] = rss_mb()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the var dir")
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(args), ensure_ascii=False))
        return 0

    var = fresh_var_dir("brokerage")
    try:
        env = xiake_env(
            var,
            DJANGO_SETTINGS_MODULE="xiake.settings",
            TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        )
        run_measured(xiake("migrate", "--noinput", "-v0"), env, timeout=1200).check()
        child = run_measured(
            [
                PYTHON,
                "-m",
                "benchmarks.bench_brokerage",
                "--worker",
                f"--users={args.users}",
                f"--contracts={args.contracts}",
                f"--requests={args.requests}",
            ],
            env,
            timeout=3600,
        ).check()
    finally:
        if not args.keep:
            remove_dir(var)
    line = next(x for x in child.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["child_peak_rss_mb"] = child.max_rss_mb
    payload = {"when": now_iso(), "machine": machine(), "args": vars(args), "result": result}
    path = write_json("brokerage", payload)
    print(
        table(
            ["fan-out", "value"],
            [
                ["subscribed users", args.users],
                ["publish + enqueue (DummyBackend), ms", result["publish_and_enqueue_ms"]],
                ["first recommend of the process (analyzer load), s", result["first_recommend_s"]],
                ["deliver in-site, s", result["deliver_in_site_s"]],
                ["notifications written", result["notifications_new"]],
                ["deliver again (idempotent), s", result["deliver_again_s"]],
                ["new on the second run", result["notifications_new_again"]],
                ["tracemalloc peak (2nd achievement), MB", result["deliver_tracemalloc_peak_mb"]],
                ["deliver under tracemalloc, s", result["deliver_traced_s"]],
                ["peak RSS growth, MB", result["deliver_rss_growth_mb"]],
                ["e-mail copies (locmem), s", result["emails_s"]],
            ],
        )
    )
    print()
    print(
        table(
            ["GET (bureau, in-process)", "p50 ms", "p99 ms", "n"],
            [[k, v["p50"], v["p99"], v["n"]] for k, v in result["latency_ms"].items()],
        )
    )
    print()
    print(
        table(
            ["statistics cells", "value"],
            [
                ["cells after rebuild", result["rollup_cells"]],
                ["rebuild over all contracts, s", result["rollup_rebuild_s"]],
                ["one contract saved (row + cells), ms", result["rollup_one_save_ms"]],
                ["page figures grouped directly, ms", result["direct_grouping_ms"]],
                ["page figures from the cells, ms", result["from_cells_ms"]],
                ["cells == direct grouping", result["cells_equal_direct"]],
            ],
        )
    )
    print(f"\n{path}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    sys.exit(main())
