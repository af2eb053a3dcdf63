"""Audit log search at a million records: p50/p99 of each filtered search the ``/audit/`` page runs,
beside same-run baselines (a primary-key lookup and the unfiltered newest page).

A fresh database (SQLite in a temporary ``XIAKE_VAR_DIR``; PostgreSQL with ``--database-url``, a
database this benchmark creates and drops) is migrated and filled with ``--rows`` records spread
over 400 days: 2,000 actors, the platform's actions weighted as in use (updates and logins most,
permission changes and prunes rare), 40 object types, 100,000 object ids, 5,000 IPs, a request id
shared by one to four records. Each search is the page's own query (``AuditSearchForm`` →
``queryset()`` → the 51 rows of a page) with a different random value on each repetition; the
view itself (template included) is measured once through Django's test client.

    .venv/bin/python -m benchmarks.bench_audit                      # SQLite, 1,000,000 records
    .venv/bin/python -m benchmarks.bench_audit --rows 100000        # quicker
    .venv/bin/python -m benchmarks.bench_audit --database-url postgres://postgres@127.0.0.1:5432/x
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time

from benchmarks.common import (
    PYTHON,
    REPO,
    fresh_var_dir,
    machine,
    now_iso,
    remove_dir,
    table,
    write_json,
)

ACTIONS = [
    ("update", 40),
    ("create", 15),
    ("login", 20),
    ("logout", 8),
    ("export", 5),
    ("download", 5),
    ("review", 4),
    ("login_failed", 2),
    ("import", 0.5),
    ("delete", 0.4),
    ("permission", 0.1),
]
STATIC_PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
WORDS = "成果 需求 专家 合同 登记 评估 汇编 海水淡化 石墨烯 膜材料 催化剂 导出 下载 审核".split()


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def fill(rows: int, seed: int) -> float:
    """Insert the records with executemany (the model's bulk_create costs 20× more in Python)."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    rng = random.Random(seed)
    types = list(ContentType.objects.values_list("pk", flat=True))[:40]
    actions, weights = zip(*ACTIONS, strict=True)
    picks = rng.choices(actions, weights, k=rows)
    now = timezone.now()
    before, after = json.dumps({"status": "draft"}), json.dumps({"status": "published"})
    sql = (
        "INSERT INTO core_changerecord (time, actor_name, action, content_type_id, object_id,"
        " object_repr, comment, request_id, ip, before, after)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    started = time.perf_counter()
    batch, request_id, left = [], "", 0
    for i, action in enumerate(picks):
        if left == 0:
            request_id, left = f"{rng.getrandbits(128):032x}", rng.randint(1, 4)
        left -= 1
        words = f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}"
        when = now - dt.timedelta(seconds=rng.random() * 400 * 86400)
        updated = action == "update"
        batch.append(
            (
                when if connection.vendor == "postgresql" else when.isoformat(" ")[:26],
                f"user{rng.randrange(2000):04d}",
                action,
                types[i % len(types)],
                str(rng.randrange(100_000)),
                f"{words} {i}",
                f"{action} {words}",
                request_id,
                f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(1, 20)}",
                before if updated else None,
                after if updated else None,
            )
        )
        if len(batch) == 20_000 or i == rows - 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
    return time.perf_counter() - started


