"""Run every benchmark: ``python -m benchmarks.run [--quick]`` (``make bench``).

``--quick`` is a smoke run of a few minutes: one import repetition of 2,000 rows and 6 s per list
target; its figures are not comparable with the full run's.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks import bench_import, bench_list
from benchmarks.common import write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--only", choices=("import", "list"), help="run one benchmark")
    o = parser.parse_args(argv)
    started = time.perf_counter()
    reports, summary = [], {}
    if o.only in (None, "import"):
        print("== import", flush=True)
        info = bench_import.run(repetitions=1, rows=2000) if o.quick else bench_import.run()
        write_json("import-quick" if o.quick else "import", info)
        reports.append(bench_import.report(info))
        summary["import"] = info["median"]
    if o.only in (None, "list"):
        print("== list", flush=True)
        if o.quick:
            info = bench_list.run(duration=6, rounds=2, warmup=1)
        else:
            info = bench_list.run(compare=True)
        write_json("list-quick" if o.quick else "list", info)
        reports.append(bench_list.report(info))
        summary["list"] = info["summary"]
    print()
    print("\n\n".join(reports))
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s; JSON under var/bench/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
