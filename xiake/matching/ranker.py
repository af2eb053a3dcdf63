"""The lexical ranker shared by the platform's search and ``eval_matching``.

Method (no parameter was fitted to the dev sets; the constants are the usual textbook ones):
1. query terms from the domain-dictionary analyzer, synonyms at weight 0.4;
2. channel A: BM25 over weighted word fields (title 3, keywords 2.5, indicators 1.5, body 1,
   tags 0.8), every clause boosted by its term weight;
3. channel B: BM25 over CJK character bigrams (robust to segmentation and to partial words such
   as 锈 ↔ 锈蚀);
4. CombSUM of the max-normalised scores of A and B (equal weights), optionally with a dense
   channel C. On a 600-query slice of patent-effect CombSUM beat reciprocal rank fusion
   (nDCG@10 0.831 vs 0.820) and pseudo-relevance feedback (RM3-style, 5 docs / 10 terms) did
   not help (0.817), so neither RRF nor PRF is used; see docs/matching.md.
"""

from __future__ import annotations

from xiake.matching.lexical import LexicalIndex, combsum
from xiake.matching.text import Analyzer, char_grams

CANDIDATES = 100


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
    synonyms: bool = True,
) -> list[tuple[str, float]]:
    """Top ``limit`` (key, fused score) for ``text``."""
    depth = max(CANDIDATES, limit)
    terms = analyzer.query_terms(text, synonyms=synonyms)
    words = ix.search_words(
        terms, kinds=kinds, public_only=public_only, limit=depth, exclude=exclude
    )
    grams = ix.search_grams(
        char_grams(text), kinds=kinds, public_only=public_only, limit=depth, exclude=exclude
    )
    rankings = [words, grams]
    if dense:
        rankings.append(dense)
    return combsum(rankings)[:limit]


def baseline(ix: LexicalIndex, analyzer: Analyzer, text: str, limit: int = 100):
    """Plain BM25 over jieba tokens in one field (the comparison system of eval_matching)."""
    terms = dict.fromkeys(analyzer.tokens(text), 1.0)
    return ix.search_words(terms, limit=limit, fields={"body": 1.0})