def searches(rng):
    """(name, a function returning the GET parameters of one repetition)."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType

    types = [f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()[:40]]
    today = dt.date.today()
    from xiake.core.models import ChangeRecord

    request_ids = list(
        ChangeRecord.objects.order_by("?").values_list("request_id", flat=True)[:200]
    )

    def week():
        start = today - dt.timedelta(days=rng.randrange(7, 390))
        return {"date_from": str(start), "date_to": str(start + dt.timedelta(days=6))}

    return [
        ("actor", lambda: {"actor": f"user{rng.randrange(2000):04d}"}),
        ("action=update (40 %)", lambda: {"action": "update"}),
        ("action=permission (0.1 %)", lambda: {"action": "permission"}),
        (
            "object type + id",
            lambda: {"object_type": rng.choice(types), "object_id": str(rng.randrange(100_000))},
        ),
        ("object id", lambda: {"object_id": str(rng.randrange(100_000))}),
        ("one week", week),
        ("actor + one week", lambda: {"actor": f"user{rng.randrange(2000):04d}", **week()}),
        (
            "IP",
            lambda: {"ip": f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(1, 20)}"},
        ),
        ("request id", lambda: {"request_id": rng.choice(request_ids)}),
        ("text, common word", lambda: {"q": rng.choice(WORDS)}),
        ("text, absent word", lambda: {"q": f"不存在{rng.randrange(10**6)}"}),
        ("text absent + one week", lambda: {"q": f"不存在{rng.randrange(10**6)}", **week()}),
        ("action=update page 20", lambda: {"action": "update", "page": "20"}),
    ]


def run_child(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xiake.core.audit import PAGE_SIZE, AuditSearchForm
    from xiake.core.models import ChangeRecord

    call_command("migrate", verbosity=0)
    fill_seconds = fill(args.rows, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE core_changerecord")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = ChangeRecord.objects.count()
    max_pk = ChangeRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(args.seed + 1)

    def page_of(params):
        form = AuditSearchForm({k: v for k, v in params.items() if k != "page"})
        assert form.is_valid(), form.errors
        start = (int(params.get("page", 1)) - 1) * PAGE_SIZE
        return list(form.queryset().select_related("content_type")[start : start + PAGE_SIZE + 1])

    targets = [
        ("baseline: primary-key lookup", lambda: None, "pk"),
        ("baseline: newest page, no filter", lambda: {}, "page"),
        *[(name, make, "page") for name, make in searches(rng)],
    ]
    results = {name: [] for name, _m, _k in targets}
    found = {name: [] for name, _m, _k in targets}
    for _warm in range(3):
        for _name, make, kind in targets:
            if kind == "page":
                page_of(make())
    print(f"filled {total:,} in {fill_seconds:.0f} s", file=sys.stderr, flush=True)
    for rep in range(args.repetitions):
        print(f"repetition {rep + 1}/{args.repetitions}", file=sys.stderr, flush=True)
        for name, make, kind in targets:  # interleaved: drift hits every target alike
            params = make()
            started = time.perf_counter()
            if kind == "pk":
                rows = list(ChangeRecord.objects.filter(pk=rng.randint(1, max_pk)))
            else:
                rows = page_of(params)
            results[name].append((time.perf_counter() - started) * 1000)
            found[name].append(len(rows))

    # the whole view once per filter kind, through the middleware and the template
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from xiake.accounts.models import User

    # no collectstatic here: plain static URLs, as the tests use
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_PLAIN}}
    override_settings(STORAGES=plain).enable()

    auditor = User.objects.create_user("bench_auditor", role="audit_admin")
    client = Client()
    client.force_login(auditor)
    view_ms = []
    for _rep in range(args.repetitions):
        started = time.perf_counter()
        response = client.get("/audit/", {"actor": f"user{rng.randrange(2000):04d}"})
        view_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    results["view /audit/?actor= (whole page)"] = view_ms
    found["view /audit/?actor= (whole page)"] = [PAGE_SIZE]
    return {
        "engine": connection.vendor,
        "rows": total,
        "fill_seconds": round(fill_seconds, 1),
        "repetitions": args.repetitions,
        "targets": {
            name: {
                "p50_ms": round(percentile(ms, 0.5), 2),
                "p99_ms": round(percentile(ms, 0.99), 2),
                "rows_p50": percentile(found[name], 0.5),
                "ms": [round(v, 2) for v in ms],
            }
            for name, ms in results.items()
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (a scratch database)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)))
        return
    var_dir = fresh_var_dir("audit")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(XIAKE_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="xiake.settings")
    scratch = None
    if args.database_url:
        base, _slash, _name = args.database_url.rpartition("/")
        scratch = f"xiake_bench_audit_{os.getpid()}"
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {scratch}"], check=True
        )
        env["DATABASE_URL"] = f"{base}/{scratch}"
    try:
        child = subprocess.run(
            [PYTHON, "-m", "benchmarks.bench_audit", "--child", *_forward(args)],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            timeout=3 * 3600,
        )
        if child.returncode != 0:
            sys.exit(f"the measuring process failed ({child.returncode}); see its output above")
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        remove_dir(var_dir)
        if scratch:
            subprocess.run(
                ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {scratch}"],
                check=False,
            )
    targets = result["targets"]
    base_ms = targets["baseline: newest page, no filter"]["p50_ms"]
    rows = [
        [name, t["p50_ms"], t["p99_ms"], round(t["p50_ms"] / base_ms, 1), t["rows_p50"]]
        for name, t in targets.items()
    ]
    print(
        f"audit search, {result['engine']}, {result['rows']:,} records "
        f"(filled in {result['fill_seconds']} s), {result['repetitions']} repetitions each"
    )
    print(table(["search", "p50 ms", "p99 ms", "× newest page", "rows (p50)"], rows))
    result.update(machine=machine(), time=now_iso())
    path = write_json(f"audit-{result['engine']}", result)
    print(f"written to {path}")


def _forward(args) -> list[str]:
    return [
        "--rows",
        str(args.rows),
        "--repetitions",
        str(args.repetitions),
        "--seed",
        str(args.seed),
    ]


if __name__ == "__main__":
    main()
