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

Word proximity (:func:`query_pairs`, ``pair_weight`` 0.3): the query's adjacent word pairs join
the word channel's query, matched against the records' adjacent word pairs (the sequential
dependence model's ordered feature). Switches that are off by default (each an ablation variant of
``eval_matching``; figures in docs/matching.md): the pairs as a channel of their own or with an
unordered window, corpus-trained term association (:func:`associations`), query-IDF weighting of
the bigram channel, a lead-sentence field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from xiake.matching.lexical import (
    GRAM_FIELD,
    LEAD_FIELD,
    PAIR_FIELD,
    UNORDERED_FIELD,
    WORD_FIELDS,
    LexicalIndex,
    combsum,
)
from xiake.matching.text import (
    UNORDERED_JOIN,
    Analyzer,
    char_grams,
    normalize,
    ordered_pairs,
)

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
    # the bigram channel's clauses weighted the same way (IDF from the bigram field); 0: off
    gram_idf_power: float = 0.0
    # word proximity (sequential dependence, Metzler & Croft 2005): the query's adjacent word
    # pairs matched in the ``pairs`` field (the same two words adjacent, in order, in one clause
    # of the record) and, with ``pair_window`` > 1, in the ``upairs`` field (both words within
    # that many words, either order) at ``unordered_weight``. Pair clauses are weighted by query
    # IDF like the words (``idf_power``, IDF from the pair field). With ``pair_in_words`` they
    # join the word channel's query at ``pair_weight`` (one BM25 sum, as SDM scores: 0.3, the
    # default, passed the ablation); else they form a channel of their own, fused by CombSUM at
    # ``pair_weight`` (hurt csl-keywords). 0: off, and the index holds no pairs (it is twice as
    # large with them and builds ~40 % slower: docs/matching.md). Changing it needs ``xiake
    # reindex`` (the pair fields are filled only while it is on).
    pair_weight: float = 0.3
    pair_window: int = 0
    unordered_weight: float = 0.5
    pair_in_words: bool = True
    # corpus-trained term association (a global translation model): the ``assoc_terms`` words
    # best associated (PMI of co-occurring in one document, learned from the indexed documents
    # only, :func:`associations`) with the query's words join the query at ``assoc_weight``
    # (× their score relative to the best). 0 terms: off.
    assoc_terms: int = 0
    assoc_weight: float = 0.2
    # the ``lead`` field (a record's first sentence: where a patent names its field and object,
    # a title for the many patents and papers without one) searched with the word fields at
    # this weight; 0: not searched.
    lead_weight: float = 0.0


# the unordered window the index is built with when the default ranker uses it (else none)
def index_window(params: Params) -> int:
    return params.pair_window if params.pair_weight > 0 and params.pair_window > 1 else 0


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


def _idf_weighted(ix, field_name, weights: dict, power: float) -> dict:
    """Each term's weight × (its IDF in ``field_name`` / the highest) ** ``power``."""
    if power <= 0 or not weights:
        return weights
    n = ix.num_docs or 1
    dfs = ix.doc_freqs(field_name, weights)
    idf = {t: math.log(1 + (n - dfs[t] + 0.5) / (dfs[t] + 0.5)) for t in weights}
    hi = max(idf.values()) or 1.0
    return {t: w * (idf[t] / hi) ** power for t, w in weights.items()}


def query_pairs(ix, analyzer: Analyzer, text: str, params: Params) -> dict:
    """(field, pair) → weight: the query's adjacent word pairs inside each clause, as ordered
    pairs and (``pair_window`` > 1) as unordered ones."""
    ordered: dict[str, float] = {}
    unordered: dict[str, float] = {}
    for words in analyzer.clauses(text, normalized=True):
        for pair in ordered_pairs(words):
            ordered[pair] = 1.0
        if params.pair_window > 1:
            for a, b in zip(words, words[1:], strict=False):
                if a != b:
                    unordered[f"{min(a, b)}{UNORDERED_JOIN}{max(a, b)}"] = params.unordered_weight
    out = {
        (PAIR_FIELD, p): w
        for p, w in _idf_weighted(ix, PAIR_FIELD, ordered, params.idf_power).items()
    }
    out.update(
        {
            (UNORDERED_FIELD, p): w
            for p, w in _idf_weighted(ix, UNORDERED_FIELD, unordered, params.idf_power).items()
        }
    )
    return out


