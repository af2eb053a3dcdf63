"""The ranker shared by the platform's search and ``eval_matching``.

Method (no parameter was fitted to the dev sets; each choice was an ablation on bounded query
samples of all three sets, kept only when it did not hurt any of them — see docs/matching.md):
1. query terms from the domain-dictionary analyzer; synonyms at :attr:`Params.synonym_weight`;
   terms found in more than :attr:`Params.max_df` of the documents are dropped (they carry almost
   no IDF and only add noise and time); each term weighted by its IDF relative to the query's
   rarest term (:attr:`Params.idf_power`);
2. channel A: BM25 over weighted word fields (:attr:`Params.fields`), every clause boosted by its
   term weight;
3. channel B: BM25 over CJK character bigrams (robust to segmentation and to partial words such
   as 锈 ↔ 锈蚀);
4. CombSUM of the max-normalised scores of A and B, plus the dense channel C (cosine similarity
   from the HNSW index) when vectors exist;
5. discipline agreement (:func:`label_rerank`): the top :attr:`Params.knn` candidates vote for a
   discipline with their scores (:func:`infer`); every candidate whose discipline agrees with the
   declared one, or else with the inferred one, is lifted by :attr:`Params.discipline_weight`
   (× the inferred discipline's share of the vote). The caller supplies the labels (the database
   for the platform, ``metadata.discipline`` for the dev sets), so this module stays storage-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from xiake.matching.lexical import WORD_FIELDS, LexicalIndex, combsum
from xiake.matching.text import Analyzer, char_grams, normalize

CANDIDATES = 100


@dataclass(frozen=True)
class Params:
    fields: dict = field(default_factory=lambda: dict(WORD_FIELDS))
    synonym_weight: float = 0.4
    gram_weight: float = 1.0
    dense_weight: float = 1.0
    max_df: float = 1.0
    fusion: str = "combsum"  # or "rrf"
    # discipline agreement: neighbours that vote, and the lift of full agreement on a scale where
    # the best candidate scores 1 (ablation in docs/matching.md)
    knn: int = 3
    discipline_weight: float = 0.3
    # False: only the inferred discipline (the vote's winner) lifts; True: every discipline of
    # the vote lifts by its share
    soft_vote: bool = True
    # pseudo-relevance feedback (RM3-style): the first ``prf_docs`` hits' words weighted by the
    # hit's score × the word's frequency in it × its IDF; the best ``prf_terms`` new words join
    # the query at ``prf_weight`` (× their weight relative to the best). 0 docs: off.
    prf_docs: int = 0
    prf_terms: int = 10
    prf_weight: float = 0.3
    # query-side term weighting: each term's weight × (its IDF / the query's highest IDF) **
    # ``idf_power`` for queries of at least ``long_query_terms`` terms, so that the generic words
    # of a long effect sentence count less than its rare ones (BM25 then counts IDF twice).
    # Applying it to every query (0) helped all three dev sets more than long queries only (12).
    idf_power: float = 1.0
    long_query_terms: int = 0


DEFAULT = Params()


def query_terms(ix: LexicalIndex, analyzer: Analyzer, text: str, params: Params = DEFAULT):
    terms = analyzer.query_terms(
        text, synonyms=params.synonym_weight > 0, synonym_weight=params.synonym_weight
    )
    if params.max_df < 1.0 and terms:
        n = ix.num_docs or 1
        kept = {t: w for t, w in terms.items() if ix.doc_freq("body", t) / n <= params.max_df}
        terms = kept or terms
    if params.idf_power > 0 and terms and len(terms) >= params.long_query_terms:
        n = ix.num_docs or 1
        dfs = ix.doc_freqs("body", terms)
        idf = {t: math.log(1 + (n - dfs[t] + 0.5) / (dfs[t] + 0.5)) for t in terms}
        hi = max(idf.values()) or 1.0
        terms = {t: w * (idf[t] / hi) ** params.idf_power for t, w in terms.items()}
    return terms


def expansion_terms(ix, hits, doc_terms, query: dict, params: Params) -> dict[str, float]:
    """RM3-style feedback words: Σ over the first ``prf_docs`` hits of score × tf/len × IDF."""
    feedback = hits[: params.prf_docs]
    if not feedback:
        return {}
    tokens = doc_terms([key for key, _s in feedback])
    top = feedback[0][1] or 1.0
    n = ix.num_docs or 1
    weights: dict[str, float] = {}
    for key, score in feedback:
        words = tokens.get(key) or []
        if not words:
            continue
        counts: dict[str, int] = {}
        for w in words:
            if w not in query and len(w) > 1:
                counts[w] = counts.get(w, 0) + 1
        for w, tf in counts.items():
            weights[w] = weights.get(w, 0.0) + (score / top) * tf / len(words)
    for w in list(weights):
        df = ix.doc_freq("body", w)
        weights[w] *= math.log(1 + (n - df + 0.5) / (df + 0.5))
    best = sorted(weights.items(), key=lambda kv: -kv[1])[: params.prf_terms]
    if not best:
        return {}
    hi = best[0][1] or 1.0
    return {w: params.prf_weight * v / hi for w, v in best}


def lexical_rankings(
    ix,
    analyzer,
    text,
    *,
    kinds=(),
    public_only=False,
    depth=CANDIDATES,
    exclude=(),
    params=DEFAULT,
    doc_terms=None,
):
    """Word and bigram channels. ``doc_terms`` (keys → their index words) enables the feedback
    round when ``params.prf_docs`` > 0."""
    text = normalize(text)
    terms = query_terms(ix, analyzer, text, params)
    search = dict(
        kinds=kinds, public_only=public_only, limit=depth, exclude=exclude, fields=params.fields
    )
    words = ix.search_words(terms, **search)
    if params.prf_docs > 0 and doc_terms is not None and words:
        extra = expansion_terms(ix, words, doc_terms, terms, params)
        if extra:
            words = ix.search_words({**terms, **extra}, **search)
    grams = []
    if params.gram_weight > 0:
        grams = ix.search_grams(
            char_grams(text, normalized=True),
            kinds=kinds,
            public_only=public_only,
            limit=depth,
            exclude=exclude,
        )
    return words, grams


def fuse(words, grams, dense=None, params: Params = DEFAULT):
    rankings, weights = [words, grams], [1.0, params.gram_weight]
    if dense:
        if params.fusion != "rrf":
            # cosine similarities of e5 crowd into 0.75-0.9: spread the candidates over 0..1 so
            # the dense channel separates them as much as the max-normalised BM25 channels do
            hi, lo = dense[0][1], dense[-1][1]
            span = (hi - lo) or 1.0
            dense = [(k, (s - lo) / span) for k, s in dense]
        rankings.append(dense)
        weights.append(params.dense_weight)
    if params.fusion == "rrf":
        from xiake.matching.lexical import rrf

        return rrf(rankings, weights=weights)
    return combsum(rankings, weights=weights)


def rank(
    ix: LexicalIndex,
    analyzer: Analyzer,
    text: str,
    *,
    kinds=(),
    public_only: bool = False,
    limit: int = 10,
    exclude=(),
    dense: list[tuple[str, float]] | None = None,
    params: Params = DEFAULT,
) -> list[tuple[str, float]]:
    """Top ``limit`` (key, fused score) for ``text``."""
    depth = max(CANDIDATES, limit)
    words, grams = lexical_rankings(
        ix,
        analyzer,
        text,
        kinds=kinds,
        public_only=public_only,
        depth=depth,
        exclude=exclude,
        params=params,
    )
    return fuse(words, grams, dense, params)[:limit]


@dataclass(frozen=True)
class Inference:
    """A label inferred for a query from its nearest records: the winner, its share of the vote
    (the confidence, 0–1) and every label's share. Empty when no neighbour carries a label."""

    label: object = None
    confidence: float = 0.0
    shares: dict = field(default_factory=dict)
    neighbours: int = 0

    def __bool__(self):
        return self.label is not None


