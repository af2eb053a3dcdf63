"""Public API of the taxonomy app. Other apps call these functions (and point FKs at ``Term``).

Scheme codes: gbt4754, gbt13745, sei2018, hightech8, chain, trl, stage, coop_mode, ip_type,
achievement_type, demand_type, platform_type, platform_level, and ipc once loaded from a file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from django.core.cache import cache
from django.db.models import QuerySet

from xiake.taxonomy.models import Scheme, Term
from xiake.taxonomy.text import fold

__all__ = [
    "ResolveError",
    "Resolver",
    "SchemeNotFound",
    "current_scheme",
    "domain_vocabulary",
    "resolve",
    "term_choices",
    "terms",
    "terms_by_id",
]


class SchemeNotFound(LookupError):
    """No current version of the requested scheme code exists."""

    def __init__(self, code: str):
        known = ", ".join(sorted(set(Scheme.objects.values_list("code", flat=True)))) or "none"
        super().__init__(
            f"No current taxonomy scheme {code!r} (known codes: {known}). "
            "Run `xiake migrate` or `xiake load_taxonomy --builtin`, "
            "or load it with `xiake load_taxonomy --scheme … --file …`."
        )
        self.code = code


class ResolveError(ValueError):
    """A value does not name exactly one term; the message says why and lists valid values."""


def current_scheme(code: str) -> Scheme:
    """The current version of scheme ``code``; raises :class:`SchemeNotFound` if there is none."""
    try:
        return Scheme.objects.get(code=code, is_current=True)
    except Scheme.DoesNotExist:
        raise SchemeNotFound(code) from None


def terms(code: str, level: int | None = None) -> QuerySet[Term]:
    """Active terms of the current version of ``code``, ordered by sort_order, code.

    Raises :class:`SchemeNotFound` when the scheme has no current version.
    """
    qs = Term.objects.filter(scheme=current_scheme(code), is_active=True)
    if level is not None:
        qs = qs.filter(level=level)
    return qs.order_by("sort_order", "code")


def term_choices(code: str, level: int | None = None, *, key: str = "code") -> list[tuple]:
    """``[(term.code, term.label), …]`` for a ChoiceField or a django-filter ChoiceFilter.

    The label is ``"C 制造业"``, or just the name for slug codes (``early`` → ``初期…``).

    ``key="pk"`` gives primary keys instead of codes (for filters on a ``Term`` foreign key). Pass
    ``functools.partial(term_choices, "gbt4754", 1)`` as ``choices`` to evaluate it lazily.
    """
    if key not in ("code", "pk"):
        raise ValueError("key must be 'code' or 'pk'")
    cache_key = (code, level, key)
    generation = cache.get(GENERATION_KEY, 0)
    hit = _choices_cache.get(cache_key)
    if hit and hit[0] == generation and time.monotonic() - hit[1] < CHOICES_TTL:
        return hit[2]
    choices = [(getattr(t, key), t.label) for t in terms(code, level).only("pk", "code", "name")]
    _choices_cache[cache_key] = (generation, time.monotonic(), choices)
    return choices


def terms_by_id(ids) -> dict[int, Term]:
    """``{pk: Term}`` for ``ids`` (unknown ids left out), kept per process like the choices.

    Search result cards name the same few hundred industries and disciplines page after page;
    joining and building them for every card cost a quarter of an API search. The instances are
    shared between requests, so callers must only read them.
    """
    generation = cache.get(GENERATION_KEY, 0)
    global _terms_stamp
    if _terms_stamp[0] != generation or time.monotonic() - _terms_stamp[1] >= CHOICES_TTL:
        _terms_by_id.clear()
        _terms_stamp = (generation, time.monotonic())
    ids = [pk for pk in ids if pk is not None]
    missing = {pk for pk in ids if pk not in _terms_by_id}
    fetched = Term.objects.in_bulk(missing) if missing else {}
    if len(_terms_by_id) > 50_000:  # bounded: a whole IPC scheme at most
        _terms_by_id.clear()
    _terms_by_id.update(fetched)
    # .get: another thread may clear the dict between the check and the read
    found = ((pk, fetched.get(pk) or _terms_by_id.get(pk)) for pk in ids)
    return {pk: term for pk, term in found if term is not None}


def subtree_ids(code: str, value: str) -> list[int]:
    """Ids of the current term coded ``value`` and all its descendants (cached like the choices).

    Filters use it so that ``industry=C`` finds records classed under 33 or 3311, with an index
    lookup on the foreign key instead of joins through the hierarchy.
    """
    generation = cache.get(GENERATION_KEY, 0)
    hit = _tree_cache.get(code)
    if not (hit and hit[0] == generation and time.monotonic() - hit[1] < CHOICES_TTL):
        by_code, children = {}, {}
        rows = Term.objects.filter(scheme=current_scheme(code)).values_list("pk", "code", "parent")
        for pk, term_code, parent in rows:
            by_code[term_code] = pk
            children.setdefault(parent, []).append(pk)
        hit = (generation, time.monotonic(), by_code, children)
        _tree_cache[code] = hit
    _, _, by_code, children = hit
    root = by_code.get(value)
    if root is None:
        return []
    ids, stack = [], [root]
    while stack:
        pk = stack.pop()
        ids.append(pk)
        stack.extend(children.get(pk, ()))
    return ids


# Every list page offers a dozen classification filters; their choices are kept per process and
# dropped when a scheme or term changes (the generation lives in the shared cache) or after a minute.
GENERATION_KEY = "taxonomy:generation"
CHOICES_TTL = 60.0
_choices_cache: dict[tuple, tuple] = {}
_tree_cache: dict[str, tuple] = {}
_terms_by_id: dict[int, Term] = {}
_terms_stamp: tuple = (None, 0.0)


def invalidate_choices(**kwargs) -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)
    _choices_cache.clear()
    _tree_cache.clear()
    _terms_by_id.clear()


def resolve(code: str, value) -> Term | None:
    """The term of the current version of ``code`` named by ``value``, or None.

    ``value`` may be the term code (``"C"``, ``"33"``, ``"520"``), its exact Chinese name, or
    ``"code name"`` (``"C 制造业"``, ``"520 计算机科学技术"``); NFKC, case and spaces are folded.
    For many values use :class:`Resolver`, which loads the scheme once.
    """
    return Resolver(code).resolve(value)


_CODE_PREFIX = re.compile(r"^([0-9A-Za-z][0-9A-Za-z./_-]*)[\s:：、,，.\-]*(\S.*)$")


class Resolver:
    """Resolves many values against one scheme version with dictionary look-ups (one query).

    Made for spreadsheet import: ``r = Resolver("gbt4754")`` then ``r.resolve(cell)`` per row.
    ``lookup()`` raises :class:`ResolveError` with a reason instead of returning None.
    A name shared by several terms resolves only when they form one line of descent (GB/T 4754
    ``K 房地产业`` / ``70 房地产业``): the most general one wins; otherwise it is ambiguous.
    """

    def __init__(self, code: str, *, version: str | None = None, include_inactive: bool = False):
        self.code = code
        qs = Term.objects.filter(scheme__code=code)
        qs = qs.filter(scheme__version=version) if version else qs.filter(scheme__is_current=True)
        if not include_inactive:
            qs = qs.filter(is_active=True)
        fields = ("pk", "code", "name", "name_en", "parent_id", "level", "sort_order", "is_active")
        loaded = list(qs.only(*fields).order_by("sort_order", "code"))
        if not loaded:
            schemes = Scheme.objects.filter(code=code)
            schemes = (
                schemes.filter(version=version) if version else schemes.filter(is_current=True)
            )
            if not schemes.exists():
                raise SchemeNotFound(f"{code} {version}" if version else code)
        self.terms: list[Term] = loaded
        self._parent = {t.pk: t.parent_id for t in loaded}
        self._by_code: dict[str, Term] = {}
        self._by_name: dict[str, list[Term]] = {}
        for t in loaded:
            self._by_code[fold(t.code)] = t
            self._by_name.setdefault(fold(t.name), []).append(t)
        for t in loaded:  # English names only where they do not clash with a Chinese one
            if t.name_en:
                key = fold(t.name_en)
                if key not in self._by_name:
                    self._by_name.setdefault("en:" + key, []).append(t)

    def __len__(self) -> int:
        return len(self.terms)

    def resolve(self, value) -> Term | None:
        """The term named by ``value``, or None when it is unknown, ambiguous or contradictory."""
        try:
            return self.lookup(value)
        except ResolveError:
            return None

    def lookup(self, value) -> Term:
        """Like :meth:`resolve` but raises :class:`ResolveError` explaining the failure."""
        if value is None:
            raise ResolveError(f"empty value; expected e.g. {self.choices_hint()}")
        if isinstance(value, Term):
            value = value.code
        if isinstance(value, float) and value.is_integer():  # spreadsheet cells: 33.0 → "33"
            value = int(value)
        text = str(value).strip()
        key = fold(text)
        if not key:
            raise ResolveError(f"empty value; expected e.g. {self.choices_hint()}")
        term = self._by_code.get(key)
        if term is not None:
            return term
        term = self._by_names(key)
        if term is not None:
            return term
        conflict = None
        for code_part, name_part in self._splits(text):
            term = self._by_code.get(fold(code_part))
            if term is None:
                continue
            named = self._by_name.get(fold(name_part), []) + self._by_name.get(
                "en:" + fold(name_part), []
            )
            if term in named:
                return term
            conflict = conflict or f"{text!r}: code {term.code} is {term.name!r}, not {name_part!r}"
        if conflict:
            raise ResolveError(conflict)
        candidates = self._by_name.get(key, [])
        if len(candidates) > 1:
            raise ResolveError(
                f"{text!r} is ambiguous: " + ", ".join(t.label for t in candidates[:5])
            )
        raise ResolveError(
            f"{text!r} is not a {self.code} term; expected e.g. {self.choices_hint()}"
        )

    def _by_names(self, key: str) -> Term | None:
        candidates = self._by_name.get(key) or self._by_name.get("en:" + key)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        ordered = sorted(candidates, key=lambda t: t.level)
        for upper, lower in zip(ordered, ordered[1:], strict=False):
            if not self._is_ancestor(upper.pk, lower.pk):
                return None
        return ordered[0]

    def _is_ancestor(self, ancestor: int, pk: int) -> bool:
        seen = 0
        pk = self._parent.get(pk)
        while pk is not None and seen < 64:
            if pk == ancestor:
                return True
            pk = self._parent.get(pk)
            seen += 1
        return False

    @staticmethod
    def _splits(text: str) -> Iterator[tuple[str, str]]:
        """Candidate (code, name) pairs: at each space, and an ASCII code glued to a name."""
        for i, ch in enumerate(text):
            if ch.isspace():
                left, right = text[:i].strip(), text[i:].strip()
                if left and right:
                    yield left, right
        m = _CODE_PREFIX.match(fold(text))
        if m:
            yield m.group(1), m.group(2)

    def choices_hint(self, limit: int = 5) -> str:
        """A few valid values for error messages: ``"A 农、林、牧、渔业", … (117 in all)``."""
        shown = [f'"{t.label}"' for t in self.terms[:limit]]
        more = f" … ({len(self.terms)} in all)" if len(self.terms) > limit else ""
        return ", ".join(shown) + more if shown else "(no terms)"


_PHRASE_SPLIT = re.compile(r"[，,。；;：:、（）()《》“”\"'\s/～~]+")
_PHRASE_PREFIX = re.compile(r"^(?:指|包括|包含|含|如|即|主要|其他|以及|及|和|或|等)+")
_PHRASE_SUFFIX = re.compile(r"(?:等|的|活动)+$")
_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")


def domain_vocabulary(max_phrase: int = 8) -> Iterator[str]:
    """Chinese words for a jieba user dictionary: term names and short phrases from notes.

    Yields each string once, from the current version of every scheme. Long names are split at
    Chinese list punctuation (IPC titles are ``；``-separated lists); notes contribute only short
    all-Chinese fragments (``稻谷``, ``小麦`` …), which is where domain words hide.
    """
    seen: set[str] = set()
    rows = Term.objects.filter(scheme__is_current=True, is_active=True).values_list("name", "note")
    for name, note in rows.iterator(chunk_size=5000):
        for piece in [name, *_PHRASE_SPLIT.split(name)] if len(name) > 2 else [name]:
            piece = piece.strip()
            if 2 <= len(piece) <= 30 and piece not in seen:
                seen.add(piece)
                yield piece
        if not note:
            continue
        for piece in _PHRASE_SPLIT.split(note):
            piece = _PHRASE_SUFFIX.sub("", _PHRASE_PREFIX.sub("", piece))
            if 2 <= len(piece) <= max_phrase and _CJK_ONLY.match(piece) and piece not in seen:
                seen.add(piece)
                yield piece
