"""BEIR-format evaluation: the platform's ranker beside plain BM25 over jieba, in one run.

Systems: ``xiake`` (lexical: word fields + bigram channel), ``bm25-jieba`` (stock jieba, one field,
tantivy BM25), and with ``dense=True`` also ``e5`` (the encoder alone, HNSW) and ``xiake-hybrid``
(lexical and dense fused); with a ``reranker`` (:mod:`xiake.matching.rerankers`) also
``xiake-rerank``, the best of those with its first results re-scored. ``max_queries`` takes
evenly spaced queries (the files are ordered by source, so the first N would be a biased
sample); ``max_docs`` keeps the first N documents and only the queries whose relevant documents
all remain (a smaller, easier corpus for every system alike: for bounded dense runs).

Discipline: a document's ``metadata.discipline`` (CSL abstracts carry one, patents do not) is
indexed as an achievement's discipline is — its name in the ``tags`` field — and is the label the
ranker's discipline-agreement step reads. Queries carry no metadata, so the ranker infers their
discipline from the neighbours (:func:`ranker.infer`); the run also reports how often that
inference names the source document's discipline, beside always guessing the commonest one.
``variants`` (name → :class:`ranker.Params`) score further settings on the same index and
candidates in the same run (the ablation), e.g. the signal off or other ``knn`` values.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

from xiake.matching import ranker, rerankers
from xiake.matching.lexical import LexicalIndex
from xiake.matching.text import (
    analyzer,
    char_grams,
    first_sentence,
    normalize,
    parallel_map,
    plain_analyzer,
)


def load_beir(path: Path):
    path = Path(path)
    corpus, queries, qrels = {}, {}, {}
    with open(path / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                meta = d.get("metadata") or {}
                corpus[str(d["_id"])] = (
                    d.get("title") or "",
                    d.get("text") or "",
                    str(meta.get("discipline") or "").strip(),
                )
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


def sample(queries: dict, n: int | None) -> dict:
    """``n`` evenly spaced queries (all when n is falsy or larger than the set)."""
    if not n or n >= len(queries):
        return queries
    items = list(queries.items())
    step = len(items) / n
    return dict(items[int(i * step)] for i in range(n))


def passage_text(title: str, text: str) -> str:
    """What the dense encoder reads of a document: title, then the start of the body."""
    return f"{title}\n{text}".strip()


def encode_corpus(dataset, encoder, progress=None, max_docs=None) -> int:
    """Fill the vector cache with the passages of a BEIR corpus (``--encode-only``)."""
    corpus, _queries, _qrels = load_beir(dataset)
    items = list(corpus.values())[:max_docs] if max_docs else list(corpus.values())
    texts = [passage_text(t, x) for t, x, _d in items]
    encoder.passages(texts, progress=progress)
    return len(texts)


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


def _ours(doc, *, pairs: bool = False, window: int = 0, lead: bool = False):
    """(title, body, tags, bigrams, pairs, unordered pairs, lead) of a corpus document, each
    joined by spaces; the pair and lead fields only when a ranker setting reads them."""
    title, text, discipline = doc
    a = analyzer()
    t, x, d = normalize(title), normalize(text), normalize(discipline)
    if pairs:
        (tt, tp, tu), (xt, xp, xu) = (
            a.tokens_and_pairs(v, normalized=True, window=window) for v in (t, x)
        )
    else:
        tt, xt = a.tokens(t, normalized=True), a.tokens(x, normalized=True)
        tp = tu = xp = xu = []
    # joined by spaces: what the index stores, and ~50× cheaper to send back from a worker;
    # the discipline's name goes to ``tags`` and into the bigrams, as documents.tokenise does
    return (
        " ".join(tt),
        " ".join(xt),
        " ".join(a.tokens(d, normalized=True)),
        " ".join(char_grams("\n".join(p for p in (t, x, d) if p), normalized=True)),
        " ".join(tp + xp),
        " ".join(tu + xu),
        " ".join(a.tokens(first_sentence(x), normalized=True)) if lead else "",
    )


def ours_tokeniser(settings=(ranker.DEFAULT,)):
    """:func:`_ours` making the pair fields that any of ``settings`` reads."""
    return partial(
        _ours,
        pairs=any(p.pair_weight > 0 for p in settings),
        window=max(ranker.index_window(p) for p in settings),
        lead=any(p.lead_weight > 0 for p in settings),
    )


def build_ours(corpus: dict, path: Path, settings=(ranker.DEFAULT,)):
    """Our index of a BEIR ``corpus`` (from :func:`load_beir`) at ``path``, with the fields that
    any of ``settings`` reads; returns it and each document's field strings (title words, body
    words, tags, bigrams, pairs, unordered pairs, lead), in corpus order."""
    toks = parallel_map(ours_tokeniser(settings), list(corpus.values()))
    ix = LexicalIndex.create(path)
    ix.write(
        {
            "key": did,
            "kind": "doc",
            "pk": i,
            "title": t,
            "body": b,
            "tags": d,
            "grams": g,
            "pairs": p,
            "upairs": u,
            "lead": ld,
        }
        for i, (did, (t, b, d, g, p, u, ld)) in enumerate(zip(corpus, toks, strict=True))
    )
    return ix, toks


def _plain(doc):
    title, text, _discipline = doc
    return " ".join(plain_analyzer().tokens(f"{title} {text}"))


def _same_candidates(a: ranker.Params, b: ranker.Params) -> bool:
    """Whether two settings retrieve the same candidates (they differ only in the re-rank)."""
    keep = ("knn", "discipline_weight", "soft_vote")
    return {k: v for k, v in vars(a).items() if k not in keep} == {
        k: v for k, v in vars(b).items() if k not in keep
    }


def _inference_accuracy(inferred: dict, qrels: dict, labels: dict) -> dict:
    """Per system: how often the inferred discipline is the source document's (the top-grade
    answer's), its mean confidence, and the commonest-discipline baseline on the same queries."""
    truth = {}
    for qid, rel in qrels.items():
        top = max(rel.values())
        own = [d for d, g in rel.items() if g == top and labels.get(d)]
        if own:
            truth[qid] = next(iter(labels[own[0]]))
    if not truth:
        return {}
    common = Counter(truth.values()).most_common(1)[0][0]
    out = {
        "queries": len(truth),
        "majority_baseline": round(sum(t == common for t in truth.values()) / len(truth), 4),
    }
    for name, per_query in inferred.items():
        got = [(per_query.get(q), t) for q, t in truth.items() if q in per_query]
        if not got or not any(inf for inf, _t in got):
            continue
        out[name] = {
            "top1": round(sum(bool(inf) and inf.label == t for inf, t in got) / len(got), 4),
            "mean_confidence": round(sum(inf.confidence for inf, _t in got) / len(got), 4),
        }
    return out


