"""New R&D institutions: the district overview page and a full evaluation, at demo size and 100×.

Each scale runs in its own child process on a fresh SQLite database in a temporary
``XIAKE_VAR_DIR`` (so the child's peak RSS, from ``os.wait4``, belongs to that scale alone):

- ``demo``: ``xiake demo`` with small libraries and only the institutions step (53 institutions,
  36 months of reports, the demo's indicator systems and rounds);
- ``100x``: 5,300 synthetic institutions × 120 months of reports (636,000 rows, bulk_create),
  the demo's indicator system, an evaluator with 5,300 assignments and 3 scores each.

Measured in interleaved repetitions (a repetition runs the baseline first, then the target):

| target | baseline (same child, same repetition) |
|---|---|
| GET /institutions/overview/ as bureau (Django test client) | GET /health/ through the same stack |
| ``evaluation.run(round)`` for last year with no stored results: the grouped report query, formulas, normalisation, grades, ranks, fingerprint, every result written | ``SELECT COUNT(*)`` over the reports table, and reading the round's report rows (``values()``) |
| ``evaluation.run(round)`` again with unchanged inputs (results compared, nothing rewritten) | the same |

Static files are served without the collectstatic manifest, as in the tests. Peak Python memory of one overview and one evaluation is measured with ``tracemalloc`` in a
separate run (tracing slows everything down, so it is not mixed with the timings).

Targets: overview p50 ≤ 300 ms at demo size; full evaluation p50 ≤ 3 s at 100×.

    .venv/bin/python -m benchmarks.bench_institutions [--scales demo 100x] [--repetitions 15]
        [--keep] [--reuse 100x DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    fresh_var_dir,
    machine,
    median,
    now_iso,
    remove_dir,
    run_measured,
    table,
    write_json,
    xiake_env,
)

TARGET_OVERVIEW_MS = 300
TARGET_EVALUATION_S = 3.0
SCALES = {"demo": (53, 36), "100x": (5300, 120)}
MARK = "BENCH-RESULT "


def pct(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": median(ms), "p99_ms": pct(ms, 99), "n": len(ms), "all_ms": ms}


# -- child: data ------------------------------------------------------------------------------


def _demo_data():
    import io

    from django.core.management import call_command

    from xiake.demo import extensions

    keep = extensions._steps["institutions"]
    extensions._steps.clear()
    extensions._steps["institutions"] = keep
    call_command(
        "demo",
        *("--achievements", "0", "--experts", "0", "--demands", "0", "--platforms", "0"),
        *("--staff", "0", "--enterprises", "10"),
        stdout=io.StringIO(),
    )


def _synthetic(n_inst: int, months: int, seed: int = 7):
    """``n_inst`` institutions × ``months`` months of reports ending last month (bulk_create)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from xiake.accounts.models import Organization
    from xiake.institutions import demo
    from xiake.institutions import models as m
    from xiake.institutions.reporting import add_months, month_start

    rng = random.Random(seed)
    today = timezone.localdate()
    last = add_months(month_start(today), -1)
    first = add_months(last, -(months - 1))
    with transaction.atomic():
        orgs = Organization.objects.bulk_create(
            [Organization(name=f"合成新型研发机构{i:05d}", org_type="nri") for i in range(n_inst)],
            batch_size=2000,
        )
        insts = m.Institution.objects.bulk_create(
            [
                m.Institution(
                    owner_org=o,
                    name=o.name,
                    legal_form="enterprise",
                    backing_type="university",
                    filing_status=rng.choice(("none", "cultivating", "district", "city")),
                    park=rng.choice([p for p, _ in demo.PARKS]),
                    established_on=add_months(first, -rng.randint(1, 24)),
                    registered_capital=Decimal(rng.choice((300, 500, 1000))),
                    team_shareholders=rng.randint(3, 18),
                    fund_size=Decimal(rng.choice((0, 1000, 5000))),
                )
                for o in orgs
            ],
            batch_size=2000,
        )
    batch = []
    for inst in insts:
        level = math.exp(rng.gauss(math.log(100), 0.6))
        growth = rng.uniform(0.0, 0.3)
        inc = 0
        p = first
        for k in range(months):
            revenue = level * (1 + growth) ** (k / 12) * demo.SEASON[p.month]
            revenue *= math.exp(rng.gauss(0, 0.1))
            new = 1 if rng.random() < 0.4 else 0
            inc += new
            staff = 30 + k // 6
            batch.append(
                m.MonthlyReport(
                    institution=inst,
                    period=p,
                    status="published",
                    rd_spend=demo.D(revenue * 0.3),
                    staff_total=staff,
                    fulltime_rd_staff=staff // 2,
                    team_shareholders=inst.team_shareholders,
                    incubated_new=new,
                    incubated_cum=inc,
                    revenue=demo.D(revenue),
                    technical_income=demo.D(revenue * 0.4),
                    contract_value=demo.D(revenue * 0.5),
                    patent_applications=k % 3,
                    invention_applications=k % 2,
                    patent_grants=k % 2,
                    software_copyrights=k % 4 // 3,
                    fund_size=inst.fund_size or 0,
                    equipment_value=demo.D(500 + k * 10),
                    floor_area=Decimal(1000),
                )
            )
            p = add_months(p, 1)
        if len(batch) >= 20000:
            with transaction.atomic():
                m.MonthlyReport.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        m.MonthlyReport.objects.bulk_create(batch)
        year = today.year - 1
        system, _ = demo._system(f"{year}版", "新型研发机构绩效评价指标体系", dt.date(year, 1, 1))
        evaluator = get_user_model().objects.create(username="bench_evaluator", role="evaluator")
        get_user_model().objects.create(username="bench_bureau", role="bureau")
        round_ = m.EvaluationRound.objects.create(
            name=f"{year}年度（基准）",
            year=year,
            system=system,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 1),
        )
        assignments = m.EvaluatorAssignment.objects.bulk_create(
            [
                m.EvaluatorAssignment(round=round_, evaluator=evaluator, institution=i)
                for i in insts
            ],
            batch_size=2000,
        )
        scored = list(system.indicators.filter(method="scored"))
        m.Score.objects.bulk_create(
            [
                m.Score(assignment=a, indicator=ind, value=Decimal(rng.randint(4, 10)))
                for a in assignments
                for ind in scored
            ],
            batch_size=2000,
        )


