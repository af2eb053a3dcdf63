"""Public interface of the matching app. Other apps call these functions, never the internals.

``search(user, q, type=None, filters=None, limit=20)`` and
``recommend(user, obj, type, limit=10)`` return :class:`Results` whose items carry the record, a
score and the reasons (matched terms highlighted, structured signals). Every result has passed
``Model.objects.restrict(user, "view")``. While the index is missing or corrupt, a rebuild is
started and search falls back to the database (substring match on the same fields).
``recommend`` weighs its signals with the newest learned weights (``weights.py``) and re-ranks by
the labels of the source's matches (``labels.py``: 有用 / 无关 marks, docking outcomes).
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Q, prefetch_related_objects
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from xiake.core.models import AuditedModel
from xiake.core.roles import is_bureau, role_of
from xiake.matching import documents, enterprises, ranker, rerankers, weights
from xiake.matching import labels as match_labels
from xiake.matching.engine import engine
from xiake.matching.feed import KINDS
from xiake.matching.text import analyzer, normalize
from xiake.taxonomy.api import terms_by_id
from xiake.taxonomy.models import Term

__all__ = [
    "KINDS",
    "MAX_QUERY_CHARS",
    "Match",
    "QueryError",
    "Results",
    "DisciplineSuggestion",
    "candidates",
    "recommend",
    "search",
    "suggest_discipline",
]

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
MAX_LIMIT = 100

# What a search without a type looks in: the libraries. Enterprises (profiles made of their
# demands) are asked for by name (type=enterprise) or recommended for an achievement.
LIBRARY_KINDS = ("achievement", "demand", "expert", "platform")

# filter name → ORM lookup per kind (values are taxonomy codes, or an organisation id for "org").
FILTERS = {
    "industry": {k: "industry__code" for k in ("achievement", "demand", "platform")},
    "discipline": {
        "achievement": "discipline__code",
        "platform": "discipline__code",
        "expert": "disciplines__code",
    },
    "trl": {"achievement": "trl__code"},
    "stage": {"achievement": "stage__code"},
    "coop_mode": {"achievement": "cooperation_modes__code", "demand": "cooperation_modes__code"},
    "org": {k: "owner_org_id" if documents.has_owner(k) else "pk" for k in KINDS},
}


class QueryError(ValueError):
    """The request cannot be answered (unknown type or filter); views answer 400."""


_urls: dict[tuple, str] = {}


def _absolute_url(obj) -> str:
    """``obj.get_absolute_url()``, remembered per (script prefix, URLconf, model, pk) when the
    model uses the pk-only URL of ``AuditedModel``: ``reverse`` cost a tenth of an API search."""
    if type(obj).get_absolute_url is not AuditedModel.get_absolute_url:
        return obj.get_absolute_url()
    key = (get_script_prefix(), get_urlconf(), type(obj), obj.pk)
    url = _urls.get(key)
    if url is None:
        if len(_urls) >= 20_000:  # bounded: a few MB at most
            _urls.clear()
        url = _urls[key] = obj.get_absolute_url()
    return url


@dataclass
class Match:
    kind: str
    obj: object
    score: float
    terms: list[str] = field(default_factory=list)
    snippet: SafeString = mark_safe("")
    signals: list[dict] = field(default_factory=list)
    # recommend only: the asking user's own mark on this match (labels.mark), and the signals'
    # unit values (weights.weigh: what fit_match_weights learns from)
    mark: str | None = None
    mark_reason: str = ""
    features: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``kind:id``, as the index and the marks name a record."""
        return f"{self.kind}:{self.obj.pk}"

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.terms:
            out.append(_("Matched terms: %(terms)s") % {"terms": "、".join(self.terms[:8])})
        out.extend(s["label"] for s in self.signals)
        return out

    def as_dict(self) -> dict:
        return {
            "type": self.kind,
            "id": self.obj.pk,
            "title": str(self.obj),
            "url": _absolute_url(self.obj),
            "score": round(self.score, 4),
            "matched_terms": self.terms,
            "highlight": str(self.snippet),
            "signals": self.signals,
            "reasons": self.reasons,
        }


