"""Pushed matches: what happens when a demand or an achievement is published.

A published demand gets its 推荐 list (``MatchOffer`` rows) from ``matching.api.recommend``, asked
as an anonymous visitor so that only published, non-confidential records are offered. Then:

- the enterprise's members are told that offers are waiting (key ``demand:<id>:offers``);
- the members of the organisations owning the offered achievements/experts and one technology
  manager are told about the demand (key ``demand:<id>:published``) — the owners only when the
  demand is not confidential (they could not open it);
- a published achievement tells the members of the enterprises whose published demands it fits,
  and every user subscribed to it with the "instant" frequency (key ``achievement:<id>:published``).

Keys make each (user, event) notify once: running any of this twice changes nothing. Titles are
rendered in the site language, the language the e-mails go out in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from xiake.brokerage.models import MatchOffer, Stage, notify_ids
from xiake.core.policies import ALL_MEMBER_ROLES
from xiake.core.roles import Role

OFFER_LIMITS = {"achievement": 5, "expert": 3}


class IndexUnavailable(RuntimeError):
    """matching answered from its database fallback (index missing, locked by a rebuild or
    corrupt): recommendations would be empty, so nothing is stored and the push is retried."""


def _recommend(user, obj, kind, limit):
    from xiake.matching import api as matching

    results = matching.recommend(user, obj, kind, limit=limit)
    if results.fallback:
        raise IndexUnavailable(f"no index to recommend {kind} for {obj._meta.label} {obj.pk}")
    return results


DEMANDS_PER_ACHIEVEMENT = 10


def members_of(org_ids) -> list[int]:
    """Ids of the active users acting for these organisations."""
    org_ids = {o for o in org_ids if o is not None}
    if not org_ids:
        return []
    return list(
        get_user_model()
        .objects.filter(organization_id__in=org_ids, is_active=True, role__in=ALL_MEMBER_ROLES)
        .values_list("pk", flat=True)
    )


def pick_manager(demand) -> list[int]:
    """The demand's assigned managers, else the active manager with the fewest open cases."""
    assigned = list(demand.assigned_managers.filter(is_active=True).values_list("pk", flat=True))
    if assigned:
        return assigned
    open_cases = Count(
        "docking_cases", filter=~Q(docking_cases__stage__in=(Stage.SIGNED, Stage.TERMINATED))
    )
    manager = (
        get_user_model()
        .objects.filter(role=Role.MANAGER, is_active=True)
        .annotate(n=open_cases)
        .order_by("n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return [manager] if manager else []


def offer_matches(demand) -> list[MatchOffer]:
    """Store the demand's 推荐 list (once: an existing list is returned unchanged)."""
    existing = list(demand.match_offers.all())
    if existing:
        return existing
    offers = []
    for kind, limit in OFFER_LIMITS.items():
        results = _recommend(AnonymousUser(), demand, kind, limit)
        for rank, m in enumerate(results, 1):
            offers.append(
                MatchOffer(
                    demand=demand,
                    kind=kind,
                    rank=rank,
                    score=round(float(m.score), 4),
                    reasons=[str(r) for r in m.reasons],
                    **{kind: m.obj},
                )
            )
    MatchOffer.objects.bulk_create(offers, ignore_conflicts=True)
    return list(demand.match_offers.all())


def push_demand(demand) -> dict:
    """Offers for a just-published demand, and who is told. Returns {key: new notifications}."""
    offers = offer_matches(demand)
    url = demand.get_absolute_url()
    counts = {}
    with translation.override(settings.LANGUAGE_CODE):
        enterprise = members_of([demand.owner_org_id])
        if offers:
            key = f"demand:{demand.pk}:offers"
            counts[key] = notify_ids(
                enterprise,
                key,
                _("%(n)d recommendations for your demand “%(demand)s”")
                % {"n": len(offers), "demand": demand.title},
                body="\n".join(str(o.target) for o in offers),
                url=f"{url}#offers",
                email=True,
            )
        owners = []
        if not demand.is_confidential:
            owners = members_of({o.target.owner_org_id for o in offers})
        recipients = set(owners) | set(pick_manager(demand))
        recipients -= set(enterprise)
        key = f"demand:{demand.pk}:published"
        counts[key] = notify_ids(
            recipients,
            key,
            _("A published demand fits your records: “%(demand)s”") % {"demand": demand.title},
            body=demand.description[:500],
            url=url,
            email=True,
        )
    return counts


def subscribers_for(achievement) -> set[int]:
    """Users subscribed to what ``achievement`` is about with the instant frequency."""
    from xiake.brokerage.subscriptions import matching_subscribers

    return matching_subscribers(achievement, "achievement", "instant")


def push_achievement(achievement) -> dict:
    """Tell the enterprises whose demands a just-published achievement fits, and subscribers."""
    results = _recommend(AnonymousUser(), achievement, "demand", DEMANDS_PER_ACHIEVEMENT)
    enterprises = members_of({m.obj.owner_org_id for m in results})
    recipients = set(enterprises) | subscribers_for(achievement)
    recipients -= set(members_of([achievement.owner_org_id]))
    key = f"achievement:{achievement.pk}:published"
    with translation.override(settings.LANGUAGE_CODE):
        n = notify_ids(
            recipients,
            key,
            _("New achievement published: “%(title)s”") % {"title": achievement.title},
            body=(achievement.summary or "")[:500],
            url=achievement.get_absolute_url(),
            email=True,
        )
    return {key: n}


def on_commit(func, *args) -> None:
    """Run ``func(*args)`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: func(*args), robust=True)
