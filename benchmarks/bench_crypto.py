"""Decryption of encrypted fields on first read, against the eager decryption it replaced.

A fresh database (SQLite in a temporary ``XIAKE_VAR_DIR``; PostgreSQL with ``--database-url``, a
database this benchmark creates and drops) holds ``--rows`` published achievements of 40
organisations, each achievement and each organisation with an encrypted contact phone. In one
process, alternating the two modes on every repetition, it measures:

- reading the rows as a list page does (``select_related`` owner organisation, the title read, the
  phones not): with decryption on first read nothing is decrypted, eagerly 2 × rows tokens were;
- the same reading every achievement's phone (both decrypt it: the cost of the laziness itself);
- the CSV export of the rows (``xiake.core.exporter.export_rows``, as the list's export button):
  as the bureau, which sees the phones, and (first ``MASKED_ROWS`` rows) as an enterprise user,
  who gets them masked (the mask keeps 7 digits, so the phone is decrypted all the same).

"eager" is the field's former ``from_db_value`` (``EncryptedCharField.from_db_value_eagerly``, put
back on the class for the measurement); "lazy" the field as it is.

    .venv/bin/python -m benchmarks.bench_crypto                  # SQLite, 16,000 rows
    .venv/bin/python -m benchmarks.bench_crypto --rows 2000 --repetitions 3
    .venv/bin/python -m benchmarks.bench_crypto --database-url postgres://postgres@127.0.0.1:5432/x
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import statistics
import time

from benchmarks.common import (
    machine,
    measure_in_child,
    now_iso,
    table,
    write_json,
)

ORGS = 40
# whether an enterprise may see a phone is asked per row (an accepted docking case grants it), a
# query each: ~6 ms a row under load, which would drown the decryption in an export of 16,000
MASKED_ROWS = 2000


def fill(rows: int) -> float:
    from xiake.accounts.models import Organization, User
    from xiake.catalog.models import Achievement
    from xiake.taxonomy.api import resolve

    started = time.perf_counter()
    orgs = [
        Organization.objects.create(
            name=f"加密基准大学{i:02d}", org_type="university", contact_phone=f"025-8555{i:04d}"
        )
        for i in range(ORGS)
    ]
    trl, industry = resolve("trl", "6"), resolve("gbt4754", "33")
    Achievement.objects.bulk_create(
        [
            Achievement(
                owner_org=orgs[i % ORGS],
                status="published",
                title=f"加密字段基准成果{i:05d}",
                keywords="基准,加密",
                summary="用于测量加密字段读取开销的成果。",
                trl=trl,
                industry=industry,
                contact_phone=f"139{i:08d}",
                contact_email=f"bench{i}@example.edu.cn",
            )
            for i in range(rows)
        ],
        batch_size=2000,
    )
    bureau_org = Organization.objects.create(name="加密基准科技局", org_type="government")
    firm = Organization.objects.create(name="加密基准企业", org_type="enterprise")
    User.objects.create_user(
        "bench_bureau", password="x-Bench-2026", role="bureau", organization=bureau_org
    )
    User.objects.create_user(
        "bench_firm", password="x-Bench-2026", role="enterprise", organization=firm
    )
    return round(time.perf_counter() - started, 1)


@contextlib.contextmanager
def eager():
    """The field's former behaviour: every token decrypted as the row is read."""
    from xiake.core.crypto import EncryptedCharField

    lazy = EncryptedCharField.from_db_value
    EncryptedCharField.from_db_value = EncryptedCharField.from_db_value_eagerly
    try:
        yield
    finally:
        EncryptedCharField.from_db_value = lazy


def run_child(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xiake.accounts.models import User
    from xiake.catalog.models import Achievement
    from xiake.core.exporter import export_rows
    from xiake.core.resources import resource_for

    call_command("migrate", verbosity=0)
    fill_seconds = fill(args.rows)
    resource = resource_for(Achievement)
    bureau = User.objects.get(username="bench_bureau")
    firm = User.objects.get(username="bench_firm")

    def list_titles():
        qs = Achievement.objects.select_related("owner_org").order_by("pk")
        return sum(len(a.title) + len(a.owner_org.name) for a in qs.iterator(chunk_size=2000))

    def list_phones():
        qs = Achievement.objects.select_related("owner_org").order_by("pk")
        return sum(len(a.contact_phone) for a in qs.iterator(chunk_size=2000))

    def export_as(user, limit=None):
        def run():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            queryset = resource.queryset(user).order_by("pk")  # what the list page exports
            queryset = queryset[:limit] if limit else queryset
            for row in export_rows(resource, queryset, user):
                writer.writerow(row)
            return len(buffer.getvalue())

        return run

    targets = {
        "list page read (titles, no phone)": list_titles,
        "every row's phone read": list_phones,
        "CSV export as the bureau (phones shown)": export_as(bureau),
        f"CSV export as an enterprise (phones masked), first {MASKED_ROWS:,} rows": export_as(
            firm, MASKED_ROWS
        ),
    }
    results = {}
    for name, work in targets.items():
        times = {"eager": [], "lazy": []}
        outputs = set()
        work()  # warm-up (imports, query plans, caches)
        for rep in range(args.repetitions):
            order = ("eager", "lazy") if rep % 2 == 0 else ("lazy", "eager")
            for mode in order:
                with eager() if mode == "eager" else contextlib.nullcontext():
                    started = time.perf_counter()
                    outputs.add(work())
                    times[mode].append(time.perf_counter() - started)
        assert len(outputs) == 1, f"{name}: the two modes gave different output ({outputs})"
        results[name] = {
            mode: {"median_s": round(statistics.median(v), 3), "s": [round(x, 3) for x in v]}
            for mode, v in times.items()
        }
    return {
        "engine": connection.vendor,
        "rows": args.rows,
        "repetitions": args.repetitions,
        "fill_seconds": fill_seconds,
        "targets": results,
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (a scratch database)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)))
        return
    load_start = machine()
    result = measure_in_child(
        "benchmarks.bench_crypto",
        ["--rows", str(args.rows), "--repetitions", str(args.repetitions)],
        name="crypto",
        database_url=args.database_url,
    )
    rows = []
    for name, t in result["targets"].items():
        e, lz = t["eager"]["median_s"], t["lazy"]["median_s"]
        rows.append([name, e, lz, round(e - lz, 3), round(lz / e, 2) if e else float("nan")])
    print(
        f"encrypted fields, {result['engine']}, {result['rows']:,} achievements of {ORGS} "
        f"organisations, {result['repetitions']} repetitions each (medians); load "
        f"{load_start['loadavg_at_start']} at start, {result['loadavg_at_end']} at end"
    )
    print(table(["read", "eager s", "lazy s", "saved s", "lazy/eager"], rows))
    result.update(machine=load_start, time=now_iso())
    path = write_json(f"crypto-{result['engine']}", result)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