class Results:
    """The matches of a page, ``fallback`` (True when the index was unavailable and the database
    was searched) and ``facets``: {facet: [{"value", "label", "count"}, …]}. ``facets`` may be
    given as a function, then it is counted on first use only: the API answers without facets,
    and counting them (a query with joins over every visible candidate) cost a fifth of a search.
    """

    def __init__(self, items: list[Match], fallback: bool = False, facets=None):
        self.items = items
        self.fallback = fallback
        self._facets = facets

    @property
    def facets(self) -> dict[str, list[dict]]:
        if callable(self._facets):
            self._facets = self._facets()
        return self._facets or {}

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def clean_query(q) -> str:
    if q is None:
        return ""
    if isinstance(q, bytes):
        q = q.decode("utf-8", "replace")
    return normalize(str(q)[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS].strip()


def _kinds(type_) -> list[str]:
    if not type_:
        return list(LIBRARY_KINDS)
    types = [type_] if isinstance(type_, str) else list(type_)
    unknown = [t for t in types if t not in KINDS]
    if unknown:
        raise QueryError(
            _("Unknown type %(type)s; use one of %(known)s.")
            % {"type": ", ".join(unknown), "known": ", ".join(KINDS)}
        )
    return types


def _apply_filters(kind, qs, filters):
    for name, value in (filters or {}).items():
        if value in (None, ""):
            continue
        if name not in FILTERS:
            raise QueryError(_("Unknown filter %(name)s.") % {"name": name})
        lookup = FILTERS[name].get(kind)
        if lookup is None:
            return qs.none()
        qs = qs.filter(**{lookup: value})
    return qs.distinct() if filters else qs


def _public_only(user) -> bool:
    return not getattr(user, "is_authenticated", False) or (
        not is_bureau(user) and role_of(user) in ("", "public", None)
    )


def _by_kind(keys) -> dict[str, list[int]]:
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, pk = key.split(":", 1)
        by_kind.setdefault(kind, []).append(int(pk))
    return by_kind


def _viewable(user, kind, pks, filters):
    """``kind`` records among ``pks`` that ``user`` may view, after ``filters``. Unordered: the
    callers put them back in rank order (the models' default ordering only cost SQL)."""
    qs = documents.restricted(kind, user).filter(pk__in=pks)
    return _apply_filters(kind, qs, filters).order_by()


def _fetch(user, keys_scores, filters, *, card=False) -> list[tuple[str, object, float]]:
    """Instances of the candidates ``user`` may view, in rank order. ``card``: only the columns
    a result card and its explanation read (``documents.card_fields``) — what search shows;
    recommendations read more (their signals) and load whole records."""
    objs = {}
    for kind, pks in _by_kind(k for k, _s in keys_scores).items():
        qs = _viewable(user, kind, pks, filters)
        # (never select_related() without names: that follows every relation)
        owner = ("owner_org",) if documents.has_owner(kind) else ()
        if card:
            # classification terms come from the process-wide cache instead of three joins
            qs = (qs.select_related(*owner) if owner else qs).only(*documents.card_fields(kind))
        else:
            select = (*documents.SELECT.get(kind, ()), *documents.SIGNAL_SELECT.get(kind, ()))
            if select:
                qs = qs.select_related(*owner, *select)
            qs = qs.prefetch_related(*documents.SIGNAL_PREFETCH.get(kind, ()))
        if documents.PREFETCH.get(kind):  # what the explanation reads (an expert's achievements)
            qs = qs.prefetch_related(*documents.prefetches(kind, card=card))
        rows = list(qs)
        if card:
            _attach_terms(kind, rows)
        documents.prepare(kind, rows)  # an enterprise's demands, for all of them at once
        for obj in rows:
            objs[f"{kind}:{obj.pk}"] = obj
    return [(k.split(":")[0], objs[k], s) for k, s in keys_scores if k in objs]


def _attach_terms(kind: str, rows: list) -> None:
    """Set the classification relations of :data:`documents.SELECT` (taxonomy terms) on
    ``rows`` from :func:`taxonomy.api.terms_by_id`, as ``select_related`` would have."""
    names = documents.SELECT.get(kind, ())
    fields = [documents.model_of(kind)._meta.get_field(name) for name in names]
    fields = [f for f in fields if f.related_model is Term]
    terms = terms_by_id({getattr(obj, f.attname) for obj in rows for f in fields})
    for obj in rows:
        for f in fields:
            f.set_cached_value(obj, terms.get(getattr(obj, f.attname)))


def _visible(user, keys_scores, filters) -> list[tuple[str, float]]:
    """The candidates ``user`` may view (after filters), in rank order: keys only (one
    unordered query per kind, no joins); the facets read their rows when asked
    (:func:`_facet_rows`)."""
    seen = set()
    for kind, pks in _by_kind(k for k, _s in keys_scores).items():
        seen.update(
            f"{kind}:{pk}"
            for pk in _viewable(user, kind, pks, filters).values_list("pk", flat=True)
        )
    return [(k, s) for k, s in keys_scores if k in seen]


def _facet_rows(user, keys, filters) -> list[dict]:
    """Light rows (type, industry, organisation) of the visible candidates ``keys``, in rank
    order, for the facets: no model instances, which cost more than the ranking itself when a
    search has 100 candidates."""
    rows = {}
    for kind, pks in _by_kind(keys).items():
        model = documents.model_of(kind)
        if not documents.has_owner(kind):  # an enterprise is its own organisation
            for pk, name in _viewable(user, kind, pks, filters).values_list("pk", "name"):
                rows[f"{kind}:{pk}"] = {
                    "kind": kind,
                    "pk": pk,
                    "owner_org_id": pk,
                    "owner_org__name": name,
                }
            continue
        cols = ["pk", "owner_org_id", "owner_org__name"]
        if any(f.name == "industry" for f in model._meta.fields):
            cols += ["industry__code", "industry__name"]
        for row in _viewable(user, kind, pks, filters).values(*cols):
            rows[f"{kind}:{row['pk']}"] = {"kind": kind, **row}
    return [rows[k] for k in keys if k in rows]


def _row_facets(rows: list[dict]) -> dict[str, list[dict]]:
    """Counts over the candidate rows: {facet: [{"value", "label", "count"}, …]} (top 10 each)."""
    counts: dict[str, Counter] = {"type": Counter(), "industry": Counter(), "org": Counter()}
    labels: dict[tuple[str, str], str] = {}
    for row in rows:
        kind = row["kind"]
        counts["type"][kind] += 1
        if ("type", kind) not in labels:  # a translated label: once per kind, not per row
            labels[("type", kind)] = str(documents.label(kind))
        if row.get("industry__code"):
            counts["industry"][row["industry__code"]] += 1
            labels[("industry", row["industry__code"])] = row["industry__name"]
        if row.get("owner_org_id"):
            org = str(row["owner_org_id"])
            counts["org"][org] += 1
            labels[("org", org)] = row["owner_org__name"]
    return {
        name: [{"value": v, "label": labels[(name, v)], "count": n} for v, n in c.most_common(10)]
        for name, c in counts.items()
    }


# The same records come back search after search; normalising their texts (NFKC, and the
# pure-Python traditional→simplified pass) was half the cost of explaining a page of results.
# Two texts a record (all fields, and body + indicators): 4,096 entries thrashed under 300
# distinct searches of 20 results on the 16k demo; 16,384 hold ~8,000 records' texts, a few tens
# of MB per worker.
_normalized = lru_cache(maxsize=16384)(normalize)


def _explain(match: Match, query_terms: dict[str, float]) -> None:
    texts = documents.field_texts(match.kind, match.obj)
    # a query term counts as matched when the normalised text contains it (what the highlight
    # marks too): re-segmenting every result's fields cost 40 % of an API search
    whole = _normalized("\n".join(texts.values()))
    match.terms = [t for t, w in sorted(query_terms.items(), key=lambda kv: -kv[1]) if t in whole]
    body = _normalized(" ".join(t for t in (texts.get("body"), texts.get("indicators")) if t))
    match.snippet = highlight(body, match.terms)


def highlight(text: str, terms: list[str], width: int = 140) -> SafeString:
    """An escaped snippet of ``text`` around the first matched term, terms wrapped in <mark>."""
    if not text:
        return mark_safe("")
    terms = sorted({t for t in terms if t}, key=len, reverse=True)[:20]
    start = 0
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms))
        m = pattern.search(text)
        if m:
            start = max(0, m.start() - width // 3)
    window = text[start : start + width]
    if not terms:
        return mark_safe(escape(window))
    parts, last = [], 0
    for m in pattern.finditer(window):
        parts.append(escape(window[last : m.start()]))
        parts.append(f"<mark>{escape(m.group())}</mark>")
        last = m.end()
    parts.append(escape(window[last:]))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)


