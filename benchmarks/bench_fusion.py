"""What more the ranker could take from fusion, on the dev sets: one run, every system beside the
shipped lexical and hybrid rankers of the same run (issue #3's quality targets).

``python -m benchmarks.bench_fusion --dataset ../shared/data/bench/patent-effect [--max-queries N]``

Every system below starts from the same candidates: the shipped ranker's word, bigram and
word-pair channels (``ranker.lexical_rankings``, top 100 each) and the dense channel (the
configured encoder's vectors, read from the vector cache when ``xiake eval_matching
--encode-only`` filled it; exact cosine over all documents, so the figures carry no HNSW error).
Then, each the shipped hybrid (``ranker.fuse`` + discipline re-rank) with one change:

* ``impute``: a candidate missing from a channel's top 100 gets that channel's 100th score
  instead of 0 (the most it can have);
* ``dense-prf k/b``: Rocchio feedback in the vector space, the query vector plus ``b`` × the mean
  of the first ``k`` fused results' vectors, searched again;
* ``char1`` / ``char3``: a channel of BM25 over CJK single characters / trigrams (a separate
  index of the same documents) at 0.3;
* ``lsa``: a channel of latent semantic analysis (TF-IDF of our words, randomised SVD to 256
  dimensions, the query folded in) at 0.2;
* ``ict``: a channel of static word embeddings trained here on the corpus's own text (inverse
  cloze task: a sentence against the rest of its document, in-batch softmax, numpy, 128
  dimensions, 8 epochs; nothing from queries or qrels) at 0.3.

For sets with one answer per query (graded qrels with one top grade), it also reports how the
hybrid's misses split: how often its first result is a near-duplicate of the answer (Jaccard of
character shingles ≥ 0.5, the platform's duplicate test), and how often the answer has a
near-duplicate anywhere in the corpus.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, machine, now_iso, table, write_json

BENCH = REPO.parent / "shared" / "data" / "bench"
DEPTH = 100
SENTENCE = re.compile(r"[。！？!?；;]")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    import django

    django.setup()


def _top(scores: np.ndarray, keys: list[str], n: int = DEPTH) -> list[tuple[str, float]]:
    n = min(n, len(keys))
    part = np.argpartition(-scores, n - 1)[:n]
    part = part[np.argsort(-scores[part])]
    return [(keys[j], float(scores[j])) for j in part]


def _spread(ranked):
    """Min-max over the list, as ``ranker.fuse`` spreads the dense channel."""
    if not ranked:
        return []
    hi, lo = ranked[0][1], ranked[-1][1]
    return [(k, (s - lo) / ((hi - lo) or 1.0)) for k, s in ranked]


def _unit(m: np.ndarray) -> np.ndarray:
    return m / (np.linalg.norm(m, axis=1, keepdims=True) + 1e-9)


class Weighted:
    """Sublinear TF-IDF bags of words over the words seen in ≥ 2 documents."""

    def __init__(self, docs: list[list[str]]):
        df = Counter(w for doc in docs for w in set(doc))
        self.index = {w: i for i, w in enumerate(w for w, n in df.items() if n >= 2)}
        self.idf = np.array([math.log(len(docs) / df[w]) for w in self.index], np.float32)

    def __call__(self, words: list[str]) -> np.ndarray:
        v = np.zeros(len(self.index), np.float32)
        for w in words:
            i = self.index.get(w)
            if i is not None:
                v[i] += 1
        hit = v > 0
        v[hit] = (1 + np.log(v[hit])) * self.idf[hit]
        return v


def lsa(doc_words, query_words, dim: int = 256, seed: int = 0):
    """Documents and queries in a ``dim``-dimensional LSA space (randomised SVD, numpy)."""
    bag = Weighted(doc_words)
    a = _unit(np.stack([bag(w) for w in doc_words]))
    rng = np.random.default_rng(seed)
    y = a @ rng.standard_normal((a.shape[1], dim + 20), dtype=np.float32)
    for _ in range(2):  # power iterations
        y = a @ (a.T @ y)
    q, _r = np.linalg.qr(y)
    _u, _s, vt = np.linalg.svd(q.T @ a, full_matrices=False)
    basis = vt[:dim].T
    return _unit(a @ basis), _unit(np.stack([bag(w) for w in query_words]) @ basis)


def ict(
    doc_sentences, query_words, dim: int = 128, epochs: int = 8, batch: int = 256, seed: int = 0
):
    """Static word embeddings trained by the inverse cloze task on the documents alone: each
    sentence should find the rest of its own document among a batch's (in-batch softmax,
    temperature 0.05, Adam). A text is the normalised IDF-weighted sum of its words' vectors."""
    bag = Weighted([[w for s in doc for w in s] for doc in doc_sentences])
    pairs = [
        (s, [w for j, t in enumerate(doc) if j != i for w in t])
        for doc in doc_sentences
        if len(doc) > 1
        for i, s in enumerate(doc)
    ]
    rng = np.random.default_rng(seed)
    emb = (rng.standard_normal((len(bag.index), dim)) / math.sqrt(dim)).astype(np.float32)
    m1, m2, step, tau, lr = np.zeros_like(emb), np.zeros_like(emb), 0, 0.05, 0.01
    eye = np.eye(batch, dtype=np.float32)

    def encode(x):
        h = x @ emb
        n = np.linalg.norm(h, axis=1, keepdims=True) + 1e-6
        return h / n, n

    for _epoch in range(epochs):
        order = rng.permutation(len(pairs))
        for b in range(0, len(order) - batch + 1, batch):
            xq = np.stack([bag(pairs[i][0]) for i in order[b : b + batch]])
            xd = np.stack([bag(pairs[i][1]) for i in order[b : b + batch]])
            (q, nq), (d, nd) = encode(xq), encode(xd)
            logits = q @ d.T / tau
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = (p - eye) / batch / tau
            gq, gd = g @ d, g.T @ q
            grad = xq.T @ ((gq - q * (gq * q).sum(1, keepdims=True)) / nq)
            grad += xd.T @ ((gd - d * (gd * d).sum(1, keepdims=True)) / nd)
            step += 1
            m1 = 0.9 * m1 + 0.1 * grad
            m2 = 0.999 * m2 + 0.001 * grad * grad
            emb -= lr * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
    docs = np.stack([bag([w for s in doc for w in s]) for doc in doc_sentences])
    return encode(docs)[0], encode(np.stack([bag(w) for w in query_words]))[0]


