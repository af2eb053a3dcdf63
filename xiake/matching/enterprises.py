"""Enterprise profiles: an enterprise as an index document, built from what it asked for.

An enterprise rarely describes itself, but its demands say what it needs. Its document (kind
``enterprise``) is its name, its own description and the titles, keywords and technical
indicators of its **public** demands (published, not confidential; the newest
:data:`PROFILE_DEMANDS`), with those demands' industries as tags — so an achievement finds the
enterprises that asked for something like it (``api.recommend(user, achievement, "enterprise")``).

Only public demands enter the profile: the document is shared by every searcher, so a draft or a
confidential demand in it would let anyone find the enterprise by that demand's words.

Who may see an enterprise among results (:func:`visible`): organisations are public
(``OrganizationPolicy``), and members of the platform (universities, institutions, enterprises,
technology managers, the bureau) see every enterprise that has a profile. Everyone else
(anonymous and public visitors, evaluators, the three administrators) sees only the enterprises
that have a demand they may view among the public ones: an enterprise shows itself to the public
as a prospective buyer by publishing a demand, not by registering. The index carries the same
rule as its ``public`` flag (an enterprise with a public demand), so an anonymous search never
even ranks the others.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from xiake.core.policies import ALL_MEMBER_ROLES
from xiake.core.review import ReviewStatus
from xiake.core.roles import is_bureau, role_of
from xiake.matching.text import normalize

# The newest public demands that make up a profile: enough to say what an enterprise works on,
# few enough that one enterprise with hundreds of demands does not become a document about
# everything (the analyzer cuts texts at 10,000 characters anyway).
PROFILE_DEMANDS = 30

PUBLIC_DEMAND = Q(status=ReviewStatus.PUBLISHED, is_confidential=False)

# The demand columns a profile reads (contacts are encrypted: never loaded here).
_DEMAND_COLUMNS = (
    "owner_org",
    "title",
    "keywords",
    "technical_indicators",
    "industry__code",
    "industry__name",
)


def _models():
    from xiake.accounts.models import Organization, OrgType
    from xiake.catalog.models import Demand

    return Organization, OrgType, Demand


def public_demands():
    _org, _type, Demand = _models()
    return Demand.objects.filter(PUBLIC_DEMAND)


def queryset():
    """Enterprises that have a profile: a public demand or a description of their own. An
    enterprise with only a name has nothing to be matched by; it is not indexed."""
    Organization, OrgType, _demand = _models()
    return Organization._default_manager.filter(org_type=OrgType.ENTERPRISE).filter(
        Q(pk__in=public_demands().values("owner_org_id")) | ~Q(description="")
    )


def attach(orgs) -> None:
    """Load the profile demands of ``orgs`` (one query) onto each as ``profile_demands``,
    newest first. What :func:`profile` reads; without it each organisation loads its own."""
    orgs = [o for o in orgs if not hasattr(o, "profile_demands")]
    if not orgs:
        return
    by_org: dict[int, list] = {o.pk: [] for o in orgs}
    rows = (
        public_demands()
        .filter(owner_org_id__in=list(by_org))
        .select_related("industry")
        .only(*_DEMAND_COLUMNS)
        .order_by("-id")
    )
    for demand in rows:
        own = by_org[demand.owner_org_id]
        if len(own) < PROFILE_DEMANDS:
            own.append(demand)
    for org in orgs:
        org.profile_demands = by_org[org.pk]


def profile(org) -> list:
    """The demands that make up ``org``'s profile, newest first."""
    if not hasattr(org, "profile_demands"):
        attach([org])
    return org.profile_demands


def industries(org) -> list:
    """The industries (taxonomy terms) of the profile's demands, most frequent first."""
    counts: dict[int, list] = {}
    for d in profile(org):
        if d.industry_id:
            counts.setdefault(d.industry_id, [d.industry, 0])[1] += 1
    return [term for term, _n in sorted(counts.values(), key=lambda tn: -tn[1])]