def _facets(matches: list[Match]) -> dict[str, list[dict]]:
    """Counts over the candidate list: {facet: [{"value", "label", "count"}, …]} (top 10 each)."""
    counts: dict[str, Counter] = {"type": Counter(), "industry": Counter(), "org": Counter()}
    labels: dict[tuple[str, str], str] = {}
    for m in matches:
        counts["type"][m.kind] += 1
        labels[("type", m.kind)] = str(documents.label(m.kind))
        industry = getattr(m.obj, "industry", None)
        if industry is not None:
            counts["industry"][industry.code] += 1
            labels[("industry", industry.code)] = industry.name
        org = getattr(m.obj, "owner_org", None) if documents.has_owner(m.kind) else m.obj
        if org is not None:
            counts["org"][str(org.pk)] += 1
            labels[("org", str(org.pk))] = str(org)
    return {
        name: [{"value": v, "label": labels[(name, v)], "count": n} for v, n in c.most_common(10)]
        for name, c in counts.items()
    }


def _fallback(user, q, kinds, filters, limit) -> list[tuple[str, object, float]]:
    """Substring search in the database while the index is unavailable."""
    words = [w for w in analyzer().tokens(q)][:8] or [q]
    out = []
    for kind in kinds:
        model = documents.model_of(kind)
        concrete = {f.name for f in model._meta.concrete_fields}
        fields = [
            p for paths in documents.FIELD_SOURCES[kind].values() for p in paths if p in concrete
        ]
        cond = Q()
        for w in words:
            for f in fields:
                cond |= Q(**{f"{f}__icontains": w})
        qs = documents.restricted(kind, user).filter(cond)
        if _public_only(user) and "status" in concrete:
            qs = qs.filter(status="published")
        qs = _apply_filters(kind, qs, filters)
        out.extend((kind, obj, 0.0) for obj in qs[:limit])
    return out[:limit]


