"""The ranker shared by the platform's search and ``eval_matching``.

Method (no parameter was fitted to the dev sets; each choice was an ablation on bounded query
samples of all three sets, kept only when it did not hurt any of them — see docs/matching.md):
1. query terms from the domain-dictionary analyzer; synonyms at :attr:`Params.synonym_weight`;
   terms found in more than :attr:`Params.max_df` of the documents are dropped (they carry almost
   no IDF and only add noise and time);
2. channel A: BM25 over weighted word fields (:attr:`Params.fields`), every clause boosted by its
   term weight;
3. channel B: BM25 over CJK character bigrams (robust to segmentation and to partial words such
   as 锈 ↔ 锈蚀);
4. CombSUM of the max-normalised scores of A and B, plus the dense channel C (cosine similarity
   from the HNSW index) when vectors exist.
"""

from __future__ import annotations

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


DEFAULT = Params()


def query_terms(ix: LexicalIndex, analyzer: Analyzer, text: str, params: Params = DEFAULT):
    terms = analyzer.query_terms(
        text, synonyms=params.synonym_weight > 0, synonym_weight=params.synonym_weight
    )
    if params.max_df < 1.0 and terms:
        n = ix.num_docs or 1
        kept = {t: w for t, w in terms.items() if ix.doc_freq("body", t) / n <= params.max_df}
        terms = kept or terms
    return terms


def lexical_rankings(
    ix, analyzer, text, *, kinds=(), public_only=False, depth=CANDIDATES, exclude=(), params=DEFAULT
):
    text = normalize(text)
    terms = query_terms(ix, analyzer, text, params)
    words = ix.search_words(
        terms,
        kinds=kinds,
        public_only=public_only,
        limit=depth,
        exclude=exclude,
        fields=params.fields,
    )
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


def baseline(ix: LexicalIndex, analyzer: Analyzer, text: str, limit: int = 100):
    """Plain BM25 over jieba tokens in one field (the comparison system of eval_matching)."""
    terms = dict.fromkeys(analyzer.tokens(text), 1.0)
    return ix.search_words(terms, limit=limit, fields={"body": 1.0})
