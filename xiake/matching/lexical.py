"""A BM25 index in tantivy over our own tokens (whitespace-joined analyzer output).

Knows nothing about Django: documents are dicts of field → token list. Two retrieval channels
share one index: weighted word fields (title, keywords, body, indicators, tags) and a field of CJK
character bigrams (``grams``), fused by reciprocal rank (:func:`rrf`). Word pairs (``pairs``,
``upairs``) and a lead sentence (``lead``) have fields of their own, empty unless the ranker
reads them; an index lacking one of the fields (an older generation) raises
:class:`OutdatedIndex` on open, so the engine rebuilds it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import tantivy

# title 2 (was 3): one ablation step on 200-query samples of the three dev sets — docs/matching.md
WORD_FIELDS = {"title": 2.0, "keywords": 2.5, "indicators": 1.5, "body": 1.0, "tags": 0.8}
GRAM_FIELD = "grams"
# word pairs (text.ordered_pairs / text.unordered_pairs), the proximity channel's fields
PAIR_FIELD = "pairs"
UNORDERED_FIELD = "upairs"
# a record's first sentence (ranker.Params.lead_weight)
LEAD_FIELD = "lead"
TEXT_FIELDS = (*WORD_FIELDS, GRAM_FIELD, PAIR_FIELD, UNORDERED_FIELD, LEAD_FIELD)
MAX_QUERY_TERMS = 64
MAX_QUERY_GRAMS = 128


class _Writer:
    def __init__(self, writer):
        self.writer = writer

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.writer.delete_documents_by_term("key", key)

    def add(self, docs: Iterable[dict]) -> int:
        n = 0
        for d in docs:
            doc = tantivy.Document()
            doc.add_text("key", d["key"])
            doc.add_text("kind", d["kind"])
            doc.add_integer("pk", int(d["pk"]))
            doc.add_integer("public", 1 if d.get("public", True) else 0)
            for name in TEXT_FIELDS:
                value = d.get(name)
                if value:
                    doc.add_text(name, value if isinstance(value, str) else " ".join(value))
            self.writer.add_document(doc)
            n += 1
        return n


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw")
    sb.add_text_field("kind", stored=True, tokenizer_name="raw")
    sb.add_integer_field("pk", stored=True, indexed=True)
    sb.add_integer_field("public", stored=False, indexed=True)
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="freq")
    return sb.build()


class OutdatedIndex(Exception):
    """The index on disk was built with an older schema (a field is missing): rebuild it."""


class LexicalIndex:
    """One tantivy index directory. Open with :meth:`open` (raises if missing or corrupt)."""

    def __init__(self, path: Path, index: tantivy.Index):
        self.path = Path(path)
        self.index = index
        self.schema = index.schema

    @classmethod
    def create(cls, path: Path) -> LexicalIndex:
        path = Path(path)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return cls(path, tantivy.Index(build_schema(), path=str(path)))

    @classmethod
    def open(cls, path: Path) -> LexicalIndex:
        path = Path(path)
        if not (path / "meta.json").exists():
            raise FileNotFoundError(f"no index at {path}")
        index = tantivy.Index.open(str(path))
        index.searcher().num_docs  # noqa: B018 - touch the segments: corrupt files raise here
        for name in TEXT_FIELDS:  # an older generation lacks a field added since: rebuild
            try:
                tantivy.Query.term_query(index.schema, name, "")
            except ValueError as exc:
                raise OutdatedIndex(f"index at {path} has no field {name!r}") from exc
        return cls(path, index)

    # -- writing ----------------------------------------------------------------------------
    def write(self, docs: Iterable[dict], delete_keys: Iterable[str] = ()) -> int:
        """Delete ``delete_keys``, add ``docs`` and commit (one transaction)."""
        with self.writer() as w:
            w.delete(delete_keys)
            return w.add(docs)

    @contextlib.contextmanager
    def writer(self):
        """A writer for many batches with one commit at the end (a rebuild); rolled back on error.

        Each document is a dict with key, kind, pk, public and, per field, its tokens as a list or
        already joined by spaces (what the tokenising workers send back: a string pickles ~50×
        faster than a list of short strings)."""
        w = _Writer(self.index.writer(heap_size=128_000_000, num_threads=1))
        try:
            yield w
            w.writer.commit()
            w.writer.wait_merging_threads()
        except BaseException:
            w.writer.rollback()
            raise
        self.index.reload()

    # -- reading ----------------------------------------------------------------------------
    @property
    def num_docs(self) -> int:
        return self.index.searcher().num_docs

    def _filters(self, kinds, public_only):
        """Required clauses that only select: scored 0, so that a filtered search ranks and
        scores its documents exactly as an unfiltered one (a scored kind term added its own
        BM25 to every hit, which shifted each channel's max-normalisation)."""
        must = []
        if kinds:
            kq = [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "kind", k))
                for k in kinds
            ]
            must.append(tantivy.Query.boolean_query(kq))
        if public_only:
            must.append(tantivy.Query.term_query(self.schema, "public", 1))
        return [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in must]

    def _run(self, should, kinds, public_only, limit, exclude=(), only=()):
        if not should:
            return []
        query = tantivy.Query.boolean_query(should)
        clauses = self._filters(kinds, public_only)
        for key in exclude:
            clauses.append(
                (tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "key", key))
            )
        if only:  # these records alone, scored as in an open search (the filter scores 0)
            keys = [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "key", key))
                for key in only
            ]
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.const_score_query(tantivy.Query.boolean_query(keys), 0.0),
                )
            )
        if clauses:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *clauses])
        # else the query stays a union of (boosted) term clauses alone, which tantivy answers
        # with block-max WAND, skipping documents that cannot reach the top ``limit``: at 1M
        # documents 15 % faster than the same union wrapped as a required clause
        searcher = self.index.searcher()
        hits = searcher.search(query, limit, count=False).hits
        out = []
        for score, addr in hits:
            doc = searcher.doc(addr)
            out.append((doc["key"][0], float(score)))
        return out

    def search_words(
        self,
        terms: dict[str, float],
        *,
        kinds=(),
        public_only=False,
        limit=100,
        fields: dict[str, float] | None = None,
        exclude=(),
        extra: dict[tuple[str, str], float] | None = None,
        only=(),
    ) -> list[tuple[str, float]]:
        """BM25 over the word fields; each term's clauses boosted by field weight × term weight;
        ``extra`` adds (field, term) clauses with their own boosts (word pairs)."""
        fields = WORD_FIELDS if fields is None else fields
        top = sorted(terms.items(), key=lambda kv: -kv[1])[:MAX_QUERY_TERMS]
        should = []
        for term, weight in top:
            for field, fw in fields.items():
                q = tantivy.Query.term_query(self.schema, field, term)
                should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, fw * weight)))
        for (field, term), weight in list((extra or {}).items())[:MAX_QUERY_GRAMS]:
            q = tantivy.Query.term_query(self.schema, field, term)
            should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, weight)))
        return self._run(should, kinds, public_only, limit, exclude, only)

    def search_grams(
        self,
        grams: list[str],
        *,
        kinds=(),
        public_only=False,
        limit=100,
        exclude=(),
        weights: dict[str, float] | None = None,
        only=(),
    ) -> list[tuple[str, float]]:
        """BM25 over the character-bigram field (each clause boosted by ``weights`` when given)."""
        seen = list(dict.fromkeys(grams))[:MAX_QUERY_GRAMS]
        should = []
        for g in seen:
            q = tantivy.Query.term_query(self.schema, GRAM_FIELD, g)
            if weights is not None:
                q = tantivy.Query.boost_query(q, weights.get(g, 1.0))
            should.append((tantivy.Occur.Should, q))
        return self._run(should, kinds, public_only, limit, exclude, only)

    def search_fields(
        self,
        terms: dict[tuple[str, str], float],
        *,
        kinds=(),
        public_only=False,
        limit=100,
        exclude=(),
        only=(),
    ) -> list[tuple[str, float]]:
        """BM25 over (field, term) clauses, each boosted by its weight (the pair channel)."""
        should = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, f, t), w),
            )
            for (f, t), w in list(terms.items())[:MAX_QUERY_GRAMS]
        ]
        return self._run(should, kinds, public_only, limit, exclude, only)

    def doc_freq(self, field: str, term: str) -> int:
        return self.index.searcher().doc_freq(field, term)

    def doc_freqs(self, field: str, terms) -> dict[str, int]:
        """Document frequencies of many terms from one searcher."""
        searcher = self.index.searcher()
        return {t: searcher.doc_freq(field, t) for t in terms}


def rrf(
    rankings: list[list[tuple[str, float]]], k: int = 60, weights=None
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several ranked lists of (key, score)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, (key, _score) in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + w / (k + rank + 1)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def combsum(rankings: list[list[tuple[str, float]]], weights=None) -> list[tuple[str, float]]:
    """CombSUM of max-normalised scores: each list's best hit counts 1 × its weight."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        top = ranking[0][1] or 1.0
        for key, score in ranking:
            fused[key] = fused.get(key, 0.0) + w * score / top
    return sorted(fused.items(), key=lambda kv: -kv[1])
