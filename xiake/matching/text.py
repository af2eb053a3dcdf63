"""Chinese text pipeline: normalise, segment, drop stop words, widen queries with synonyms.

``analyzer().tokens(text)`` is what the index stores and what queries are matched against:

1. NFKC (full-width → half-width, compatibility forms), optional traditional → simplified
   (``opencc-python-reimplemented`` when installed; skipped silently otherwise), lower case,
   control characters removed, input capped at :data:`MAX_CHARS`.
2. ASCII runs (``Fe3O4``, ``316L``, ``XK-2000A``, ``GB/T``) are kept whole, plus their parts when
   they contain ``-`` ``/`` ``.``; everything else is segmented by a private jieba ``Tokenizer``
   whose dictionary is extended with the taxonomies' vocabulary (``taxonomy.api.domain_vocabulary``)
   and the catalogue's own keywords.
3. Punctuation and stop words (``data/stopwords.txt``) are dropped.

Queries can be widened with ``data/synonyms.txt`` (plant language ↔ technical language); documents
are indexed as written. ``char_grams(text)`` gives the overlapping CJK character bigrams of the
second retrieval channel, which is robust to segmentation differences.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import signal
import threading
import unicodedata
from functools import cache
from pathlib import Path

import jieba

logger = logging.getLogger(__name__)

MAX_CHARS = 10_000
DATA = Path(__file__).with_name("data")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\u200b-\u200f\u2028-\u202e\ufeff]")
_ASCII_RUN = re.compile(r"[a-z0-9](?:[a-z0-9+#_]|[-./](?=[a-z0-9]))*")
_SPLIT = re.compile(r"([a-z0-9](?:[a-z0-9+#_]|[-./](?=[a-z0-9]))*)")
_HAS_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KEYWORD_SPLIT = re.compile(r"[,，;；、\s/|]+")
# Clause boundaries for word pairs (after NFKC most full-width punctuation is ASCII). None of these
# characters can occur inside an ASCII run, so segmenting clause by clause gives the same tokens
# as segmenting the whole text.
_CLAUSE = re.compile(r"[,;:!?()\[\]{}<>\"'\n\r\t。、，；：！？（）【】《》〈〉「」『』“”‘’…—]+")
# Joins the two words of an ordered pair (焊接|接头) and of an unordered one (接头~焊接, sorted).
# Neither character occurs in a token (ASCII runs are [a-z0-9+#_] and inner -./; CJK runs have no
# punctuation), so a pair can never be mistaken for a word.
PAIR_JOIN = "|"
UNORDERED_JOIN = "~"


def _read_list(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@cache
def _traditional_chars() -> frozenset[str]:
    """Characters that t2s would change (keys of opencc's character table); empty without opencc."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - optional
        return frozenset()
    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # pragma: no cover - a different packaging: convert every CJK text
        return frozenset()
    return frozenset(line.split("\t", 1)[0] for line in lines if line and "\t" in line)


def _needs_t2s(text: str) -> bool:
    chars = _traditional_chars()
    if not chars:
        return bool(_CJK.search(text))
    return not chars.isdisjoint(text)


@cache
def _t2s():
    try:
        import opencc  # opencc-python-reimplemented: pure Python, dictionaries in the package
    except ImportError:  # pragma: no cover - optional
        logger.info("opencc not installed; traditional characters are not converted")
        return None
    try:
        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - a broken install must not break search
        logger.warning("opencc failed to load; traditional characters are not converted")
        return None


def normalize(text, *, simplify: bool = True) -> str:
    """NFKC, width-folded, lower-cased, control characters removed, capped at MAX_CHARS."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)[:MAX_CHARS]
    # opencc-python-reimplemented is pure Python (~2 ms per abstract): only run it on text that
    # holds at least one traditional character (≈ 1.5 % of the CSL abstracts)
    if simplify and _needs_t2s(text):
        converter = _t2s()
        if converter is not None:
            text = converter.convert(text)
    return text.lower()


def stop_words() -> frozenset[str]:
    return _stop_words()


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(_read_list("stopwords.txt"))


@cache
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """word → the other words of its group (from data/synonyms.txt)."""
    table: dict[str, list[str]] = {}
    for line in _read_list("synonyms.txt"):
        words = [normalize(w) for w in line.split()]
        for w in words:
            table.setdefault(w, [])
            table[w].extend(x for x in words if x != w and x not in table[w])
    return {k: tuple(v) for k, v in table.items()}


def split_keywords(value: str) -> list[str]:
    return [k for k in (s.strip() for s in _KEYWORD_SPLIT.split(value or "")) if k]


def _rjieba():
    try:
        import rjieba  # jieba-rs (Rust): the same dictionary and algorithm, ~10× faster
    except ImportError:  # pragma: no cover - optional: pure-Python jieba then
        return None
    return rjieba


def default_segmenter() -> str:
    """``settings.MATCHING_SEGMENTER``: "rjieba" (default when installed) or "jieba"."""
    try:
        from django.conf import settings

        chosen = getattr(settings, "MATCHING_SEGMENTER", None)
    except Exception:  # no Django settings (a bare script)
        chosen = None
    if chosen:
        return chosen
    return "rjieba" if _rjieba() is not None else "jieba"


class Analyzer:
    """A jieba segmenter with its own dictionary (the process-wide jieba stays untouched).

    ``segmenter="rjieba"`` uses jieba-rs (compiled; the same dictionary, DAG and route as jieba
    without HMM: 0.2 % of CJK runs of the CSL abstracts split differently, e.g. 相互关系 vs
    相互 + 关系, because word frequencies are suggested in floating point differently), ten times
    faster; ``"jieba"`` is the pure-Python original. Index and queries of one node always go
    through the same analyzer; ``fingerprint`` names it (segmenter, HMM, dictionary).
    """

    def __init__(self, extra_words=(), *, hmm: bool = False, segmenter: str | None = None):
        # HMM off: unknown character runs are not guessed into new words (they stay as dictionary
        # words or single characters, which the bigram channel covers). About 1.6× faster, and
        # queries and documents segment the same way; measured in docs/matching.md.
        self.hmm = hmm
        segmenter = segmenter or default_segmenter()
        rjieba = _rjieba() if segmenter == "rjieba" else None
        if segmenter == "rjieba" and rjieba is None:
            logger.warning("rjieba is not installed; segmenting with the pure-Python jieba")
        if rjieba is not None:
            self.segmenter = "rjieba"
            rs = rjieba.Jieba()

            def add(word):
                rs.add_word(word, None, None)

            has = rs.has_word
            self._cut = lambda piece: rs.cut(piece, hmm)
        else:
            self.segmenter = "jieba"
            jieba.dt.initialize()  # load the stock dictionary once per process, then copy it
            py = jieba.Tokenizer()
            py.FREQ = dict(jieba.dt.FREQ)
            py.total = jieba.dt.total
            py.initialized = True
            add = py.add_word

            def has(word):
                return bool(py.FREQ.get(word))

            self._cut = lambda piece: py.cut(piece, HMM=hmm)
        digest = hashlib.sha256()
        self.extra_words = 0
        for word in extra_words:
            word = normalize(word).strip()
            if 2 <= len(word) <= 20 and _CJK.search(word) and " " not in word:
                add(word)
                digest.update(word.encode() + b"\n")
                self.extra_words += 1
        self.stop = stop_words()
        # stop words must come out of jieba whole to be dropped (without HMM, 我司 would be 我 + 司)
        for word in sorted(self.stop):
            if len(word) >= 2 and _CJK.search(word) and not has(word):
                add(word)
        digest.update("\n".join(sorted(self.stop)).encode())
        self.fingerprint = f"{self.segmenter}-hmm{int(hmm)}-{digest.hexdigest()[:16]}"

    def _segment(self, text: str) -> list[str]:
        out: list[str] = []
        for i, part in enumerate(_SPLIT.split(text)):
            if not part:
                continue
            if i % 2:  # an ASCII run: keep it whole, and its parts
                out.append(part)
                if any(c in part for c in "-./"):
                    out.extend(p for p in re.split(r"[-./]", part) if len(p) >= 2)
                continue
            for piece in _CJK_RUN.findall(part):
                for word in self._cut(piece):
                    if len(word) == 2 and word.endswith("了"):
                        word = word[0]
                    out.append(word)
        return out

    def tokens(self, text, *, keep_stop: bool = False, normalized: bool = False) -> list[str]:
        """Index tokens of ``text``; pass ``normalized=True`` when it already went through
        :func:`normalize` (saves the second pass)."""
        words = self._segment(text if normalized else normalize(text))
        if keep_stop:
            return [w for w in words if _HAS_WORD.search(w)]
        return [w for w in words if w not in self.stop and _HAS_WORD.search(w)]

    def clauses(self, text, *, normalized: bool = False) -> list[list[str]]:
        """The tokens of ``text`` clause by clause (split at punctuation): word pairs are made
        inside a clause only. Concatenated, the lists are exactly :meth:`tokens`."""
        text = text if normalized else normalize(text)
        return [
            words for part in _CLAUSE.split(text) if (words := self.tokens(part, normalized=True))
        ]

    def tokens_and_pairs(
        self, text, *, normalized: bool = False, window: int = 0
    ) -> tuple[list[str], list[str], list[str]]:
        """Tokens, ordered adjacent pairs and (``window`` > 1) unordered pairs within ``window``
        words, all from one segmentation; pairs never cross a clause boundary (stop words are
        dropped first, so 焊接的接头 gives 焊接|接头 as 焊接接头 does)."""
        tokens: list[str] = []
        ordered: list[str] = []
        unordered: list[str] = []
        for words in self.clauses(text, normalized=normalized):
            tokens.extend(words)
            ordered.extend(ordered_pairs(words))
            if window > 1:
                unordered.extend(unordered_pairs(words, window))
        return tokens, ordered, unordered

    def query_terms(
        self, text, *, synonyms: bool = True, synonym_weight: float = 0.4
    ) -> dict[str, float]:
        """Distinct query terms with weights: 1.0 for what was typed, ``synonym_weight`` for
        synonyms."""
        weights: dict[str, float] = {}
        for w in self.tokens(text):
            weights[w] = 1.0
        if synonyms:
            table = synonym_groups()
            for w in list(weights):
                for s in table.get(w, ()):
                    for t in self.tokens(s):
                        weights.setdefault(t, synonym_weight)
        return weights


_SENTENCE_END = re.compile(r"[。!?;！？；\n]")


def first_sentence(text: str) -> str:
    """``text`` up to its first sentence end (。！？； or a line break)."""
    m = _SENTENCE_END.search(text)
    return text[: m.start()] if m else text


def ordered_pairs(words: list[str]) -> list[str]:
    """Adjacent word pairs in order (焊接|接头): the "ordered window 1" feature of Metzler &
    Croft's sequential dependence model."""
    return [f"{a}{PAIR_JOIN}{b}" for a, b in zip(words, words[1:], strict=False)]


def unordered_pairs(words: list[str], window: int) -> list[str]:
    """Pairs of words at most ``window - 1`` positions apart, in either order (接头~焊接, the two
    words sorted): SDM's unordered-window feature restricted to two words."""
    out = []
    for i, a in enumerate(words):
        for b in words[i + 1 : i + window]:
            if a != b:
                out.append(f"{min(a, b)}{UNORDERED_JOIN}{max(a, b)}")
    return out


def char_grams(text, *, normalized: bool = False, n: int = 2) -> list[str]:
    """Overlapping CJK character ``n``-grams (bigrams; a shorter run whole) and ASCII runs."""
    text = text if normalized else normalize(text)
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) <= n:
            grams.append(run)
        else:
            grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    grams.extend(_ASCII_RUN.findall(text))
    return grams