def _dense(eng, q, kinds, public_only, depth) -> list[tuple[str, float]]:
    """The dense channel's candidates, or [] (no vectors yet, no encoder, encoder failure)."""
    try:
        return eng.dense_search(q, kinds=kinds, public_only=public_only, limit=max(100, depth))
    except Exception:
        logger.exception("dense channel failed; lexical ranking only")
        return []


def _reranked(q: str, matches: list) -> list:
    """``matches`` re-ordered by the site's cross-encoder over the first of them (off unless
    ``settings.MATCHING_RERANKER``; a failing re-ranker keeps the order), scores again on the
    scale where the best is 1."""
    reranker = rerankers.configured()
    if reranker is None or len(matches) < 2:
        return matches
    by_key = {f"{m.kind}:{m.obj.pk}": m for m in matches}
    for kind in {m.kind for m in matches[: reranker.top]}:  # enterprises' demands in one query
        documents.prepare(kind, [m.obj for m in matches[: reranker.top] if m.kind == kind])
    hits = rerankers.rerank(
        reranker,
        q,
        [(key, m.score) for key, m in by_key.items()],
        lambda key: documents.passage_text(by_key[key].kind, by_key[key].obj),
    )
    best = hits[0][1] or 1.0
    for key, score in hits:
        by_key[key].score = score / best
    return [by_key[key] for key, _s in hits]


