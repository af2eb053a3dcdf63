"""Backup and restore times on a demo database (SQLite), beside baselines from the same run.

Per repetition (median reported), each step its own subprocess measured with ``os.wait4``:

* ``xiake check`` — baseline: start-up of a management command
* ``cp`` of the database file — baseline: what copying the bytes alone costs
* ``xiake backup`` — online copy through the backup API, table counts, SHA-256, tar.gz
* ``xiake restore ARCHIVE --check`` — extraction and verification only
* ``xiake restore ARCHIVE --force --no-reindex`` — verification, restore, recount
  (the index rebuild is timed by bench_matching)

    .venv/bin/python -m benchmarks.bench_backup --achievements 4000 --repetitions 3 [--var-dir DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import (
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


def prepare(var_dir: Path, achievements: int) -> None:
    env = xiake_env(var_dir)
    run_measured(xiake("migrate", "-v0"), env, timeout=900).check()
    run_measured(
        xiake("demo", "--achievements", str(achievements), "--seed", "7"), env, timeout=3600
    ).check()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--achievements", type=int, default=4000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--var-dir", help="an existing populated XIAKE_VAR_DIR (else a new demo)")
    args = parser.parse_args(argv)

    own = args.var_dir is None
    var_dir = fresh_var_dir("backup") if own else Path(args.var_dir)
    if own:
        prepare(var_dir, args.achievements)
    env = xiake_env(var_dir)
    database = var_dir / "xiake.sqlite3"
    out_dir = var_dir / "bench-backups"
    steps: dict[str, list] = {
        "check": [],
        "cp": [],
        "backup": [],
        "verify": [],
        "restore": [],
    }
    try:
        for _ in range(args.repetitions):
            steps["check"].append(run_measured(xiake("check"), env).check())
            steps["cp"].append(
                run_measured(["cp", str(database), str(var_dir / "copy.sqlite3")], env).check()
            )
            backup = run_measured(xiake("backup", "--output", str(out_dir)), env).check()
            steps["backup"].append(backup)
            archive = backup.stdout.strip().splitlines()[-1]
            steps["verify"].append(run_measured(xiake("restore", archive, "--check"), env).check())
            steps["restore"].append(
                run_measured(xiake("restore", archive, "--force", "--no-reindex"), env).check()
            )
        archive_mb = Path(archive).stat().st_size / 2**20
        database_mb = database.stat().st_size / 2**20
        base = median(m.seconds for m in steps["check"])
        rows = [
            [
                name,
                median(m.seconds for m in runs),
                median(m.seconds for m in runs) / base,
                median(m.max_rss_mb for m in runs),
            ]
            for name, runs in steps.items()
        ]
        print(f"database {database_mb:.1f} MB, archive {archive_mb:.1f} MB")
        print(table(["step", "median s", "× xiake check", "peak RSS MB"], rows))
        result = {
            "when": now_iso(),
            "machine": machine(),
            "achievements": args.achievements if own else None,
            "database_mb": database_mb,
            "archive_mb": archive_mb,
            "medians": {row[0]: {"seconds": row[1], "ratio_to_check": row[2]} for row in rows},
            "runs": steps,
        }
        write_json("backup", result)
        return result
    finally:
        if own:
            remove_dir(var_dir)


if __name__ == "__main__":
    main()
