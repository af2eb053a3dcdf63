"""Audit log search at a million records: p50/p99 of each filtered search the ``/audit/`` page runs,
beside same-run baselines (a primary-key lookup and the unfiltered newest page).

A fresh database (SQLite in a temporary ``XIAKE_VAR_DIR``; PostgreSQL with ``--database-url``, a
database this benchmark creates and drops) is migrated and filled with ``--rows`` records spread
over 400 days: 2,000 actors, the platform's actions weighted as in use (updates and logins most,
permission changes and prunes rare), 40 object types, 100,000 object ids, 5,000 IPs, a request id
shared by one to four records; one record in 20,000 carries a rare word. Each search is the page's
own query (``AuditSearchForm`` → ``queryset()`` → the 51 rows of a page) with a different random
value on each repetition; the view itself (template included) is measured once through Django's
test client.

Free text is measured twice in the same run: through the terms index (``xiake.core.auditsearch``,
what the page runs) and as the scan it was before (``auditsearch.unindexed`` alone, marked
"scan:"; ``--scan-repetitions`` of them, a scan takes seconds). At the end the insert cost of one
audit record is measured with the index (``ChangeRecord.save()``: terms computed, index kept) and,
after dropping the index, without it (the model's plain save, no terms): one record per
transaction as requests write them, and in transactions of 1,000 as the importer does.

    .venv/bin/python -m benchmarks.bench_audit                      # SQLite, 1,000,000 records
    .venv/bin/python -m benchmarks.bench_audit --rows 100000        # quicker
    .venv/bin/python -m benchmarks.bench_audit --database-url postgres://postgres@127.0.0.1:5432/x
    .venv/bin/python -m benchmarks.bench_audit --rows 200000 --scan-repetitions 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

from benchmarks.common import (
    machine,
    measure_in_child,
    now_iso,
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
# in one record of RARE_EVERY; no character of WORDS, ABSENT or the usernames is in them
RARE_WORDS = ["铍铜", "zirconia"]
RARE_EVERY = 20_000
# pairs of these characters are in no record (nor is any character of them)
ABSENT_CHARS = "甲乙丙丁戊己庚辛壬癸"


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def fill(rows: int, seed: int) -> float:
    """Insert the records with executemany (the model's bulk_create costs 20× more in Python)."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from xiake.core.auditsearch import terms_of

    rng = random.Random(seed)
    types = list(ContentType.objects.values_list("pk", flat=True))[:40]
    actions, weights = zip(*ACTIONS, strict=True)
    picks = rng.choices(actions, weights, k=rows)
    now = timezone.now()
    before, after = json.dumps({"status": "draft"}), json.dumps({"status": "published"})
    sql = (
        "INSERT INTO core_changerecord (time, actor_name, action, content_type_id, object_id,"
        " object_repr, comment, request_id, ip, before, after, search_terms)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
        actor, obj, comment = f"user{rng.randrange(2000):04d}", f"{words} {i}", f"{action} {words}"
        if i % RARE_EVERY == RARE_EVERY // 2:
            comment += f" {RARE_WORDS[(i // RARE_EVERY) % len(RARE_WORDS)]}"
        batch.append(
            (
                when if connection.vendor == "postgresql" else when.isoformat(" ")[:26],
                actor,
                action,
                types[i % len(types)],
                str(rng.randrange(100_000)),
                obj,
                comment,
                request_id,
                f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(1, 20)}",
                before if updated else None,
                after if updated else None,
                terms_of(actor, obj, comment),  # what ChangeRecord.save() writes
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
        *text_searches(rng, week),
        ("action=update page 20", lambda: {"action": "update", "page": "20"}),
    ]


def text_searches(rng, week):
    """The free-text searches: matching nothing, a rare word, a common one (1 to 4 characters)."""

    def absent():
        return "".join(rng.sample(ABSENT_CHARS, 2))

    return [
        ("text absent, 2 chars", lambda: {"q": absent()}),
        (
            "text absent, 4 chars + digits",
            lambda: {"q": f"{absent()}{absent()}{rng.randrange(10**4)}"},
        ),
        ("text absent, ASCII", lambda: {"q": f"qx{rng.randrange(10**4)}"}),
        ("text rare, 2 chars", lambda: {"q": RARE_WORDS[0]}),
        ("text rare, ASCII", lambda: {"q": RARE_WORDS[1]}),
        ("text common, 1 char", lambda: {"q": rng.choice("合同导出登记")}),
        ("text common word", lambda: {"q": rng.choice(WORDS)}),
        ("text username (1 in 2,000)", lambda: {"q": f"user{rng.randrange(2000):04d}"}),
        ("text absent + one week", lambda: {"q": absent(), **week()}),
    ]


# the searches also measured as the scan they were before the index
SCANNED = (
    "text absent, 2 chars",
    "text rare, 2 chars",
    "text common word",
    "text absent + one week",
)


def run_child(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xiake.core import auditsearch
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

    def page_of(params, scan=False):
        fields = {k: v for k, v in params.items() if k != "page" and not (scan and k == "q")}
        form = AuditSearchForm(fields)
        assert form.is_valid(), form.errors
        qs = form.queryset()
        if scan:  # the free-text filter as it was: no index, every record's text compared
            qs = qs.filter(auditsearch.unindexed(params["q"]))
        start = (int(params.get("page", 1)) - 1) * PAGE_SIZE
        return list(qs.select_related("content_type")[start : start + PAGE_SIZE + 1])

    pages = [(name, make, "page") for name, make in searches(rng)]
    targets = [
        ("baseline: primary-key lookup", lambda: None, "pk"),
        ("baseline: newest page, no filter", lambda: {}, "page"),
        *pages,
        *[(f"scan: {name}", make, "scan") for name, make, _k in pages if name in SCANNED],
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
            if kind == "scan" and rep >= args.scan_repetitions:
                continue
            params = make()
            started = time.perf_counter()
            if kind == "pk":
                rows = list(ChangeRecord.objects.filter(pk=rng.randint(1, max_pk)))
            else:
                rows = page_of(params, scan=kind == "scan")
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
    load = os.getloadavg()
    inserts = insert_costs(args.inserts, random.Random(args.seed + 2))
    return {
        "load_during_searches": [round(v, 2) for v in load],
        "insert_us": inserts,
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


def insert_costs(count: int, rng) -> dict:
    """Microseconds per inserted audit record with the index and, the index dropped, without.

    Last in the run, on the full table, with the index (terms computed by ``save()``, GIN or FTS5
    maintained) first, then without (the model's plain save: no terms, no index).
    """
    from django.db import connection, models, transaction

    from xiake.core import auditsearch
    from xiake.core.models import ChangeRecord

    def records():
        return [
            ChangeRecord(
                action="update",
                actor_name=f"user{rng.randrange(2000):04d}",
                object_repr=f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.randrange(10**6)}",
                comment=f"update {rng.choice(WORDS)}",
                object_id=str(rng.randrange(100_000)),
                request_id=f"{rng.getrandbits(128):032x}",
                ip="10.1.2.3",
            )
            for _ in range(count)
        ]

    def one_per_transaction(save):
        times = []
        for record in records():
            started = time.perf_counter()
            save(record)  # autocommit: its own transaction, as a request writes it
            times.append((time.perf_counter() - started) * 1e6)
        return round(percentile(times, 0.5), 1)

    def in_batches(save, size=1000):
        per_record = []
        batch = records()
        for start in range(0, count, size):
            started = time.perf_counter()
            with transaction.atomic():
                for record in batch[start : start + size]:
                    save(record)
            per_record.append((time.perf_counter() - started) * 1e6 / size)
        return round(percentile(per_record, 0.5), 1)

    def indexed(record):
        record.save()

    def plain(record):
        models.Model.save(record)  # ChangeRecord.save() less its terms

    result = {
        "one per transaction, with index": one_per_transaction(indexed),
        "batches of 1000, with index": in_batches(indexed),
    }
    print("dropping the text index for the insert baseline", file=sys.stderr, flush=True)
    auditsearch.remove(connection)
    result["one per transaction, no index"] = one_per_transaction(plain)
    result["batches of 1000, no index"] = in_batches(plain)
    result["records per measure"] = count
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--scan-repetitions", type=int, default=5, help="of each unindexed scan")
    parser.add_argument("--inserts", type=int, default=2000, help="records per insert measure")
    parser.add_argument(
        "--database-url",
        "--database",
        default="",
        help="PostgreSQL server (a scratch database is created and dropped there)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)))
        return
    # MFA=0 as in the tests: the view is measured with a forced login, not a second factor
    result = measure_in_child(
        "benchmarks.bench_audit",
        _forward(args),
        name="audit",
        database_url=args.database_url,
        timeout=3 * 3600,
        MFA="0",
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
    scans = [
        [
            name,
            len(targets[f"scan: {name}"]["ms"]),
            targets[f"scan: {name}"]["p50_ms"],
            targets[name]["p50_ms"],
            round(targets[f"scan: {name}"]["p50_ms"] / targets[name]["p50_ms"], 1),
            targets[f"scan: {name}"]["rows_p50"] == targets[name]["rows_p50"],
        ]
        for name in SCANNED
    ]
    print("free text: the scan it was (same run) against the index")
    print(table(["search", "scans", "scan p50 ms", "index p50 ms", "× faster", "same rows"], scans))
    inserts = result["insert_us"]
    print(f"insert cost per audit record (µs, p50, {inserts['records per measure']} records each)")
    print(
        table(
            ["written", "with index", "no index", "× cost"],
            [
                [
                    mode,
                    inserts[f"{mode}, with index"],
                    inserts[f"{mode}, no index"],
                    round(inserts[f"{mode}, with index"] / inserts[f"{mode}, no index"], 2),
                ]
                for mode in ("one per transaction", "batches of 1000")
            ],
        )
    )
    print(f"load average after the searches: {result['load_during_searches']}")
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
        "--scan-repetitions",
        str(args.scan_repetitions),
        "--inserts",
        str(args.inserts),
    ]


if __name__ == "__main__":
    main()