# Virtual text sources of the enterprise document (documents.FIELD_SOURCES).
def _join(values) -> str:
    return "；".join(v for v in values if v)


SOURCES = {
    "demand_titles": lambda org: _join(d.title for d in profile(org)),
    "demand_keywords": lambda org: _join(d.keywords for d in profile(org)),
    "demand_indicators": lambda org: "\n".join(
        d.technical_indicators for d in profile(org) if d.technical_indicators
    ),
    "industry_names": lambda org: _join(t.name for t in industries(org)),
}


def is_public(org) -> bool:
    """In public searches: once the enterprise has published a (non-confidential) demand."""
    return bool(profile(org))


def visible(user):
    """The enterprises ``user`` may see among matches (module docstring)."""
    Organization, OrgType, Demand = _models()
    qs = Organization.objects.restrict(user, "view").filter(org_type=OrgType.ENTERPRISE)
    if is_bureau(user) or (
        getattr(user, "is_authenticated", False) and role_of(user) in ALL_MEMBER_ROLES
    ):
        return qs
    shown = Demand.objects.restrict(user, "view").filter(PUBLIC_DEMAND)
    return qs.filter(pk__in=shown.values("owner_org_id"))


# -- reasons ---------------------------------------------------------------------------------------
def signals(source, org) -> list[dict]:
    """Why enterprise ``org`` may need ``source`` (an achievement): the same industry as one of
    its demands (or the same GB/T 4754 section), and being local. The codes and weights are
    those of ``api.signals_for`` for the other kinds."""
    out = []
    s_ind = getattr(source, "industry", None)
    if s_ind is not None:
        mine = industries(org)
        same = next((t for t in mine if t.pk == s_ind.pk), None)
        related = next(
            (t for t in mine if s_ind.code[:1].isalpha() and t.code[:1] == s_ind.code[:1]), None
        )
        if same is not None:
            out.append(
                {
                    "code": "industry",
                    "weight": 0.15,
                    "label": _("Same industry: %(name)s") % {"name": same.name},
                }
            )
        elif related is not None:
            out.append(
                {
                    "code": "industry_section",
                    "weight": 0.05,
                    "label": _("Related industry: %(name)s") % {"name": related.name},
                }
            )
    if org.is_local:
        out.append({"code": "local", "weight": 0.05, "label": _("Local organisation")})
    return out


def best_demand(demands, terms: list[str], weights: dict[str, float]):
    """Of ``demands``, the one whose title, keywords and indicators hold the most (weighted)
    matched ``terms``; the newest among equals; None when none holds any. Substring tests on
    normalised text, as the highlight does: no segmentation, no index query."""
    best, best_score = None, 0.0
    for demand in demands:  # newest first, so a tie keeps the newest
        text = normalize(
            "\n".join((demand.title, demand.keywords or "", demand.technical_indicators or ""))
        )
        score = sum(weights.get(t, 1.0) for t in terms if t in text)
        if score > best_score:
            best, best_score = demand, score
    return best


def explain(user, matches, weights: dict[str, float]) -> None:
    """Add 曾发布相关需求：<title> to each enterprise match: its own demand most like the query
    (:func:`best_demand` over its matched terms). Only demands ``user`` may view are named (one
    query for the page); the reason carries no weight, it explains the match."""
    found = [m for m in matches if m.kind == "enterprise" and m.terms]
    if not found:
        return
    _org, _type, Demand = _models()
    ids = [d.pk for m in found for d in profile(m.obj)]
    shown = set(
        Demand.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True)
    )
    for m in found:
        demand = best_demand([d for d in profile(m.obj) if d.pk in shown], m.terms, weights)
        if demand is not None:
            m.signals.append(
                {
                    "code": "past_demand",
                    "weight": 0.0,
                    "label": _("Posted a related demand: %(title)s") % {"title": demand.title},
                }
            )
