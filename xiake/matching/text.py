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

import logging
import re
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


def _read_list(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


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
    if simplify and _CJK.search(text):
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


class Analyzer:
    """A jieba tokenizer with its own dictionary (the process-wide jieba stays untouched)."""

    def __init__(self, extra_words=()):
        jieba.dt.initialize()  # load the stock dictionary once per process, then copy it
        self._jieba = jieba.Tokenizer()
        self._jieba.FREQ = dict(jieba.dt.FREQ)
        self._jieba.total = jieba.dt.total
        self._jieba.initialized = True
        self.extra_words = 0
        for word in extra_words:
            word = normalize(word).strip()
            if 2 <= len(word) <= 20 and _CJK.search(word) and " " not in word:
                self._jieba.add_word(word)
                self.extra_words += 1
        self.stop = stop_words()

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
                for word in self._jieba.cut(piece, HMM=True):
                    if len(word) == 2 and word.endswith("了"):
                        word = word[0]
                    out.append(word)
        return out

    def tokens(self, text, *, keep_stop: bool = False) -> list[str]:
        """Index tokens of ``text`` (already normalised or not; normalising twice is harmless)."""
        words = self._segment(normalize(text))
        if keep_stop:
            return [w for w in words if _HAS_WORD.search(w)]
        return [w for w in words if w not in self.stop and _HAS_WORD.search(w)]

    def query_terms(self, text, *, synonyms: bool = True) -> dict[str, float]:
        """Distinct query terms with weights: 1.0 for what was typed, 0.4 for synonyms."""
        weights: dict[str, float] = {}
        for w in self.tokens(text):
            weights[w] = 1.0
        if synonyms:
            table = synonym_groups()
            for w in list(weights):
                for s in table.get(w, ()):
                    for t in self.tokens(s):
                        weights.setdefault(t, 0.4)
        return weights


def char_grams(text) -> list[str]:
    """Overlapping CJK character bigrams (single characters for one-character runs) and ASCII runs."""
    text = normalize(text)
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
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
    """jieba with its stock dictionary only (the evaluation baseline)."""
    return Analyzer()