def char_channel(corpus, queries, n: int, path: Path) -> dict[str, list]:
    """BM25 over CJK character n-grams (a separate index of the same documents)."""
    from xiake.matching.lexical import LexicalIndex
    from xiake.matching.text import char_grams

    ix = LexicalIndex.create(path)
    ix.write(
        {"key": did, "kind": "doc", "pk": i, "grams": " ".join(char_grams(f"{t} {x}", n=n))}
        for i, (did, (t, x, _d)) in enumerate(corpus.items())
    )
    return {q: ix.search_grams(char_grams(t, n=n), limit=DEPTH) for q, t in queries.items()}


def run(dataset: Path, max_queries: int | None) -> dict:
    from xiake.matching import evaluation as ev
    from xiake.matching import ranker
    from xiake.matching.duplicates import shingles, similarity
    from xiake.matching.encoders import configured
    from xiake.matching.lexical import combsum
    from xiake.matching.text import analyzer, normalize

    corpus, queries, qrels = ev.load_beir(dataset)
    queries = ev.sample(queries, max_queries)
    qrels = {q: qrels[q] for q in queries}
    qids, keys = list(queries), list(corpus)
    where = {k: i for i, k in enumerate(keys)}
    labels = {did: frozenset([d]) if d else frozenset() for did, (_t, _x, d) in corpus.items()}
    encoder = configured()
    if encoder is None:
        raise SystemExit("no encoder configured (settings.MATCHING_ENCODER)")
    out = {"dataset": str(dataset), "documents": len(corpus), "queries": len(queries)}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xiake-fusion-") as tmp:
        ix, toks = ev.build_ours(corpus, Path(tmp) / "ours")
        a = analyzer()
        channels = {
            q: ranker.lexical_rankings(ix, a, text, depth=DEPTH) for q, text in queries.items()
        }
        extra = {f"char{n}": char_channel(corpus, queries, n, Path(tmp) / f"c{n}") for n in (1, 3)}
    docs = np.asarray(encoder.passages([ev.passage_text(t, x) for t, x, _d in corpus.values()]))
    query_vecs = np.asarray(encoder.queries(list(queries.values())))
    cosine = query_vecs @ docs.T
    out["candidates_seconds"] = round(time.monotonic() - t0, 1)

    query_words = [a.tokens(normalize(queries[q])) for q in qids]
    t0 = time.monotonic()
    d_lsa, q_lsa = lsa([f"{t} {b}".split() for t, b, *_ in toks], query_words)
    out["lsa_seconds"] = round(time.monotonic() - t0, 1)
    t0 = time.monotonic()
    sentences = [
        [a.tokens(normalize(s)) for s in SENTENCE.split(f"{t}。{x}") if len(s) >= 8]
        for t, x, _d in corpus.values()
    ]
    d_ict, q_ict = ict(sentences, query_words)
    out["ict_seconds"] = round(time.monotonic() - t0, 1)
    lsa_scores, ict_scores = q_lsa @ d_lsa.T, q_ict @ d_ict.T

    def lists(q):
        """The shipped ranker's lexical channels with their fusion weights (as ``ranker.fuse``:
        the word pairs are inside the word channel by default, so usually two)."""
        words, grams, pairs = channels[q]
        out = [(words, 1.0), (grams, ranker.DEFAULT.gram_weight)]
        return out + ([(pairs, ranker.DEFAULT.pair_weight)] if pairs else [])

    def lexical(qi, q, *more):
        ranked = lists(q) + list(more)
        return combsum([r for r, _w in ranked], weights=[w for _r, w in ranked])

    def hybrid(qi, q, *more, dense=None):
        return lexical(qi, q, (_spread(dense or _top(cosine[qi], keys)), 1.0), *more)

    def imputed(qi, q):
        ranked_lists = lists(q) + [(_spread(_top(cosine[qi], keys)), 1.0)]
        found = {k for ranked, _w in ranked_lists for k, _s in ranked}
        total = dict.fromkeys(found, 0.0)
        for ranked, weight in ranked_lists:
            if not ranked:
                continue
            top = ranked[0][1] or 1.0
            scores = {k: s / top for k, s in ranked}
            floor = ranked[-1][1] / top
            for k in found:
                total[k] += weight * scores.get(k, floor)
        return sorted(total.items(), key=lambda kv: -kv[1])

    def prf(qi, q, k, beta):
        first = [where[key] for key, _s in hybrid(qi, q)[:k]]
        vec = query_vecs[qi] + beta * docs[first].mean(0)
        vec /= np.linalg.norm(vec)
        return hybrid(qi, q, dense=_top(docs @ vec, keys))

    systems = {
        "lexical (shipped)": lexical,
        "hybrid (shipped)": hybrid,
        "impute": imputed,
        "dense-prf 1/0.3": lambda qi, q: prf(qi, q, 1, 0.3),
        "dense-prf 3/0.3": lambda qi, q: prf(qi, q, 3, 0.3),
        "dense-prf 3/0.7": lambda qi, q: prf(qi, q, 3, 0.7),
        "char1 0.3": lambda qi, q: hybrid(qi, q, (extra["char1"][q], 0.3)),
        "char3 0.3": lambda qi, q: hybrid(qi, q, (extra["char3"][q], 0.3)),
        "lsa 0.2": lambda qi, q: hybrid(qi, q, (_spread(_top(lsa_scores[qi], keys)), 0.2)),
        "ict 0.3": lambda qi, q: hybrid(qi, q, (_spread(_top(ict_scores[qi], keys)), 0.3)),
        "lexical + ict 0.3": lambda qi, q: lexical(
            qi, q, (_spread(_top(ict_scores[qi], keys)), 0.3)
        ),
    }
    runs = {}
    for name, system in systems.items():
        runs[name] = {
            q: [k for k, _s in ranker.label_rerank(system(qi, q), labels)[0][:DEPTH]]
            for qi, q in enumerate(qids)
        }
    runs["e5 alone"] = {q: [k for k, _s in _top(cosine[qi], keys)] for qi, q in enumerate(qids)}
    runs["lsa alone"] = {
        q: [k for k, _s in _top(lsa_scores[qi], keys)] for qi, q in enumerate(qids)
    }
    runs["ict alone"] = {
        q: [k for k, _s in _top(ict_scores[qi], keys)] for qi, q in enumerate(qids)
    }
    out["systems"] = {name: ev.metrics(r, qrels) for name, r in runs.items()}

    single = all(sum(g == max(rel.values()) for g in rel.values()) == 1 for rel in qrels.values())
    if single:
        texts = {k: shingles(f"{t}{x}") for k, (t, x, _d) in corpus.items()}
        answer = {q: max(rel, key=rel.get) for q, rel in qrels.items()}
        misses = [q for q in qids if runs["hybrid (shipped)"][q][:1] != [answer[q]]]

        def near_copy(key):  # among the answer's 20 nearest documents by e5
            i = where[key]
            nearest = np.argsort(-(docs @ docs[i]))[1:21]
            return max(similarity(texts[key], texts[keys[j]]) for j in nearest) >= 0.5

        with_copy = {q for q in qids if near_copy(answer[q])}
        out["misses"] = {
            "queries": len(qids),
            "top1_wrong": len(misses),
            "top1_is_near_copy_of_answer": sum(
                similarity(texts[answer[q]], texts[runs["hybrid (shipped)"][q][0]]) >= 0.5
                for q in misses
                if runs["hybrid (shipped)"][q]
            ),
            "answer_has_near_copy": len(with_copy),
            "top1_right_when_answer_has_copy": sum(q not in misses for q in with_copy),
            "top1_right_otherwise": sum(q not in misses for q in qids if q not in with_copy),
        }
    return out