def search(user, q, type=None, filters=None, limit: int = 20) -> Results:  # noqa: A002
    """Records matching ``q`` that ``user`` may view, best first. Raises QueryError on bad input."""
    kinds = _kinds(type)
    unknown = sorted(set(filters or {}) - set(FILTERS))
    if unknown:
        raise QueryError(_("Unknown filter %(name)s.") % {"name": ", ".join(unknown)})
    limit = max(1, min(int(limit or 20), MAX_LIMIT))
    q = clean_query(q)
    if not q:
        return Results([])
    eng = engine()
    eng.refresh_on_read()
    ix = eng.lexical()
    if ix is None:
        eng.rebuild_in_background()
        rows = _fallback(user, q, kinds, filters, limit)
        matches = [Match(k, o, s) for k, o, s in rows]
        terms = analyzer().query_terms(q)
        for m in matches:
            _explain(m, terms)
        return Results(matches, fallback=True, facets=_facets(matches))
    depth = min(500, limit * 5)
    try:
        hits = ranker.rank(
            ix,
            analyzer(),
            q,
            kinds=kinds,
            public_only=_public_only(user),
            limit=depth,
            dense=_dense(eng, q, kinds, _public_only(user), depth),
        )
    except Exception:
        logger.exception("search failed; index marked for rebuild")
        eng.invalidate()
        eng.rebuild_in_background()
        return Results(
            [Match(k, o, s) for k, o, s in _fallback(user, q, kinds, filters, limit)], fallback=True
        )
    labels = discipline_labels(user, hits)  # keyed by the hits the user may view
    hits, lifts, _inference = ranker.label_rerank(hits, labels)
    if filters:
        visible = _visible(user, hits, filters)
    else:  # the labels' visibility query already answered which hits may be shown
        visible = [(k, s) for k, s in hits if k in labels]
    rows = _fetch(user, visible[:limit], filters, card=True)
    top = visible[0][1] if visible else 1.0
    matches = _reranked(q, [Match(k, o, s / top) for k, o, s in rows])
    _add_discipline_signals(matches, lifts)
    terms = analyzer().query_terms(q)
    for m in matches:
        _explain(m, terms)
    keys = [k for k, _s in visible]
    return Results(matches, facets=lambda: _row_facets(_facet_rows(user, keys, filters)))


def candidates(user, q, type, limit: int = 20) -> list[tuple[str, int]]:  # noqa: A002
    """``(kind, pk)`` of the records of one type that ``user`` may view and that match ``q``
    lexically, best first: no instances, explanations or facets, and no query encoding. For
    callers that only compare candidates themselves (duplicate detection)."""
    kinds = _kinds(type)
    q = clean_query(q)
    if not q:
        return []
    eng = engine()
    eng.refresh_on_read()
    ix = eng.lexical()
    if ix is None:
        eng.rebuild_in_background()
        return [(k, o.pk) for k, o, _s in _fallback(user, q, kinds, None, limit)]
    hits = ranker.rank(ix, analyzer(), q, kinds=kinds, public_only=_public_only(user), limit=limit)
    return [
        (kind, int(pk)) for kind, pk in (k.split(":", 1) for k, _s in _visible(user, hits, None))
    ]


# -- recommendations ------------------------------------------------------------------------------
QUERY_FIELDS = ("title", "keywords", "body", "indicators")


def query_text(obj) -> str:
    """The text a record asks with: its title, keywords, description and indicators."""
    kind = _kind_of_obj(obj)
    texts = documents.field_texts(kind, obj)
    # an enterprise's name (its profile's title) says who it is, not what it needs
    fields = QUERY_FIELDS[1:] if kind == "enterprise" else QUERY_FIELDS
    return "\n".join(texts[f] for f in fields if texts.get(f))


def _kind_of_obj(obj) -> str:
    from xiake.matching.feed import kind_of

    kind = kind_of(type(obj))
    if kind is None:
        raise QueryError(_("This kind of record has no matches."))
    return kind