def associations(
    documents,
    *,
    min_df: int = 3,
    max_df: float = 0.05,
    min_count: int = 3,
    per_doc: int = 80,
    keep: int = 20,
) -> dict[str, list[tuple[str, float]]]:
    """word → its ``keep`` best associated words with their PMI, from ``documents`` (each an
    iterable of its words). Only words in at least ``min_df`` documents and at most ``max_df`` of
    them take part (rarer ones give unreliable counts, commoner ones associate with everything);
    a document counts its first ``per_doc`` distinct such words (bounds the quadratic count);
    a pair must co-occur in ``min_count`` documents. PMI = log(N·c(a,b) / (df(a)·df(b)))."""
    from collections import Counter

    import numpy as np

    docs = [list(dict.fromkeys(words)) for words in documents]
    n = len(docs) or 1
    df = Counter(w for words in docs for w in words)
    ceiling = max_df * n
    vocab = sorted(w for w, c in df.items() if min_df <= c <= ceiling and len(w) > 1)
    if not vocab:
        return {}
    ids = {w: i for i, w in enumerate(vocab)}
    size = len(vocab)
    # every document's co-occurring pairs as one integer (a · size + b, a < b), counted at once
    chunks = []
    for words in docs:
        kept = np.array(sorted(ids[w] for w in [w for w in words if w in ids][:per_doc]))
        if len(kept) > 1:
            i, j = np.triu_indices(len(kept), 1)
            chunks.append(kept[i].astype(np.int64) * size + kept[j])
    if not chunks:
        return {}
    codes, counts = np.unique(np.concatenate(chunks), return_counts=True)
    keep_ = counts >= min_count
    codes, counts = codes[keep_], counts[keep_]
    a, b = codes // size, codes % size
    dfs = np.array([df[w] for w in vocab], dtype=np.float64)
    pmi = np.log(n * counts / (dfs[a] * dfs[b]))
    positive = pmi > 0
    table: dict[str, list[tuple[str, float]]] = {}
    for x, y, p in zip(
        a[positive].tolist(), b[positive].tolist(), pmi[positive].tolist(), strict=True
    ):
        table.setdefault(vocab[x], []).append((vocab[y], p))
        table.setdefault(vocab[y], []).append((vocab[x], p))
    return {w: sorted(v, key=lambda kv: -kv[1])[:keep] for w, v in table.items()}


def association_terms(query: dict, table: Mapping, params: Params) -> dict[str, float]:
    """The ``assoc_terms`` words best associated with the whole query: Σ over query words of
    their weight × PMI, at ``assoc_weight`` × the score relative to the best."""
    scores: dict[str, float] = {}
    for term, weight in query.items():
        for word, pmi in table.get(term, ()):
            if word not in query:
                scores[word] = scores.get(word, 0.0) + weight * pmi
    best = sorted(scores.items(), key=lambda kv: -kv[1])[: params.assoc_terms]
    if not best:
        return {}
    hi = best[0][1] or 1.0
    return {w: params.assoc_weight * v / hi for w, v in best}