def report(info: dict) -> str:
    graded = any("strict_mrr@10" in m for m in info["systems"].values())
    headers = ["system", "nDCG@10", "Recall@100", "MRR@10"] + (["strict MRR@10"] if graded else [])
    cols = ["ndcg@10", "recall@100", "mrr@10"] + (["strict_mrr@10"] if graded else [])
    rows = [[name] + [f"{m[c]:.4f}" for c in cols] for name, m in info["systems"].items()]
    lines = [table(headers, rows)]
    if "misses" in info:
        m = info["misses"]
        lines.append(
            f"hybrid misses at rank 1: {m['top1_wrong']} of {m['queries']}; "
            f"{m['top1_is_near_copy_of_answer']} of them rank a near-copy of the answer first. "
            f"Answers with a near-copy in the corpus: {m['answer_has_near_copy']} "
            f"({m['top1_right_when_answer_has_copy']} right at rank 1); "
            f"the others: {m['top1_right_otherwise']} right of "
            f"{m['queries'] - m['answer_has_near_copy']}."
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="a BEIR directory")
    parser.add_argument("--max-queries", type=int, default=None)
    o = parser.parse_args(argv)
    if not Path(o.dataset).is_dir():
        print(f"skipped: {o.dataset} is absent (the dev sets live in ../shared)")
        return 0
    _setup_django()
    info = {"when": now_iso(), "machine": machine()}
    info.update(run(Path(o.dataset), o.max_queries))
    write_json(f"fusion_{Path(o.dataset).name}", info)
    print(
        f"{info['dataset']}: {info['queries']} queries, {info['documents']} documents ({info['when']})"
    )
    print(report(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
