"""Import benchmark: one .xlsx of 16,000 achievements through ``xiake import_records``.

Each repetition uses a fresh SQLite database under a temporary XIAKE_VAR_DIR (migrated, demo
organisations and users from ``xiake demo --achievements 0``) and measures, as separate
subprocesses with their own wall time and peak RSS:

* ``xiake check``                                  — baseline: start-up cost of the command;
* reading the workbook alone with openpyxl (read_only, values only) — baseline: parse cost;
* ``xiake import_records catalog.achievement FILE --user bureau --publish`` — the import;
* the same import again                            — must create 0 rows (all updates).

Targets: import ≤ 60 s and ≤ 1 GB peak RSS. The medians of the repetitions are reported.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    Measured,
    fresh_var_dir,
    machine,
    median,
    now_iso,
    remove_dir,
    run_measured,
    table,
    write_json,
    xiake,
    xiake_env,
)

TARGET_SECONDS = 60
TARGET_RSS_MB = 1024
SUMMARY = re.compile(r"(\d+) rows: (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) skipped")
PARSE_ONLY = (
    "import sys\n"
    "from openpyxl import load_workbook\n"
    "wb = load_workbook(sys.argv[1], read_only=True, data_only=True)\n"
    "rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]\n"
    "wb.close()\n"
    "print(len(rows) - 1)\n"
)


def counts(m: Measured) -> dict:
    found = SUMMARY.search(m.stdout)
    if not found:
        raise RuntimeError(f"unexpected import output:\n{m.stdout[-2000:]}\n{m.stderr[-2000:]}")
    total, created, updated, unchanged, skipped = map(int, found.groups())
    return {
        "rows": total,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "skipped": skipped,
    }


def prepare(var_dir: Path) -> dict:
    env = xiake_env(var_dir)
    migrate = run_measured(xiake("migrate", "--noinput", "-v0"), env, timeout=300).check()
    demo = run_measured(xiake("demo", "--achievements", "0"), env, timeout=300).check()
    return {"migrate_s": migrate.seconds, "demo_s": demo.seconds}


def repetition(n: int, rows: int, workbook: Path | None, keep: bool) -> tuple[dict, Path]:
    var_dir = fresh_var_dir("import")
    env = xiake_env(var_dir)
    try:
        out = {"repetition": n, "var_dir": str(var_dir), **prepare(var_dir)}
        if workbook is None:
            workbook = var_dir.parent / f"{var_dir.name}-achievements-{rows}.xlsx"
            built = run_measured(
                [PYTHON, "-m", "benchmarks.workbook", "--out", str(workbook), "--rows", str(rows)],
                env,
                timeout=600,
            ).check()
            out["workbook_build_s"] = built.seconds
            out["workbook"] = built.stdout.strip()
        check = run_measured(xiake("check"), env, timeout=120).check()
        parse = run_measured([PYTHON, "-c", PARSE_ONLY, str(workbook)], env, timeout=600).check()
        parsed_rows = int(parse.stdout.strip())
        if parsed_rows != rows:
            raise RuntimeError(f"the workbook has {parsed_rows} rows, expected {rows}")
        cmd = xiake(
            "import_records", "catalog.achievement", str(workbook), "--user", "bureau", "--publish"
        )
        first = run_measured(cmd, env, timeout=900).check()
        second = run_measured(cmd, env, timeout=900).check()
        out.update(
            {
                "check": _fig(check),
                "parse": _fig(parse),
                "import": {**_fig(first), **counts(first)},
                "reimport": {**_fig(second), **counts(second)},
            }
        )
        return out, workbook
    finally:
        if not keep:
            remove_dir(var_dir)


def _fig(m: Measured) -> dict:
    return {
        "seconds": round(m.seconds, 3),
        "max_rss_mb": round(m.max_rss_mb, 1),
        "cpu_seconds": round(m.cpu_seconds, 3),
    }


def run(repetitions: int = 3, rows: int = 16000, keep: bool = False) -> dict:
    started = time.perf_counter()
    info = {"benchmark": "import", "date": now_iso(), "machine": machine(), "rows": rows}
    reps, workbook = [], None
    try:
        for n in range(1, repetitions + 1):
            try:
                rep, workbook = repetition(n, rows, workbook, keep)
            except RuntimeError as exc:  # e.g. the working tree broken by a concurrent edit
                if not reps:
                    raise
                info["failed_repetition"] = {"repetition": n, "error": str(exc)[-3000:]}
                print(f"  repetition {n} failed; keeping {len(reps)}: {str(exc)[:300]}")
                break
            reps.append(rep)
            print(
                f"  repetition {n}: check {rep['check']['seconds']:.1f} s, "
                f"parse {rep['parse']['seconds']:.1f} s, "
                f"import {rep['import']['seconds']:.1f} s "
                f"({rep['import']['max_rss_mb']:.0f} MB, {rep['import']['created']} created), "
                f"re-import {rep['reimport']['seconds']:.1f} s "
                f"({rep['reimport']['created']} created, {rep['reimport']['updated']} updated)",
                flush=True,
            )
    finally:
        if workbook is not None and not keep:
            workbook.unlink(missing_ok=True)
    summary = {}
    for key in ("check", "parse", "import", "reimport"):
        summary[key] = {
            f: round(median(r[key][f] for r in reps), 3)
            for f in ("seconds", "max_rss_mb", "cpu_seconds")
        }
    imp, chk, prs = summary["import"], summary["check"], summary["parse"]
    summary["import_minus_startup_s"] = round(imp["seconds"] - chk["seconds"], 3)
    summary["import_minus_startup_and_parse_s"] = round(
        imp["seconds"] - chk["seconds"] - prs["seconds"], 3
    )
    summary["rows_per_s"] = round(rows / imp["seconds"], 1)
    summary["reimport_created"] = [r["reimport"]["created"] for r in reps]
    summary["targets"] = {
        "import_seconds": {"target": TARGET_SECONDS, "ok": imp["seconds"] <= TARGET_SECONDS},
        "import_rss_mb": {"target": TARGET_RSS_MB, "ok": imp["max_rss_mb"] <= TARGET_RSS_MB},
        "reimport_creates_nothing": {
            "target": 0,
            "ok": all(r["reimport"]["created"] == 0 for r in reps),
        },
    }
    info.update(
        {
            "repetitions": reps,
            "median": summary,
            "workbook": reps[0].get("workbook"),
            "total_s": round(time.perf_counter() - started, 1),
        }
    )
    return info


def report(info: dict) -> str:
    s = info["median"]
    rows = [
        [
            "xiake check (start-up baseline)",
            s["check"]["seconds"],
            s["check"]["max_rss_mb"],
            "",
            "",
        ],
        [
            "openpyxl read_only (parse baseline)",
            s["parse"]["seconds"],
            s["parse"]["max_rss_mb"],
            "",
            "",
        ],
        [
            f"import {info['rows']:,} rows --publish",
            s["import"]["seconds"],
            s["import"]["max_rss_mb"],
            f"≤ {TARGET_SECONDS} s, ≤ {TARGET_RSS_MB} MB",
            "ok"
            if all(s["targets"][k]["ok"] for k in ("import_seconds", "import_rss_mb"))
            else "MISSED",
        ],
        [
            "re-import same file (0 created)",
            s["reimport"]["seconds"],
            s["reimport"]["max_rss_mb"],
            "0 created",
            "ok" if s["targets"]["reimport_creates_nothing"]["ok"] else "MISSED",
        ],
    ]
    lines = [
        f"Import benchmark, median of {len(info['repetitions'])} (fresh SQLite DB each), "
        f"{info['machine']['cpus']} CPUs, {info['date']}",
        table(["step", "wall s", "peak RSS MB", "target", ""], rows),
        f"import − start-up = {s['import_minus_startup_s']:.1f} s; "
        f"− parse = {s['import_minus_startup_and_parse_s']:.1f} s; {s['rows_per_s']:.0f} rows/s; "
        f"import / parse = {s['import']['seconds'] / s['parse']['seconds']:.1f}×",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="xiake import benchmark")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--rows", type=int, default=16000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dirs")
    o = parser.parse_args(argv)
    info = run(o.repetitions, o.rows, o.keep)
    print(report(info))
    print(f"written {write_json('import', info)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