def _codes(obj, name) -> set[str]:
    manager = getattr(obj, name, None)
    if manager is None:
        return set()
    return {t.code for t in manager.all()}


# -- discipline: the agreement signal and the suggestion for a new demand ------------------------
def disciplines_of(obj) -> frozenset[int]:
    """The disciplines a record declares (term ids): an achievement's, platform's or demand's
    one (a demand's may be empty: then its discipline is inferred), an expert's several."""
    if hasattr(obj, "disciplines"):
        return frozenset(d.pk for d in obj.disciplines.all())
    pk = getattr(obj, "discipline_id", None)
    return frozenset([pk]) if pk else frozenset()


def discipline_labels(user, hits) -> dict[str, frozenset[int]]:
    """key → discipline ids of the hits ``user`` may view (an empty set for a visible record
    without one). Records the user may not view are left out, so they neither vote in the
    inference nor reveal their discipline through it."""
    by_kind: dict[str, list[int]] = {}
    for key, _score in hits:
        kind, pk = key.split(":", 1)
        by_kind.setdefault(kind, []).append(int(pk))
    out: dict[str, frozenset[int]] = {}
    for kind, pks in by_kind.items():
        model = documents.model_of(kind)
        qs = documents.restricted(kind, user).filter(pk__in=pks)
        if kind == "expert":
            found: dict[int, set] = {pk: set() for pk in qs.values_list("pk", flat=True)}
            through = model.disciplines.through.objects.filter(expert_id__in=list(found))
            for expert_id, term_id in through.values_list("expert_id", "term_id"):
                found[expert_id].add(term_id)
            out.update((f"{kind}:{pk}", frozenset(ids)) for pk, ids in found.items())
        elif any(f.name == "discipline" for f in model._meta.fields):
            out.update(
                (f"{kind}:{pk}", frozenset([d]) if d else frozenset())
                for pk, d in qs.values_list("pk", "discipline_id")
            )
        else:
            out.update((f"{kind}:{pk}", frozenset()) for pk in qs.values_list("pk", flat=True))
    return out


def _add_discipline_signals(matches: list[Match], lifts: dict) -> None:
    """Put the ranker's discipline lift among each lifted match's reasons."""
    names = terms_by_id({lift.label for lift in lifts.values()})
    for m in matches:
        lift = lifts.get(f"{m.kind}:{m.obj.pk}")
        term = names.get(lift.label) if lift else None
        if term is None:
            continue
        if lift.inferred:
            label = _("Inferred discipline: %(name)s (confidence %(confidence)s)") % {
                "name": term.name,
                "confidence": f"{lift.confidence:.2f}",
            }
        else:
            label = _("Same discipline: %(name)s") % {"name": term.name}
        m.signals.append(
            {
                "code": "discipline_inferred" if lift.inferred else "discipline",
                "weight": round(lift.weight, 4),
                "label": label,
            }
        )


@dataclass
class DisciplineSuggestion:
    discipline: object  # taxonomy term (GB/T 13745)
    share: float  # its part of the neighbours' vote, 0–1


def infer_discipline(user, text: str, *, k: int | None = None, exclude=()) -> ranker.Inference:
    """The discipline of a free text from its nearest records (achievements, experts, platforms
    ``user`` may view): the ranker's score-weighted vote of the top ``k``."""
    q = clean_query(text)
    if not q:
        return ranker.Inference()
    eng = engine()
    eng.refresh_on_read()
    ix = eng.lexical()
    if ix is None:
        return ranker.Inference()
    kinds = ["achievement", "expert", "platform"]
    k = k or ranker.DEFAULT.knn
    hits = ranker.rank(
        ix,
        analyzer(),
        q,
        kinds=kinds,
        public_only=_public_only(user),
        limit=max(3 * k, 30),
        exclude=exclude,
    )
    return ranker.infer(hits, discipline_labels(user, hits), k)


