"""BEIR-format evaluation: the platform's ranker beside plain BM25 over jieba, in one run."""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

from xiake.matching import ranker
from xiake.matching.lexical import LexicalIndex
from xiake.matching.text import analyzer, char_grams, plain_analyzer


def load_beir(path: Path):
    path = Path(path)
    corpus, queries, qrels = {}, {}, {}
    with open(path / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = (d.get("title") or "", d.get("text") or "")
    with open(path / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                queries[str(d["_id"])] = d.get("text") or ""
    with open(path / "qrels" / "test.tsv", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {q: t for q, t in queries.items() if q in qrels}
    return corpus, queries, qrels


def metrics(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """nDCG@10 (graded gains), Recall@100, MRR@10; strict_* count only the top grade."""
    top_grade = max((g for rel in qrels.values() for g in rel.values()), default=1)
    graded = any(g < top_grade for rel in qrels.values() for g in rel.values() if g > 0)
    sums = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    if graded:
        sums.update({"strict_recall@100": 0.0, "strict_mrr@10": 0.0})
    for qid, rel in qrels.items():
        ranked = run.get(qid, [])
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        sums["ndcg@10"] += dcg / idcg if idcg else 0.0
        positives = {d for d, g in rel.items() if g >= 1}
        sums["recall@100"] += (
            len(positives & set(ranked[:100])) / len(positives) if positives else 0
        )
        sums["mrr@10"] += next(
            (1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in positives), 0.0
        )
        if graded:
            strict = {d for d, g in rel.items() if g >= top_grade}
            sums["strict_recall@100"] += len(strict & set(ranked[:100])) / len(strict)
            sums["strict_mrr@10"] += next(
                (1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in strict), 0.0
            )
    n = len(qrels) or 1
    return {k: round(v / n, 4) for k, v in sums.items()}


def evaluate(dataset, *, max_queries=None, run_file=None, progress=None) -> dict:
    progress = progress or (lambda msg: print(msg, file=sys.stderr))
    corpus, queries, qrels = load_beir(dataset)
    if max_queries:
        queries = dict(list(queries.items())[:max_queries])
    qrels = {q: qrels[q] for q in queries}
    a, plain = analyzer(), plain_analyzer()
    out = {"dataset": str(dataset), "documents": len(corpus), "queries": len(queries)}
    with tempfile.TemporaryDirectory(prefix="xiake-eval-") as tmp:
        started = time.monotonic()
        ours = LexicalIndex.create(Path(tmp) / "ours")
        base = LexicalIndex.create(Path(tmp) / "base")
        docs, bdocs = [], []
        for i, (did, (title, text)) in enumerate(corpus.items()):
            docs.append(
                {
                    "key": did,
                    "kind": "doc",
                    "pk": i,
                    "title": a.tokens(title),
                    "body": a.tokens(text),
                    "grams": char_grams(title + "\n" + text),
                }
            )
            bdocs.append(
                {"key": did, "kind": "doc", "pk": i, "body": plain.tokens(f"{title} {text}")}
            )
            if (i + 1) % 2000 == 0:
                progress(f"  tokenised {i + 1}/{len(corpus)} documents")
        ours.write(docs)
        base.write(bdocs)
        out["index_seconds"] = round(time.monotonic() - started, 1)
        runs = {"xiake": {}, "bm25-jieba": {}}
        scores = {}
        timings = {"xiake": 0.0, "bm25-jieba": 0.0}
        for qid, text in queries.items():
            t0 = time.monotonic()
            hits = ranker.rank(ours, a, text, limit=100)
            t1 = time.monotonic()
            bhits = ranker.baseline(base, plain, text, limit=100)
            t2 = time.monotonic()
            timings["xiake"] += t1 - t0
            timings["bm25-jieba"] += t2 - t1
            runs["xiake"][qid] = [k for k, _s in hits]
            scores[qid] = hits
            runs["bm25-jieba"][qid] = [k for k, _s in bhits]
    out["systems"] = {
        name: {
            **metrics(run, qrels),
            "ms_per_query": round(1000 * timings[name] / max(1, len(run)), 2),
        }
        for name, run in runs.items()
    }
    if run_file:
        with open(run_file, "w", encoding="utf-8") as fh:
            for qid, hits in scores.items():
                for rank_, (did, score) in enumerate(hits, start=1):
                    fh.write(f"{qid} Q0 {did} {rank_} {score:.6f} xiake\n")
    return out
