"""How catalogue records become index documents: which text goes into which weighted field."""

from __future__ import annotations

import threading

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from xiake.core.review import ReviewStatus
from xiake.matching import enterprises, ranker
from xiake.matching.feed import KINDS
from xiake.matching.feed import kind_of as kind_of_model
from xiake.matching.text import (
    analyzer,
    char_grams,
    first_sentence,
    normalize,
    parallel_imap,
)

# kind → field → model attributes joined into that field's text.
FIELD_SOURCES = {
    "achievement": {
        "title": ("title",),
        "keywords": ("keywords",),
        "body": ("summary", "application_fields"),
        "indicators": ("technical_indicators",),
        "tags": ("industry.name", "discipline.name", "emerging_industry.name"),
    },
    "demand": {
        "title": ("title",),
        "keywords": ("keywords",),
        "body": ("description",),
        "indicators": ("technical_indicators",),
        "tags": ("industry.name", "discipline.name", "demand_type.name"),
    },
    "expert": {
        "title": ("name",),
        "keywords": ("research_fields",),
        # the expert's fingerprint: what they wrote about themselves and their achievements' titles
        "body": ("bio", "achievement_titles"),
        "indicators": (),
        "tags": ("discipline_names",),
    },
    "platform": {
        "title": ("name",),
        "keywords": (),
        "body": ("services",),
        "indicators": ("equipment",),
        "tags": ("industry.name", "discipline.name", "platform_type.name"),
    },
    # an enterprise's profile: what it says of itself and what its public demands asked for
    # (enterprises.SOURCES): their keywords weigh as keywords, their titles and indicators as body
    "enterprise": {
        "title": ("name", "short_name"),
        "keywords": ("demand_keywords",),
        "body": ("description", "demand_titles", "demand_indicators"),
        "indicators": (),
        "tags": ("industry_names",),
    },
}

SELECT = {
    "achievement": ("industry", "discipline", "emerging_industry"),
    "demand": ("industry", "discipline", "demand_type"),
    "expert": (),
    "platform": ("industry", "discipline", "platform_type"),
    "enterprise": (),
}
PREFETCH = {"expert": ("achievements", "disciplines")}
# What recommend's structured signals read beyond the row (``api.signals_for``: TRL, cooperation
# modes), loaded with the candidates instead of one query per candidate.
SIGNAL_SELECT = {"achievement": ("trl",)}
SIGNAL_PREFETCH = {"achievement": ("cooperation_modes",), "demand": ("cooperation_modes",)}

# The owner shown on a result card (its name); the rest of the organisation row is not read.
CARD_OWNER = ("owner_org", "owner_org__name")

# Kinds whose records are not owned by an organisation: they are one (an enterprise).
UNOWNED = frozenset({"enterprise"})

# Labels of the kinds whose model's name does not say it (an enterprise is an Organization).
LABELS = {"enterprise": (_("enterprise"), _("enterprises"))}


def label(kind: str, plural: bool = False):
    """What a kind is called in the interface (search types, facets, tabs)."""
    if kind in LABELS:
        return LABELS[kind][1 if plural else 0]
    meta = model_of(kind)._meta
    return meta.verbose_name_plural if plural else meta.verbose_name


def has_owner(kind: str) -> bool:
    return kind not in UNOWNED


def card_fields(kind: str) -> tuple[str, ...]:
    """The columns a search result card and its explanation read (``QuerySet.only``): the text
    sources of :data:`FIELD_SOURCES` and the relations they pass through (loaded whole by
    ``select_related``), the owner's name. Contact columns are left out: decrypting them cost
    more than anything else of the fetch. Any other attribute still loads on first access."""
    out = dict.fromkeys(("pk", *(CARD_OWNER if has_owner(kind) else ()), *SELECT[kind]))
    concrete = {f.name for f in model_of(kind)._meta.concrete_fields}
    for paths in FIELD_SOURCES[kind].values():
        for path in paths:
            name = path.split(".", 1)[0]
            if name in concrete:
                out.setdefault(name)
    return tuple(out)


def prefetches(kind: str, *, card: bool = False) -> list:
    """``prefetch_related`` arguments for ``kind``; for a card, an expert's achievements carry
    only their titles (the expert's text lists them)."""
    names = PREFETCH.get(kind, ())
    if not card:
        return list(names)
    from django.db.models import Prefetch

    out = []
    for name in names:
        if kind == "expert" and name == "achievements":
            out.append(Prefetch(name, queryset=model_of("achievement").objects.only("title")))
        else:
            out.append(name)
    return out