def suggest_discipline(user, obj, *, k: int | None = None) -> list[DisciplineSuggestion]:
    """Disciplines a record (a new demand) probably belongs to, best first, at most three, with
    each one's share of the vote of the records its text finds. Empty when nothing votes."""
    from xiake.taxonomy.models import Term

    kind = _kind_of_obj(obj)
    inference = infer_discipline(user, query_text(obj), k=k, exclude=[f"{kind}:{obj.pk}"])
    top = list(inference.shares.items())[:3]
    terms = Term.objects.in_bulk([label for label, _share in top])
    return [
        DisciplineSuggestion(terms[label], round(share, 2))
        for label, share in top
        if label in terms
    ]


def signals_for(source, target) -> list[dict]:
    """Structured reasons why ``target`` suits ``source``; each has a code, label and weight."""
    if _kind_of_obj(target) == "enterprise":  # its industries are its demands'
        return enterprises.signals(source, target)
    out = []
    s_ind, t_ind = getattr(source, "industry", None), getattr(target, "industry", None)
    if s_ind is not None and t_ind is not None:
        if s_ind.pk == t_ind.pk:
            out.append(
                {
                    "code": "industry",
                    "weight": 0.15,
                    "label": _("Same industry: %(name)s") % {"name": t_ind.name},
                }
            )
        elif s_ind.code[:1] == t_ind.code[:1] and s_ind.code[:1].isalpha():
            out.append(
                {
                    "code": "industry_section",
                    "weight": 0.05,
                    "label": _("Related industry: %(name)s") % {"name": t_ind.name},
                }
            )
    # discipline agreement is the ranker's signal (label_rerank): declared or inferred
    trl = getattr(target, "trl", None)
    if trl is not None and _kind_of_obj(source) == "demand":
        try:
            level = int(re.sub(r"\D", "", trl.code) or 0)
        except ValueError:
            level = 0
        if level >= 6:
            out.append(
                {
                    "code": "trl",
                    "weight": 0.1,
                    "label": _("Ready for industry (TRL %(level)s)") % {"level": level},
                }
            )
    modes = _codes(source, "cooperation_modes") & _codes(target, "cooperation_modes")
    if modes:
        out.append({"code": "coop_mode", "weight": 0.1, "label": _("Compatible cooperation mode")})
    budget, price = getattr(source, "budget", None), getattr(target, "asking_price", None)
    if budget is not None and price is not None:
        if price <= budget:
            out.append({"code": "budget", "weight": 0.1, "label": _("Asking price within budget")})
        elif price > 2 * budget:
            out.append(
                {"code": "budget", "weight": -0.1, "label": _("Asking price well above budget")}
            )
    org = getattr(target, "owner_org", None)
    if org is not None and getattr(org, "is_local", False):
        out.append({"code": "local", "weight": 0.05, "label": _("Local organisation")})
    updated = getattr(target, "updated_at", None)
    if updated and timezone.now() - updated < datetime.timedelta(days=365):
        out.append({"code": "fresh", "weight": 0.03, "label": _("Updated within a year")})
    return out


def lift_of(lifts: dict, kind: str, obj) -> float:
    lift = lifts.get(f"{kind}:{obj.pk}")
    return lift.weight if lift else 0.0


# How many of an enterprise's own records a recommendation for it leaves out, at most (each is
# a clause of the query).
MAX_OWN_EXCLUDED = 200


def _excluded(source_kind: str, obj, kinds) -> list[str]:
    """Keys of ``kinds`` never recommended for ``obj``: itself, and its own organisation's
    profile (an enterprise's achievement is not recommended to that enterprise); for an
    enterprise, its own records."""
    out = [f"{source_kind}:{obj.pk}"]
    if getattr(obj, "owner_org_id", None):
        out.append(f"enterprise:{obj.owner_org_id}")
    if source_kind == "enterprise":
        for kind in (k for k in kinds if documents.has_owner(k)):
            own = documents.model_of(kind)._default_manager.filter(owner_org_id=obj.pk)
            out += [f"{kind}:{pk}" for pk in own.values_list("pk", flat=True)[:MAX_OWN_EXCLUDED]]
    return out