_lock = threading.Lock()
_analyzer: Analyzer | None = None


def catalogue_keywords() -> set[str]:
    """The keywords written on achievements and demands (read from the database)."""
    from xiake.catalog.models import Achievement, Demand

    words: set[str] = set()
    for model in (Achievement, Demand):
        for value in model.objects.exclude(keywords="").values_list("keywords", flat=True)[:50000]:
            words.update(split_keywords(value))
    return words


def domain_words() -> list[str]:
    """Taxonomy vocabulary plus catalogue keywords; empty when the database is not ready."""
    words: list[str] = []
    try:
        from xiake.taxonomy.api import domain_vocabulary

        words.extend(domain_vocabulary())
        words.extend(sorted(catalogue_keywords()))
    except Exception as exc:  # no tables yet (first migrate) or no database at all
        logger.info("domain dictionary unavailable: %s", exc)
    return words


def analyzer() -> Analyzer:
    """The process's analyzer with the domain dictionary (built once; ``reset_analyzer`` drops it)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = Analyzer(domain_words())
    return _analyzer


def reset_analyzer() -> None:
    global _analyzer
    with _lock:
        _analyzer = None


@cache
def plain_analyzer() -> Analyzer:
    """jieba with its stock dictionary only, HMM on like ``jieba.lcut`` (the evaluation baseline:
    the pure-Python original, whatever our own analyzer uses)."""
    return Analyzer(hmm=True, segmenter="jieba")


_pool_fn = None


def _pool_call(item):
    return _pool_fn(item)


def parallel_imap(fn, items: list, *, processes: int | None = None, chunksize: int = 64):
    """``fn(x) for x in items`` in order, computed by forked worker processes (jieba-rs holds no
    Python lock, but our pipeline around it is Python: one core each) and yielded as they come,
    so the caller (tantivy's writer) works while the workers go on. ``fn`` and whatever it
    closes over (the analyzer) are inherited by fork, not pickled. Small inputs, one process or
    no fork support run inline."""
    import multiprocessing as mp

    global _pool_fn
    processes = processes or min(2, os.cpu_count() or 1)
    if processes <= 1 or len(items) < 4 * chunksize or "fork" not in mp.get_all_start_methods():
        yield from (fn(x) for x in items)
        return
    _pool_fn = fn
    pool = mp.get_context("fork").Pool(processes, initializer=_default_sigterm)
    finished = False
    try:
        yield from pool.imap(_pool_call, items, chunksize=chunksize)
        finished = True
    finally:
        # Done: let the workers take their stop sentinel and exit. Abandoned half-way: kill
        # them. (Pool's context manager always terminates: a worker killed while holding the
        # task queue's lock left the other blocked on it for good, when it ignored SIGTERM.)
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()
        _pool_fn = None


def _default_sigterm():
    """Workers die on SIGTERM whatever handler the forking process had installed (a server's,
    a test runner's): ``Pool.terminate`` relies on it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def parallel_map(fn, items: list, *, processes: int | None = None, chunksize: int = 64) -> list:
    """``[fn(x) for x in items]`` over forked worker processes (see :func:`parallel_imap`)."""
    return list(parallel_imap(fn, items, processes=processes, chunksize=chunksize))