def infer(hits, labels: Mapping, k: int = DEFAULT.knn) -> Inference:
    """Score-weighted vote of the first ``k`` hits that appear in ``labels`` (key → set of labels;
    an empty set is a neighbour without a label: it votes for nothing but still counts, so a
    label carried by few neighbours gets a low confidence). A record with several labels (an
    expert's disciplines) splits its vote."""
    neighbours = [(key, max(score, 0.0)) for key, score in hits if key in labels][:k]
    total = sum(score for _key, score in neighbours)
    if not total:
        return Inference(neighbours=len(neighbours))
    votes: dict = {}
    for key, score in neighbours:
        own = labels[key]
        for label in own:
            votes[label] = votes.get(label, 0.0) + score / len(own)
    if not votes:
        return Inference(neighbours=len(neighbours))
    shares = {label: v / total for label, v in sorted(votes.items(), key=lambda kv: -kv[1])}
    best = next(iter(shares))
    return Inference(best, shares[best], shares, len(neighbours))


@dataclass(frozen=True)
class Lift:
    """Why a candidate was lifted: the agreeing label, by how much, and whether the label was
    declared by the asking record or inferred from the neighbours (with that confidence)."""

    label: object
    weight: float
    inferred: bool
    confidence: float = 1.0


def label_rerank(hits, labels: Mapping, *, declared=frozenset(), params: Params = DEFAULT):
    """Re-rank ``hits`` (key, score) by discipline agreement.

    Scores are first divided by the best one (so the lift means the same for every query); a
    candidate sharing a ``declared`` label gets ``discipline_weight``, else one carrying an
    inferred label gets ``discipline_weight`` × the inferred label's share of the neighbours' vote
    (its confidence; with ``soft_vote`` every voted label lifts by its own share).
    Returns (re-ranked hits, {key: Lift}, the Inference — empty when ``declared`` was given)."""
    if not hits:
        return [], {}, Inference()
    top = hits[0][1] or 1.0
    normalised = [(key, score / top) for key, score in hits]
    if params.discipline_weight <= 0:
        return normalised, {}, Inference()
    declared = frozenset(declared or ())
    inference = Inference() if declared else infer(normalised, labels, params.knn)
    lifts: dict[str, Lift] = {}
    out = []
    for key, score in normalised:
        own = labels.get(key) or ()
        lift = None
        if declared:
            agreeing = [label for label in own if label in declared]
            if agreeing:
                lift = Lift(agreeing[0], params.discipline_weight, inferred=False)
        elif inference:
            share, label = max(((inference.shares.get(x, 0.0), x) for x in own), default=(0, None))
            if share > 0 and (params.soft_vote or label == inference.label):
                lift = Lift(label, params.discipline_weight * share, True, share)
        if lift is not None:
            lifts[key] = lift
            score += lift.weight
        out.append((key, score))
    out.sort(key=lambda kv: -kv[1])
    return out, lifts, inference


def baseline(ix: LexicalIndex, analyzer: Analyzer, text: str, limit: int = 100):
    """Plain BM25 over jieba tokens in one field (the comparison system of eval_matching)."""
    terms = dict.fromkeys(analyzer.tokens(text), 1.0)
    return ix.search_words(terms, limit=limit, fields={"body": 1.0})
