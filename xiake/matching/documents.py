"""How catalogue records become index documents: which text goes into which weighted field."""

from __future__ import annotations

from django.apps import apps

from xiake.core.review import ReviewStatus
from xiake.matching.feed import KINDS
from xiake.matching.text import analyzer, char_grams

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
        "tags": ("industry.name", "demand_type.name"),
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
}

SELECT = {
    "achievement": ("industry", "discipline", "emerging_industry"),
    "demand": ("industry", "demand_type"),
    "expert": (),
    "platform": ("industry", "discipline", "platform_type"),
}
PREFETCH = {"expert": ("achievements", "disciplines")}


def model_of(kind: str):
    return apps.get_model(KINDS[kind])


def queryset(kind: str):
    qs = model_of(kind)._default_manager.all()
    if SELECT.get(kind):
        qs = qs.select_related(*SELECT[kind])
    if PREFETCH.get(kind):
        qs = qs.prefetch_related(*PREFETCH[kind])
    return qs


def _value(obj, path: str) -> str:
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
    return getattr(obj, "status", None) == ReviewStatus.PUBLISHED and not getattr(
        obj, "is_confidential", False
    )


def to_document(kind: str, obj) -> dict:
    texts = field_texts(kind, obj)
    a = analyzer()
    doc = {"key": f"{kind}:{obj.pk}", "kind": kind, "pk": obj.pk, "public": is_public(obj)}
    for field, text in texts.items():
        doc[field] = a.tokens(text)
    doc["grams"] = char_grams("\n".join(texts.values()))
    return doc


def passage_text(kind: str, obj) -> str:
    """What the dense encoder reads of a record: title, keywords, then body and indicators."""
    texts = field_texts(kind, obj)
    return "\n".join(
        texts[f] for f in ("title", "keywords", "body", "indicators") if texts.get(f)
    ).strip()