def restricted(kind: str, user):
    """The ``kind`` records ``user`` may view: the model's policy, and for enterprises the
    matching's own rule (``enterprises.visible``: their profiles are made of demands). Search,
    recommendations and the 有用/无关 marks all ask this."""
    if kind == "enterprise":
        return enterprises.visible(user)
    return model_of(kind).objects.restrict(user, "view")


def model_of(kind: str):
    return apps.get_model(KINDS[kind])


def queryset(kind: str):
    """Every record of ``kind`` that has a document (enterprises: those with a profile)."""
    qs = enterprises.queryset() if kind == "enterprise" else model_of(kind)._default_manager.all()
    if SELECT.get(kind):
        qs = qs.select_related(*SELECT[kind])
    if PREFETCH.get(kind):
        qs = qs.prefetch_related(*PREFETCH[kind])
    return qs


def prepare(kind: str, objs) -> None:
    """Load what the texts of many ``kind`` records read beyond their rows, in one query (the
    demands of enterprises' profiles); without it each record loads its own on first use."""
    if kind == "enterprise":
        enterprises.attach(objs)


def _value(obj, path: str) -> str:
    if path in enterprises.SOURCES:
        return enterprises.SOURCES[path](obj)
    if path == "achievement_titles":
        return "；".join(a.title for a in obj.achievements.all())
    if path == "discipline_names":
        return "；".join(d.name for d in obj.disciplines.all())
    value = obj
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return str(value)


def field_texts(kind: str, obj) -> dict[str, str]:
    return {
        field: "\n".join(t for t in (_value(obj, p) for p in paths) if t)
        for field, paths in FIELD_SOURCES[kind].items()
    }


def is_public(obj) -> bool:
    if kind_of_model(type(obj)) == "enterprise":
        return enterprises.is_public(obj)
    return getattr(obj, "status", None) == ReviewStatus.PUBLISHED and not getattr(
        obj, "is_confidential", False
    )


def tokenise(texts: dict[str, str]) -> dict[str, str]:
    """Field → its tokens joined by spaces (what the index stores), plus the bigram field and,
    when the default ranker reads them, the word-pair fields of every field's text (from the same
    segmentation) and the lead (the body's first sentence); each text is normalised once. Pure:
    runs in worker processes during a rebuild, and the joined string is what travels back
    (cheap to pickle)."""
    a = analyzer()
    params = ranker.DEFAULT
    pairs, window = params.pair_weight > 0, ranker.index_window(params)
    norm = {field: normalize(text) for field, text in texts.items()}
    out, ordered, unordered = {}, [], []
    for field, text in norm.items():
        if pairs:
            tokens, more, umore = a.tokens_and_pairs(text, normalized=True, window=window)
            ordered.extend(more)
            unordered.extend(umore)
        else:
            tokens = a.tokens(text, normalized=True)
        out[field] = " ".join(tokens)
    out["grams"] = " ".join(char_grams("\n".join(norm.values()), normalized=True))
    if pairs:
        out["pairs"] = " ".join(ordered)
        out["upairs"] = " ".join(unordered)
    if params.lead_weight > 0:
        lead = first_sentence(norm.get("body", ""))
        out["lead"] = " ".join(a.tokens(lead, normalized=True))
    return out


def head(kind: str, obj) -> dict:
    return {"key": f"{kind}:{obj.pk}", "kind": kind, "pk": obj.pk, "public": is_public(obj)}


def to_document(kind: str, obj) -> dict:
    return {**head(kind, obj), **tokenise(field_texts(kind, obj))}


def to_documents(pairs: list[tuple[str, object]]):
    """Many records at once, yielded in order: texts read here, tokens made in 2 processes
    (``parallel_imap``) while the caller writes the documents already made."""
    for kind in {kind for kind, _obj in pairs}:
        prepare(kind, [obj for k, obj in pairs if k == kind])
    texts = [field_texts(kind, obj) for kind, obj in pairs]
    analyzer()  # build the dictionary before forking so the workers inherit it
    # fork only from the main thread (commands); a rebuild thread inside a server stays inline
    inline = threading.current_thread() is not threading.main_thread()
    tokens = parallel_imap(tokenise, texts, chunksize=32, processes=1 if inline else None)
    for (kind, obj), toks in zip(pairs, tokens, strict=True):
        yield {**head(kind, obj), **toks}


def passage_text(kind: str, obj) -> str:
    """What the dense encoder reads of a record: title, keywords, then body and indicators."""
    texts = field_texts(kind, obj)
    return "\n".join(
        texts[f] for f in ("title", "keywords", "body", "indicators") if texts.get(f)
    ).strip()