# -- child: measurements ----------------------------------------------------------------------


def child(scale: str, repetitions: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    import django

    django.setup()
    import tracemalloc

    from django.urls import get_resolver

    assert get_resolver().url_patterns  # import every view now: fail fast, one snapshot of code

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from xiake.institutions import evaluation
    from xiake.institutions import models as m

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As in the tests: no collectstatic manifest (a dictionary lookup per static tag in production).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if m.Institution.objects.exists():
        pass  # a var dir kept by --keep and passed back with --reuse: the data is there
    elif scale == "demo":
        _demo_data()
    else:
        _synthetic(*SCALES[scale])
    from xiake.institutions import demo as institutions_demo

    institutions_demo.parks()  # the map by park has its coordinates at every scale
    setup_s = time.perf_counter() - started
    User = get_user_model()
    bureau = User.objects.filter(role="bureau").order_by("pk").first()
    client = Client()
    client.force_login(bureau)
    year = timezone.localdate().year - 1
    round_ = m.EvaluationRound.objects.get(year=year)
    m.EvaluationRound.objects.filter(pk=round_.pk).update(status="open")  # recomputable
    round_.refresh_from_db()
    round_._skip_changelog = True
    round_.system._skip_changelog = True

    def overview():
        r = client.get(f"/institutions/overview/?year={year}")
        assert r.status_code == 200, r.status_code

    def health():
        r = client.get("/health/")
        assert r.status_code == 200, r.status_code

    def count():
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM institutions_monthlyreport")
            return cur.fetchone()[0]

    fields = sorted(m.MonthlyReport.FIGURES)

    def read_rows():
        return len(
            list(
                m.MonthlyReport.objects.filter(
                    period__gte=round_.period_start, period__lte=round_.period_end
                ).values_list("institution_id", "period", *fields)
            )
        )

    def run_eval():
        return evaluation.run(round_)

    def drop_results():
        stored = m.EvaluationResult.objects.filter(round=round_)
        stored._raw_delete(stored.db)

    def first_eval():
        """A round computed for the first time: every result is written (deleting is untimed)."""
        drop_results()
        t = time.perf_counter()
        evaluation.run(round_)
        return time.perf_counter() - t

    def timed(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    for fn in (health, overview, count, read_rows, run_eval):  # warm-up
        fn()
    t = {k: [] for k in ("health", "overview", "count", "rows", "evaluation", "recompute")}
    for _ in range(repetitions):
        t["health"].append(timed(health))
        t["overview"].append(timed(overview))
    eval_reps = repetitions if scale == "demo" else max(3, repetitions // 3)
    for _ in range(eval_reps):
        t["count"].append(timed(count))
        t["rows"].append(timed(read_rows))
        t["evaluation"].append(first_eval())
        t["recompute"].append(timed(run_eval))
    peaks = {}
    drop_results()
    for name, fn in (("overview", overview), ("evaluation", run_eval), ("recompute", run_eval)):
        tracemalloc.start()
        fn()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {
        "scale": scale,
        "institutions": m.Institution.objects.count(),
        "reports": count(),
        "round_rows": read_rows(),
        "results": round_.results.count(),
        "setup_s": setup_s,
        "timings": {k: stats_ms(v) for k, v in t.items()},
        "tracemalloc_peak_mb": peaks,
    }


# -- parent ---------------------------------------------------------------------------------


def run(scales=("demo", "100x"), repetitions: int = 15, keep: bool = False, reuse=None) -> dict:
    info = {"started": now_iso(), "machine": machine(), "repetitions": repetitions, "scales": {}}
    for scale in scales:
        var = Path(reuse[scale]) if reuse and scale in reuse else fresh_var_dir(f"inst-{scale}")
        try:
            args = [PYTHON, "-m", "benchmarks.bench_institutions", "--child", scale]
            args += ["--repetitions", str(repetitions)]
            measured = run_measured(args, env=xiake_env(var), timeout=3600).check()
            line = next(x for x in measured.stdout.splitlines() if x.startswith(MARK))
            result = json.loads(line[len(MARK) :])
            result["child_max_rss_mb"] = measured.max_rss_mb
            result["child_seconds"] = measured.seconds
            info["scales"][scale] = result
            print(f"  {scale}: done in {measured.seconds:.0f} s", flush=True)
        finally:
            if not keep and not (reuse and scale in reuse):
                remove_dir(var)
    return info


def report(info: dict) -> str:
    rows = []
    for scale, r in info["scales"].items():
        t = r["timings"]
        label = f"{scale} ({r['institutions']:,} inst., {r['reports']:,} reports)"
        rows += [
            [label, "GET /health/ (baseline)", t["health"]["p50_ms"], t["health"]["p99_ms"], ""],
            [
                "",
                "GET /institutions/overview/",
                t["overview"]["p50_ms"],
                t["overview"]["p99_ms"],
                f"{r['tracemalloc_peak_mb']['overview']:.1f}",
            ],
            [
                "",
                "SELECT COUNT(*) reports (baseline)",
                t["count"]["p50_ms"],
                t["count"]["p99_ms"],
                "",
            ],
            [
                "",
                f"read the round's {r['round_rows']:,} rows (baseline)",
                t["rows"]["p50_ms"],
                t["rows"]["p99_ms"],
                "",
            ],
            [
                "",
                f"full evaluation ({r['results']:,} results written)",
                t["evaluation"]["p50_ms"],
                t["evaluation"]["p99_ms"],
                f"{r['tracemalloc_peak_mb']['evaluation']:.1f}",
            ],
            [
                "",
                "recomputation, inputs unchanged",
                t["recompute"]["p50_ms"],
                t["recompute"]["p99_ms"],
                f"{r['tracemalloc_peak_mb']['recompute']:.1f}",
            ],
            [
                "",
                f"child peak RSS (set-up {r['setup_s']:.0f} s)",
                "",
                "",
                f"{r['child_max_rss_mb']:.0f}",
            ],
        ]
    out = [table(["scale", "target", "p50 ms", "p99 ms", "peak MB"], rows)]
    demo, big = info["scales"].get("demo"), info["scales"].get("100x")
    if demo:
        p50 = demo["timings"]["overview"]["p50_ms"]
        ok = "met" if p50 <= TARGET_OVERVIEW_MS else "MISSED"
        out.append(f"overview at demo size: p50 {p50:.0f} ms (target ≤ {TARGET_OVERVIEW_MS}): {ok}")
    if big:
        p50 = big["timings"]["evaluation"]["p50_ms"] / 1000
        ok = "met" if p50 <= TARGET_EVALUATION_S else "MISSED"
        out.append(
            f"full evaluation at 100×: p50 {p50:.2f} s (target ≤ {TARGET_EVALUATION_S}): {ok}"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dirs")
    parser.add_argument(
        "--reuse",
        nargs=2,
        action="append",
        metavar=("SCALE", "DIR"),
        help="measure in a var dir kept by --keep (skips building the data)",
    )
    parser.add_argument("--child", choices=list(SCALES), help=argparse.SUPPRESS)
    o = parser.parse_args(argv)
    if o.child:
        print(MARK + json.dumps(child(o.child, o.repetitions)), flush=True)
        return 0
    info = run(tuple(o.scales), o.repetitions, o.keep, dict(o.reuse or ()))
    path = write_json("institutions", info)
    print(report(info))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