def evaluate(
    dataset,
    *,
    max_queries=None,
    max_docs=None,
    run_file=None,
    progress=None,
    dense: bool = False,
    encoder=None,
    params: ranker.Params = ranker.DEFAULT,
    variants: dict[str, ranker.Params] | None = None,
    reranker=None,
) -> dict:
    progress = progress or (lambda msg: print(msg, file=sys.stderr))
    corpus, queries, qrels = load_beir(dataset)
    if max_docs:
        corpus = dict(list(corpus.items())[:max_docs])
        queries = {q: t for q, t in queries.items() if set(qrels[q]) <= corpus.keys()}
    queries = sample(queries, max_queries)
    qrels = {q: qrels[q] for q in queries}
    a, plain = analyzer(), plain_analyzer()
    out = {"dataset": str(dataset), "documents": len(corpus), "queries": len(queries)}
    pairs = list(corpus.values())
    labels = {did: frozenset([d]) if d else frozenset() for did, (_t, _x, d) in corpus.items()}
    has_labels = any(labels.values())
    variants = dict(variants or {})
    with tempfile.TemporaryDirectory(prefix="xiake-eval-") as tmp:
        started = time.monotonic()
        ours, toks = build_ours(corpus, Path(tmp) / "ours", [params, *variants.values()])
        out["index_seconds"] = round(time.monotonic() - started, 1)
        out["index_docs_per_second"] = round(len(corpus) / max(1e-9, out["index_seconds"]))
        progress(f"  our index: {len(corpus)} documents in {out['index_seconds']} s")
        # the words of each document, for the feedback round (``prf_docs``)
        words_of = {
            did: f"{t} {b}".split() for did, (t, b, *_rest) in zip(corpus, toks, strict=True)
        }

        def doc_terms(keys):
            return {k: words_of.get(k, []) for k in keys}

        # term association learned from the indexed documents only (never queries or qrels)
        associated = None
        if any(p.assoc_terms > 0 for p in (params, *variants.values())):
            t0 = time.monotonic()
            associated = ranker.associations(words_of.values())
            out["association_seconds"] = round(time.monotonic() - t0, 1)
            out["association_words"] = len(associated)
            progress(f"  associations: {len(associated)} words in {out['association_seconds']} s")

        base = LexicalIndex.create(Path(tmp) / "base")
        btoks = parallel_map(_plain, pairs)
        base.write(
            {"key": did, "kind": "doc", "pk": i, "body": b}
            for i, (did, b) in enumerate(zip(corpus, btoks, strict=True))
        )
        names = ["xiake", "bm25-jieba"]
        dix = None
        if dense:
            from xiake.matching.vectors import DenseIndex

            t0 = time.monotonic()
            vecs = encoder.passages(
                [passage_text(t, x) for t, x, _d in pairs],
                progress=lambda d, n: progress(f"  encoded {d}/{n}") if d % 512 == 0 else None,
            )
            dix = DenseIndex(vecs.shape[1], encoder.name)
            dix.add(list(corpus), vecs)
            out["dense_index_seconds"] = round(time.monotonic() - t0, 1)
            qvecs = dict(zip(queries, encoder.queries(list(queries.values())), strict=True))
            names += ["e5", "xiake-hybrid"]
        if reranker is not None:
            names.append("xiake-rerank")
        names += list(variants)
        if dense:
            names += [f"{name}-hybrid" for name in variants]
        runs = {n: {} for n in names}
        timings = dict.fromkeys(names, 0.0)
        scores = {}
        inferred = {n: {} for n in ("xiake", *variants)}
        for qid, text in queries.items():
            t0 = time.monotonic()
            words, grams, wpairs = ranker.lexical_rankings(
                ours, a, text, params=params, doc_terms=doc_terms, associated=associated
            )
            fused = ranker.fuse(words, grams, None, params, pairs=wpairs)
            hits, _lifts, inferred["xiake"][qid] = ranker.label_rerank(fused, labels, params=params)
            hits = hits[:100]
            t1 = time.monotonic()
            # each variant's candidates and their cost, for its run with the dense channel
            vcands, vspent = {}, {}
            for name, vp in variants.items():
                tv = time.monotonic()
                vwords, vgrams, vpairs = vcands[name] = (
                    (words, grams, wpairs)
                    if _same_candidates(vp, params)
                    else ranker.lexical_rankings(
                        ours, a, text, params=vp, doc_terms=doc_terms, associated=associated
                    )
                )
                vhits, _l, inferred[name][qid] = ranker.label_rerank(
                    ranker.fuse(vwords, vgrams, None, vp, pairs=vpairs), labels, params=vp
                )
                runs[name][qid] = [k for k, _s in vhits[:100]]
                # the shared candidates' cost counts for every variant that reuses them
                spent = (time.monotonic() - tv) + (
                    (t1 - t0) if _same_candidates(vp, params) else 0.0
                )
                timings[name] += spent
                vspent[name] = spent
            bhits = ranker.baseline(base, plain, text, limit=100)
            t2 = time.monotonic()
            timings["xiake"] += t1 - t0
            timings["bm25-jieba"] += t2 - t1
            runs["xiake"][qid] = [k for k, _s in hits]
            runs["bm25-jieba"][qid] = [k for k, _s in bhits]
            scores[qid] = hits
            spent = t1 - t0  # the cost of the system whose results the re-ranker reads
            if dix is not None:
                t3 = time.monotonic()
                dhits = dix.search(qvecs[qid], 100)
                t4 = time.monotonic()
                hybrid = ranker.label_rerank(
                    ranker.fuse(words, grams, dhits, params, pairs=wpairs), labels, params=params
                )[0][:100]
                t5 = time.monotonic()
                timings["e5"] += t4 - t3
                timings["xiake-hybrid"] += (t1 - t0) + (t5 - t3)
                runs["e5"][qid] = [k for k, _s in dhits]
                runs["xiake-hybrid"][qid] = [k for k, _s in hybrid]
                scores[qid] = hybrid
                spent += t5 - t3
                for name, vp in variants.items():  # each variant with the dense channel too
                    tv = time.monotonic()
                    vwords, vgrams, vpairs = vcands[name]
                    vhybrid = ranker.label_rerank(
                        ranker.fuse(vwords, vgrams, dhits, vp, pairs=vpairs), labels, params=vp
                    )[0][:100]
                    runs[f"{name}-hybrid"][qid] = [k for k, _s in vhybrid]
                    timings[f"{name}-hybrid"] += (time.monotonic() - tv) + (t4 - t3) + vspent[name]
            if reranker is not None:  # the first results of the best system, re-scored
                tr = time.monotonic()
                best = scores[qid]
                reranked = rerankers.rerank(
                    reranker, text, best, lambda key: passage_text(*corpus[key][:2])
                )
                runs["xiake-rerank"][qid] = [k for k, _s in reranked]
                timings["xiake-rerank"] += spent + (time.monotonic() - tr)
    out["systems"] = {
        name: {
            **metrics(run, qrels),
            "ms_per_query": round(1000 * timings[name] / max(1, len(run)), 2),
        }
        for name, run in runs.items()
    }
    if has_labels:
        out["discipline_inference"] = _inference_accuracy(inferred, qrels, labels)
    if dense:
        out["note"] = "e5/xiake-hybrid ms_per_query exclude query encoding (vectors cached)"
    if run_file:
        tag = "xiake-hybrid" if dense else "xiake"
        with open(run_file, "w", encoding="utf-8") as fh:
            for qid, hits in scores.items():
                for rank_, (did, score) in enumerate(hits, start=1):
                    fh.write(f"{qid} Q0 {did} {rank_} {score:.6f} {tag}\n")
    return out