@dataclass
class _Asking:
    """What ``recommend`` ranks with for one source and target type: the query, the open index,
    the ranker's arguments (kinds, visibility, the source's own records left out, the dense
    channel's candidates) and the engine (None when the index is unavailable)."""

    q: str
    source_kind: str
    eng: object = None
    ix: object = None
    args: dict = field(default_factory=dict)


def _asking(user, obj, type, limit: int) -> _Asking:  # noqa: A002
    kinds = _kinds(type)
    source_kind = _kind_of_obj(obj)
    q = clean_query(query_text(obj))
    if not q:
        return _Asking(q, source_kind)
    eng = engine()
    eng.refresh_on_read()
    ix = eng.lexical()
    if ix is None:
        eng.rebuild_in_background()
        return _Asking(q, source_kind, eng)
    excluded = _excluded(source_kind, obj, kinds)
    public_only = _public_only(user)
    dense = [
        (k, v)
        for k, v in _dense(eng, q, kinds, public_only, limit * 5 + len(excluded))
        if k not in excluded
    ]
    args = dict(
        kinds=kinds, public_only=public_only, limit=limit * 5, exclude=excluded, dense=dense
    )
    return _Asking(q, source_kind, eng, ix, args)


def text_scores(user, obj, type, keys, limit: int = MAX_LIMIT) -> dict[str, float]:  # noqa: A002
    """The text score ``recommend(user, obj, type, limit)`` gives each of ``keys`` (the fused
    lexical and dense score, 1 for its best candidate) — also for records beyond its candidates,
    which it never scores: fitting weights from labels needs them (a docking outcome may pair
    records the ranker did not find). 0 for a record the text does not match at all."""
    limit = max(1, min(int(limit or 10), MAX_LIMIT))
    asking = _asking(user, obj, type, limit)
    if asking.ix is None:
        return dict.fromkeys(keys, 0.0)
    return ranker.scores_of(
        asking.ix,
        analyzer(),
        asking.q,
        keys,
        dense_of=asking.eng.dense_similarities(asking.q, keys) if asking.args["dense"] else None,
        **asking.args,
    )


def recommend(user, obj, type, limit: int = 10) -> Results:  # noqa: A002
    """Records of ``type`` that answer ``obj`` (e.g. achievements for a demand), best first."""
    limit = max(1, min(int(limit or 10), MAX_LIMIT))
    asking = _asking(user, obj, type, limit)
    if asking.ix is None:
        return Results([], fallback=asking.eng is not None)
    q = asking.q
    hits = ranker.rank(asking.ix, analyzer(), q, **asking.args)
    source_kind = asking.source_kind
    # the source's own disciplines when it declares some, else the neighbours' vote
    hits, lifts, _inference = ranker.label_rerank(
        hits, discipline_labels(user, hits), declared=disciplines_of(obj)
    )
    rows = _fetch(user, hits, None)
    if documents.SIGNAL_PREFETCH.get(source_kind):  # read by signals_for for every candidate
        prefetch_related_objects([obj], *documents.SIGNAL_PREFETCH[source_kind])
    top = max((score - lift_of(lifts, kind, t) for kind, t, score in rows), default=1.0) or 1.0
    matches = [Match(k, t, (score - lift_of(lifts, k, t)) / top) for k, t, score in rows]
    matches = _reranked(q, matches)  # the site's cross-encoder, when it has one
    _add_discipline_signals(matches, lifts)  # one query for the disciplines' names
    learned = weights.current()  # the newest `xiake fit_match_weights`, else the hand-set ones
    for m in matches:
        m.signals += signals_for(obj, m.obj)
        weights.weigh(m, learned)
    # marks (有用 / 无关) of those who may edit ``obj`` and docking outcomes; sorts
    matches = match_labels.apply(user, obj, matches)[:limit]
    terms = analyzer().query_terms(q)
    for m in matches:
        _explain(m, terms)
    enterprises.explain(user, matches, terms)  # 曾发布相关需求: an enterprise's nearest demand
    return Results(matches)
