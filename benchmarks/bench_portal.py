"""Public portal under 50 concurrent anonymous clients, against gunicorn served as ``make run``
does, beside the bare view in the same run.

The machinery is ``bench_list``'s (var dir with the full demo, gunicorn with 3 workers and 2
threads, ``wrk`` or the Python load generator, interleaved rounds, each round's throughput divided
by the bare view's of the same round); only the targets and the number of clients differ. The
server runs twice: with the anonymous page cache as configured by default, and with
``PAGE_CACHE_SECONDS=0`` (every answer built from the database), so the cache's share is visible.

| target | path |
|---|---|
| bare view (**baseline**) | `/health/` |
| portal home | `/portal/` |
| portal search | `/portal/search/?q=焊接` (four libraries searched, first matches of each) |
| events calendar | `/portal/events/` (coming public events by month) |
| policy list | `/portal/policies/` (published policy documents, first page) |
| news list | `/portal/news/` (published news and announcements, first page) |

Target (issue #7): p99 and throughput reported beside the bare view; errors 0.

    .venv/bin/python -m benchmarks.bench_portal [--duration 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.parse

from benchmarks import bench_list
from benchmarks.common import (
    fresh_var_dir,
    machine,
    now_iso,
    remove_dir,
    table,
    terminate,
    write_json,
)

CONNECTIONS = 50
SEARCH = "/portal/search/?q=" + urllib.parse.quote("焊接")
TARGETS = [
    (bench_list.BASELINE, "/health/", False),
    ("portal home /portal/", "/portal/", False),
    ("portal search q=焊接", SEARCH, False),
    ("events calendar /portal/events/", "/portal/events/", False),
    ("policy list /portal/policies/", "/portal/policies/", False),
    ("news list /portal/news/", "/portal/news/", False),
]


def serve_and_measure(var_dir, client, rounds, seconds, warmup, cache_seconds) -> dict:
    saved = os.environ.get("PAGE_CACHE_SECONDS")
    if cache_seconds is not None:
        os.environ["PAGE_CACHE_SECONDS"] = str(cache_seconds)
    proc = None
    try:
        # BENCH_PORT: the first port to try (engineers sharing a machine each have a range).
        port = bench_list.free_port(int(os.environ.get("BENCH_PORT", "8765")))
        proc, _log = bench_list.start_server(var_dir, port)
        base = f"http://{bench_list.HOST}:{port}"
        probes = {name: bench_list.probe(base, path, None) for name, path, _l in TARGETS}
        runs = bench_list.measure(base, proc.pid, client, TARGETS, None, rounds, seconds, warmup)
        # A round whose bare view answered nothing (the uncached search's backlog of 50 stuck
        # clients spilling into it) has no baseline to divide by: it is left out, and said so.
        dead = {r["round"] for r in runs[bench_list.BASELINE] if not r["rps"]}
        kept = {name: [r for r in rs if r["round"] not in dead] for name, rs in runs.items()}
        return {
            "probes": probes,
            "runs": runs,
            "rounds_without_baseline": sorted(dead),
            "summary": bench_list.summarise(kept) if kept[bench_list.BASELINE] else {},
        }
    finally:
        if proc is not None:
            terminate(proc)
        if saved is None:
            os.environ.pop("PAGE_CACHE_SECONDS", None)
        else:
            os.environ["PAGE_CACHE_SECONDS"] = saved


def run(duration=30, rounds=3, warmup=3, client="auto", keep=False) -> dict:
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    bench_list.CONNECTIONS = CONNECTIONS  # the load generator reads it
    var_dir = fresh_var_dir("portal")
    info = {
        "benchmark": "portal",
        "date": now_iso(),
        "machine": machine(),
        "client": client,
        "connections": CONNECTIONS,
        "rounds": rounds,
        "seconds_per_target": duration,
        "paths": {name: path for name, path, _l in TARGETS},
        "configurations": {},
    }
    try:
        info["prepare"] = bench_list.prepare(var_dir)
        for label, cache_seconds in (("page cache on", None), ("page cache off", 0)):
            print(f"{label}:", flush=True)
            info["configurations"][label] = serve_and_measure(
                var_dir, client, rounds, duration / rounds, warmup, cache_seconds
            )
    finally:
        if not keep:
            remove_dir(var_dir)
    return info


def report(info: dict) -> str:
    rows = []
    for label, conf in info["configurations"].items():
        for i, (name, s) in enumerate(conf["summary"].items()):
            rows.append(
                [
                    label if i == 0 else "",
                    name,
                    s["rps"],
                    s["ratio_to_bare"],
                    s["p50_ms"],
                    s["p99_ms"],
                    s["errors"],
                ]
            )
        if conf.get("rounds_without_baseline"):
            rows.append([label, "rounds left out (bare view 0 req/s)", "", "", "", "", ""])
    head = ["server", "target", "req/s", "÷ bare", "p50 ms", "p99 ms", "errors"]
    return (
        f"{info['connections']} concurrent anonymous clients ({info['client']}), "
        f"{info['rounds']} rounds × {info['seconds_per_target'] / info['rounds']:.0f} s per target\n"
        + table(head, rows)
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--keep", action="store_true")
    o = parser.parse_args(argv)
    info = run(o.duration, o.rounds, o.warmup, o.client, o.keep)
    path = write_json("portal", info)
    print(report(info))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