class Rankings(NamedTuple):
    """The lexical channels' rankings of one query: words, character bigrams, word pairs."""

    words: list
    grams: list
    pairs: list


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
    associated=None,
    only=(),
):
    """Word, bigram and (``pair_weight`` > 0) word-pair channels, as :class:`Rankings`.
    ``doc_terms`` (keys → their index words) enables the feedback round when ``params.prf_docs``
    > 0; ``associated`` (a table of :func:`associations`) the association expansion when
    ``params.assoc_terms`` > 0; ``only`` (keys) scores those records alone."""
    text = normalize(text)
    terms = query_terms(ix, analyzer, text, params)
    if params.assoc_terms > 0 and associated:
        terms = {**association_terms(terms, associated, params), **terms}
    fields = params.fields
    if params.lead_weight > 0:
        fields = {**fields, LEAD_FIELD: params.lead_weight}
    search = dict(
        kinds=kinds, public_only=public_only, limit=depth, exclude=exclude, fields=fields, only=only
    )
    wanted = query_pairs(ix, analyzer, text, params) if params.pair_weight > 0 else {}
    if params.pair_in_words and wanted:  # SDM proper: pair features summed into one BM25 score
        search["extra"] = {key: w * params.pair_weight for key, w in wanted.items()}
        wanted = {}
    words = ix.search_words(terms, **search)
    if params.prf_docs > 0 and doc_terms is not None and words:
        extra = expansion_terms(ix, words, doc_terms, terms, params)
        if extra:
            words = ix.search_words({**terms, **extra}, **search)
    grams = []
    if params.gram_weight > 0:
        query_grams = char_grams(text, normalized=True)
        gram_weights = None
        if params.gram_idf_power > 0:
            gram_weights = _idf_weighted(
                ix, GRAM_FIELD, dict.fromkeys(query_grams, 1.0), params.gram_idf_power
            )
        grams = ix.search_grams(
            query_grams,
            kinds=kinds,
            public_only=public_only,
            limit=depth,
            exclude=exclude,
            weights=gram_weights,
            only=only,
        )
    pairs = []
    if wanted:
        pairs = ix.search_fields(
            wanted, kinds=kinds, public_only=public_only, limit=depth, exclude=exclude, only=only
        )
    return Rankings(words, grams, pairs)


def fuse(words, grams, dense=None, params: Params = DEFAULT, pairs=None):
    rankings, weights = [words, grams], [1.0, params.gram_weight]
    if pairs:
        rankings.append(pairs)
        weights.append(params.pair_weight)
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
    words, grams, pairs = lexical_rankings(
        ix,
        analyzer,
        text,
        kinds=kinds,
        public_only=public_only,
        depth=depth,
        exclude=exclude,
        params=params,
    )
    return fuse(words, grams, dense, params, pairs=pairs)[:limit]


def scores_of(
    ix: LexicalIndex,
    analyzer: Analyzer,
    text: str,
    keys,
    *,
    kinds=(),
    public_only: bool = False,
    limit: int = 10,
    exclude=(),
    dense: list[tuple[str, float]] | None = None,
    dense_of: Mapping[str, float] | None = None,
    params: Params = DEFAULT,
) -> dict[str, float]:
    """The fused score :func:`rank` (with the same arguments) gives each of ``keys``, divided by
    its best candidate's — for a record among its candidates exactly what it ranks by, and for one
    beyond them what it would have scored: every channel's score of that record on the channel's
    own scale (``dense_of``: the records' cosine similarities, on the scale of ``dense``).
    0 for a record no channel matches. For the default CombSUM fusion."""
    keys = list(dict.fromkeys(keys))
    depth = max(CANDIDATES, limit)
    search = dict(kinds=kinds, public_only=public_only, exclude=exclude, params=params)
    words, grams, pairs = lexical_rankings(ix, analyzer, text, depth=depth, **search)
    fused = fuse(words, grams, dense, params, pairs=pairs)
    out = dict.fromkeys(keys, 0.0)
    if not fused or not keys:
        return out
    mine = lexical_rankings(ix, analyzer, text, depth=len(keys), only=keys, **search)
    channels = ((words, 1.0), (grams, params.gram_weight), (pairs, params.pair_weight))
    for (ranked, weight), own in zip(channels, mine, strict=True):
        if ranked:
            top = ranked[0][1] or 1.0
            for key, score in own:
                out[key] += weight * score / top
    if dense and dense_of:
        hi, lo = dense[0][1], dense[-1][1]
        span = (hi - lo) or 1.0
        for key, cosine in dense_of.items():
            if key in out:  # below the dense candidates' lowest it counts 0, as in :func:`fuse`
                out[key] += params.dense_weight * max(0.0, (cosine - lo) / span)
    best = fused[0][1] or 1.0
    return {key: score / best for key, score in out.items()}


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
