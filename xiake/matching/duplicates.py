"""Near-duplicate achievements and demands (the same patent listed by two offices).

Candidates come from the search index itself (the record's own title and text as the query, the
same kind only, so it costs one search), plus, for achievements, every record sharing an IP
number. Each candidate is then compared with the record on its whole text: the Jaccard
similarity of their sets of character shingles (CJK bigrams and ASCII runs, after the same
normalisation as the index), which is insensitive to word order, segmentation and small edits
but low for two different results on the same topic. A shared patent number counts as a
duplicate whatever the wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from xiake.matching.feed import kind_of
from xiake.matching.text import char_grams, normalize

# Measured on crafted pairs (tests/matching/test_duplicates.py): a copy with rewording and a
# changed sentence scores 0.6–0.9; distinct results on the same topic 0.1–0.35.
THRESHOLD = 0.55
CANDIDATES = 20
KINDS = ("achievement", "demand")
TEXT_FIELDS = {
    "achievement": ("title", "keywords", "summary", "technical_indicators", "application_fields"),
    "demand": ("title", "keywords", "description", "technical_indicators"),
}


@dataclass
class Duplicate:
    obj: object
    similarity: float  # 0–1 (1.0 when an IP number is shared)
    shared_ip: list[str]


def record_text(kind: str, obj) -> str:
    return "\n".join(str(getattr(obj, f, "") or "") for f in TEXT_FIELDS[kind])


# the same candidates come back for many pending records of one queue or import
@lru_cache(maxsize=4096)
def shingles(text: str) -> frozenset[str]:
    return frozenset(char_grams(normalize(text), normalized=True))


def similarity(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def ip_numbers_of(raw: str) -> set[str]:
    """Normalised patent/registration numbers: ``ZL 2019 1012 3456.7`` → ``zl201910123456.7``.
    Numbers are separated by commas, semicolons or 、; spaces inside one number are dropped."""
    parts = re.split(r"[,，;；、\n]+", normalize(raw or ""))
    return {n for n in (p.replace(" ", "").strip() for p in parts) if len(n) >= 6}


def ip_numbers(obj) -> set[str]:
    return ip_numbers_of(getattr(obj, "ip_numbers", "") or "")


def build_ip_index(queryset) -> dict[str, set[int]]:
    """Normalised IP number → pks of the records in ``queryset`` that list it."""
    index: dict[str, set[int]] = {}
    if not any(f.name == "ip_numbers" for f in queryset.model._meta.fields):
        return index
    for pk, raw in queryset.exclude(ip_numbers="").values_list("pk", "ip_numbers"):
        for number in ip_numbers_of(raw):
            index.setdefault(number, set()).add(pk)
    return index


def _compared_fields(model) -> tuple[str, ...]:
    kind = kind_of(model)
    has_ip = any(f.name == "ip_numbers" for f in model._meta.fields)
    return TEXT_FIELDS[kind] + (("ip_numbers",) if has_ip else ())


def near_duplicates(
    user, obj, *, threshold: float = THRESHOLD, limit: int = 5, ip_index=None
) -> list[Duplicate]:
    """Other records of the same kind that ``user`` may view and that look like copies of
    ``obj``, most similar first. Empty for kinds other than achievements and demands."""
    from xiake.matching import api

    kind = kind_of(type(obj))
    if kind not in KINDS:
        return []
    text = record_text(kind, obj)
    mine = shingles(text)
    model = type(obj)
    visible = model.objects.restrict(user, "view").exclude(pk=obj.pk)
    pks: list[int] = []
    numbers = ip_numbers(obj)
    if numbers:
        # numbers are written with and without spaces (ZL 2019 1…): compare them normalised
        index = ip_index if ip_index is not None else build_ip_index(visible)
        pks = sorted({pk for n in numbers for pk in index.get(n, ()) if pk != obj.pk})[:CANDIDATES]
    try:
        found = api.candidates(user, text, kind, limit=CANDIDATES)
    except api.QueryError:  # pragma: no cover - kind is known
        found = []
    pks += [pk for _kind, pk in found if pk != obj.pk and pk not in pks]
    # compare on the texts alone; instances only for the few that turn out to be copies
    scores = {}
    for pk, *values in visible.filter(pk__in=pks).values_list("pk", *_compared_fields(model)):
        other = dict(zip(_compared_fields(model), values, strict=True))
        shared = sorted(numbers & ip_numbers_of(other.pop("ip_numbers", "")))
        text_of_other = "\n".join(str(other.get(f) or "") for f in TEXT_FIELDS[kind])
        score = 1.0 if shared else similarity(mine, shingles(text_of_other))
        if score >= threshold:
            scores[pk] = (round(score, 3), shared)
    out = [
        Duplicate(other, *scores[other.pk])
        for other in visible.filter(pk__in=list(scores)).select_related("owner_org")
    ]
    out.sort(key=lambda d: -d.similarity)
    return out[:limit]


# The review queue compares up to 200 pending records at a time (≈ 15 ms of CPU each); a
# record's comparison is kept this long, keyed by its last change, so reopening the queue is a
# cache read. A copy imported since may therefore show on the older record up to this much later
# (it is flagged on its own page and at import at once).
QUEUE_CACHE_SECONDS = 600


def review_queue(user, *, limit: int = 200) -> list[tuple[str, object, list[Duplicate]]]:
    """The bureau's view: records awaiting review (newest first, at most ``limit`` per kind)
    that have near-duplicates among the records the user may view."""
    from django.core.cache import cache

    from xiake.core.review import ReviewStatus
    from xiake.core.roles import role_of
    from xiake.matching.documents import model_of

    rows = []
    for kind in KINDS:
        model = model_of(kind)
        pending = list(
            model.objects.restrict(user, "view")
            .filter(status=ReviewStatus.PENDING)
            .select_related("owner_org")
            .order_by("-updated_at", "-pk")[:limit]
        )
        scope = f"{role_of(user)}:{getattr(user, 'organization_id', '')}"
        keys = {
            obj.pk: f"matching:dups:{kind}:{obj.pk}:{obj.updated_at.timestamp()}:{scope}"
            for obj in pending
        }
        known = cache.get_many(list(keys.values()))
        ip_index = None
        found: dict[int, list[tuple[int, float, list[str]]]] = {}
        for obj in pending:
            if keys[obj.pk] in known:
                found[obj.pk] = known[keys[obj.pk]]
                continue
            if ip_index is None:
                ip_index = build_ip_index(model.objects.restrict(user, "view"))
            dups = near_duplicates(user, obj, ip_index=ip_index)
            found[obj.pk] = [(d.obj.pk, d.similarity, d.shared_ip) for d in dups]
            cache.set(keys[obj.pk], found[obj.pk], QUEUE_CACHE_SECONDS)
        others = model.objects.restrict(user, "view").select_related("owner_org")
        others = others.in_bulk({pk for hits in found.values() for pk, _s, _ip in hits})
        for obj in pending:
            dups = [Duplicate(others[pk], s, ip) for pk, s, ip in found[obj.pk] if pk in others]
            if dups:
                rows.append((kind, obj, dups))
    return rows


# At the import check, a text comparison costs one search per row: the first rows are compared
# on their text, every row on its IP numbers (one pass over the existing numbers).
IMPORT_TEXT_ROWS = 200


def import_notices(resource, user, rows) -> list:
    """Rows of an achievement or demand import that look like records already on the platform
    (or like an earlier row of the same file): flagged at the check step, never refused."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from xiake.core.importer import RowNotice

    model = resource.model
    kind = kind_of(model)
    if kind not in KINDS:
        return []
    visible = model.objects.restrict(user, "view")
    ip_index = build_ip_index(visible)
    detail = resource.url_name("detail")
    seen_in_file: dict[str, int] = {}
    found = []
    for position, row in enumerate(r for r in rows if r.existing_pk is None):
        obj = model(**row.values)
        numbers = ip_numbers(obj)
        for number in sorted(numbers):
            if number in seen_in_file:
                found.append(
                    RowNotice(
                        row.number,
                        _("IP number %(n)s is also listed in row %(r)d of this file")
                        % {"n": number, "r": seen_in_file[number]},
                    )
                )
            seen_in_file.setdefault(number, row.number)
        dups = (
            near_duplicates(user, obj, ip_index=ip_index)
            if position < IMPORT_TEXT_ROWS
            else _shared_ip_only(visible, numbers, ip_index)
        )
        for dup in dups:
            if dup.shared_ip:
                text = _("Lists the same IP number (%(n)s) as “%(t)s”") % {
                    "n": "、".join(dup.shared_ip),
                    "t": dup.obj,
                }
            else:
                text = _("Looks like “%(t)s” (similarity %(s)s)") % {
                    "t": dup.obj,
                    "s": f"{dup.similarity:.2f}",
                }
            found.append(RowNotice(row.number, text, reverse(detail, args=[dup.obj.pk])))
    return found


def _shared_ip_only(visible, numbers: set[str], ip_index) -> list[Duplicate]:
    pks = sorted({pk for n in numbers for pk in ip_index.get(n, ())})[:CANDIDATES]
    return [
        Duplicate(other, 1.0, sorted(numbers & ip_numbers(other)))
        for other in visible.filter(pk__in=pks)
    ]
