"""Who is subscribed to a record, and the daily/weekly digests (``xiake send_digests``).

A record fits a subscription when its industry (achievement, demand) or discipline (achievement)
is the subscribed term or lies below it, or when the keyword occurs in its title, keywords or text.
Digests hold what was published since the user's previous digest of that period (first one: since
the subscription), only records the user may view; one per user and day (daily) or ISO week
(weekly), whatever how often the command runs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiake.brokerage.models import Digest, Frequency, Subscription, notify_ids
from xiake.taxonomy.models import Term

# kind → (field holding an industry term, field holding a discipline term, text fields)
KINDS = {
    "achievement": ("industry_id", "discipline_id", ("title", "keywords", "summary")),
    "demand": ("industry_id", None, ("title", "keywords", "description")),
}


def _model(kind):
    from xiake.catalog.models import Achievement, Demand

    return {"achievement": Achievement, "demand": Demand}[kind]


def _with_ancestors(term_id, cache: dict) -> set[int]:
    """The term and every term above it (a subscription to a section covers its classes)."""
    if term_id is None:
        return set()
    if term_id not in cache:
        out, current = set(), term_id
        while current is not None and current not in out:
            out.add(current)
            current = Term.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        cache[term_id] = out
    return cache[term_id]


def _text(obj, fields) -> str:
    return " ".join(str(getattr(obj, f, "") or "") for f in fields).lower()


def subscriptions_for(obj, kind: str, subs: list[tuple], terms_cache: dict) -> set[int]:
    """Ids of the subscriptions in ``subs`` ((id, kind, term_id, keyword)) that ``obj`` fits."""
    industry_f, discipline_f, text_f = KINDS[kind]
    industries = _with_ancestors(getattr(obj, industry_f, None), terms_cache)
    disciplines = (
        _with_ancestors(getattr(obj, discipline_f), terms_cache) if discipline_f else set()
    )
    text = None
    hits = set()
    for sid, skind, term_id, keyword in subs:
        if skind == Subscription.Kind.INDUSTRY and term_id in industries:
            hits.add(sid)
        elif skind == Subscription.Kind.DISCIPLINE and term_id in disciplines:
            hits.add(sid)
        elif skind == Subscription.Kind.KEYWORD:
            text = _text(obj, text_f) if text is None else text
            if keyword and keyword in text:
                hits.add(sid)
    return hits


def matching_subscribers(obj, kind: str = "achievement", frequency: str = "instant") -> set[int]:
    """Ids of the users whose ``frequency`` subscriptions ``obj`` fits (the fan-out query).

    Term subscriptions are found by the database; keyword ones by testing each distinct keyword
    once against the record's text.
    """
    industry_f, discipline_f, text_f = KINDS[kind]
    cache: dict = {}
    industries = _with_ancestors(getattr(obj, industry_f, None), cache)
    disciplines = _with_ancestors(getattr(obj, discipline_f), cache) if discipline_f else set()
    text = _text(obj, text_f)
    base = Subscription.objects.filter(frequency=frequency)
    words = [
        w
        for w in base.filter(kind=Subscription.Kind.KEYWORD)
        .values_list("keyword", flat=True)
        .distinct()
        if w and w in text
    ]
    cond = Q(kind=Subscription.Kind.KEYWORD, keyword__in=words)
    if industries:
        cond |= Q(kind=Subscription.Kind.INDUSTRY, term_id__in=industries)
    if disciplines:
        cond |= Q(kind=Subscription.Kind.DISCIPLINE, term_id__in=disciplines)
    return set(base.filter(cond).values_list("user_id", flat=True).distinct())


def period_key(period: str, now: dt.datetime) -> str:
    local = timezone.localtime(now).date()
    if period == Frequency.DAILY:
        return f"digest:daily:{local.isoformat()}"
    year, week, _day = local.isocalendar()
    return f"digest:weekly:{year}-W{week:02d}"


def _published_between(kind, since, until):
    published_at = Q(reviewed_at__gt=since, reviewed_at__lte=until) | Q(
        reviewed_at__isnull=True, created_at__gt=since, created_at__lte=until
    )
    return _model(kind).objects.filter(published_at, status="published")


def send_digests(period: str, now: dt.datetime | None = None) -> dict:
    """Build and send the ``period`` digests due at ``now``; running it again sends nothing new."""
    if period not in (Frequency.DAILY, Frequency.WEEKLY):
        raise ValueError(f"unknown period {period!r}")
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    key = period_key(period, now)
    counts = {"users": 0, "digests": 0, "empty": 0, "already sent": 0}
    subs_by_user: dict[int, list[tuple]] = defaultdict(list)
    first_sub: dict[int, dt.datetime] = {}
    for sid, user_id, kind, term_id, keyword, created in Subscription.objects.filter(
        frequency=period, user__is_active=True
    ).values_list("pk", "user_id", "kind", "term_id", "keyword", "created_at"):
        subs_by_user[user_id].append((sid, kind, term_id, keyword))
        first_sub[user_id] = min(created, first_sub.get(user_id, created))
    done = set(
        Digest.objects.filter(key=key, user_id__in=list(subs_by_user)).values_list(
            "user_id", flat=True
        )
    )
    last = dict(
        Digest.objects.filter(period=period, user_id__in=list(subs_by_user))
        .order_by("user_id", "until")
        .values_list("user_id", "until")
    )  # the latest wins
    since_of = {u: last.get(u, first_sub[u]) for u in subs_by_user}
    earliest = min(since_of.values(), default=now)
    # Candidates: everything published in the widest window, fitted once per record.
    cache: dict = {}
    all_subs = [s for subs in subs_by_user.values() for s in subs]
    candidates = []  # (kind, obj, published_at, subscription ids)
    for kind in KINDS:
        for obj in _published_between(kind, earliest, now).order_by("pk"):
            hits = subscriptions_for(obj, kind, all_subs, cache)
            if hits:
                candidates.append((kind, obj, obj.reviewed_at or obj.created_at, hits))
    users = get_user_model().objects.in_bulk(list(subs_by_user))
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, subs in subs_by_user.items():
            counts["users"] += 1
            if user_id in done:
                counts["already sent"] += 1
                continue
            since = since_of[user_id]
            mine = {s[0] for s in subs}
            fits = [(k, o) for k, o, at, hits in candidates if at > since and hits & mine]
            visible = []
            for kind in KINDS:
                ids = [o.pk for k, o in fits if k == kind]
                if ids:
                    allowed = set(
                        _model(kind)
                        .objects.restrict(users[user_id], "view")
                        .filter(pk__in=ids)
                        .values_list("pk", flat=True)
                    )
                    visible += [(k, o) for k, o in fits if k == kind and o.pk in allowed]
            try:
                with transaction.atomic():
                    Digest.objects.create(
                        user_id=user_id,
                        period=period,
                        key=key,
                        since=since,
                        until=now,
                        items=len(visible),
                    )
                    if visible:
                        lines = [
                            f"{'【成果】' if k == 'achievement' else '【需求】'}{o} "
                            f"{o.get_absolute_url()}"
                            for k, o in visible
                        ]
                        notify_ids(
                            [user_id],
                            key,
                            _("%(period)s: %(n)d new records for your subscriptions")
                            % {"period": Frequency(period).label, "n": len(visible)},
                            body="\n".join(lines),
                            url="/subscriptions/",
                            email=True,
                        )
            except IntegrityError:  # another run got there first
                counts["already sent"] += 1
                continue
            counts["digests" if visible else "empty"] += 1
    if counts["digests"]:
        from xiake.brokerage import tasks

        tasks.enqueue(tasks.send_emails, key)
    return counts
