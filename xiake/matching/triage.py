"""Demand quality triage: how actionable is a demand, what should its poster add, which ones need a
technology manager's second diagnosis.

A demand is scored 0–100 from checks kept as data (:data:`CHECKS`, weights sum to 100): a stated
problem, measurable key indicators, budget, validity date, cooperation mode, industry, keywords.
Below :data:`VAGUE_BELOW` it is *vague* and appears in the managers' triage queue (practice: about
a quarter of collected demands needed a second diagnosis). The checks read only the record, so the
score is the same wherever it is shown and needs no stored state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from xiake.matching.text import analyzer, normalize

VAGUE_BELOW = 60
MIN_PROBLEM_CHARS = 30
MIN_PROBLEM_TERMS = 5

# a number with a unit, a percentage or a comparison: "点蚀电位提高150mV", "≤0.02mm", "寿命3年"
_MEASURE = re.compile(
    r"(\d+(?:\.\d+)?\s*(?:%|‰|ppm|mm|μm|um|nm|cm|km|m|mg|kg|g|t|吨|℃|°c|k|mpa|gpa|pa|kw|mw|w|kv|v|"
    r"ma|a|hz|khz|mhz|db|h|min|s|小时|分钟|秒|天|年|月|次|倍|元|万元|台|件|套|个|米|毫米|微米|公斤)"
    r"|[≤≥<>]\s*\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Check:
    code: str
    weight: int
    label: str
    hint: str


CHECKS = (
    Check(
        "problem",
        30,
        _("Problem stated"),
        _(
            "Describe the problem itself: what goes wrong, in which product or process, "
            "under which conditions (at least 30 characters)."
        ),
    ),
    Check(
        "metrics",
        20,
        _("Key indicators"),
        _("Give the indicators to reach, with numbers and units (e.g. corrosion rate ≤ 0.1 mm/a)."),
    ),
    Check("budget", 15, _("Budget"), _("State a budget, even a rough one.")),
    Check("deadline", 10, _("Valid until"), _("Say until when the demand is open.")),
    Check(
        "coop_mode",
        10,
        _("Cooperation mode"),
        _("Choose how you want to cooperate (licence, joint development, commission…)."),
    ),
    Check("industry", 10, _("Industry"), _("Choose the industry of the demand.")),
    Check("keywords", 5, _("Keywords"), _("Add a few keywords of the technology you look for.")),
)


@dataclass
class Triage:
    score: int
    passed: list[Check]
    missing: list[Check]

    @property
    def vague(self) -> bool:
        return self.score < VAGUE_BELOW


def _has_problem(demand) -> bool:
    text = normalize(f"{demand.title}\n{demand.description or ''}")
    body = normalize(demand.description or "")
    return (
        len(body.replace(" ", "")) >= MIN_PROBLEM_CHARS
        and len(set(analyzer().tokens(text, normalized=True))) >= MIN_PROBLEM_TERMS
    )


def _has_metrics(demand) -> bool:
    indicators = normalize(demand.technical_indicators or "")
    if indicators.strip() and re.search(r"\d", indicators):
        return True
    return bool(_MEASURE.search(normalize(f"{demand.description or ''}\n{indicators}")))


def _has_coop_mode(demand) -> bool:
    if demand.pk is None:
        return False
    cache = getattr(demand, "_prefetched_objects_cache", {})
    if "cooperation_modes" in cache:
        return bool(cache["cooperation_modes"])
    return demand.cooperation_modes.exists()


TESTS = {
    "problem": _has_problem,
    "metrics": _has_metrics,
    "budget": lambda d: d.budget is not None and d.budget > 0,
    "deadline": lambda d: d.valid_until is not None,
    "coop_mode": _has_coop_mode,
    "industry": lambda d: d.industry_id is not None,
    "keywords": lambda d: bool((d.keywords or "").strip()),
}


def triage(demand) -> Triage:
    passed, missing = [], []
    for check in CHECKS:
        (passed if TESTS[check.code](demand) else missing).append(check)
    return Triage(sum(c.weight for c in passed), passed, missing)


def queue(user, *, limit: int = 2000) -> list[tuple[object, Triage]]:
    """Vague demands ``user`` may view (pending or published, newest ``limit``), vaguest first."""
    from xiake.catalog.models import Demand
    from xiake.core.review import ReviewStatus

    demands = (
        Demand.objects.restrict(user, "view")
        .filter(status__in=(ReviewStatus.PENDING, ReviewStatus.PUBLISHED))
        .select_related("owner_org")
        .prefetch_related("cooperation_modes")
        .order_by("-id")[:limit]
    )
    rows = [(d, t) for d in demands if (t := triage(d)).vague]
    rows.sort(key=lambda row: (row[1].score, -row[0].pk))
    return rows


@dataclass
class IndustrySuggestion:
    industry: object  # taxonomy term
    share: float  # its part of the neighbours' score, 0–1


def suggest_industry(user, demand, *, neighbours: int = 10, exclude_self: bool = True):
    """Industries for ``demand`` from the records its text finds (achievements and demands
    ``user`` may view that have an industry): each neighbour votes with its search score. Best
    first, at most three."""
    from xiake.matching import api

    text = "\n".join(
        t
        for t in (demand.title, demand.keywords, demand.description, demand.technical_indicators)
        if t
    )
    found = api.search(user, text, type=["demand", "achievement"], limit=neighbours + 1)
    votes: dict[int, float] = {}
    terms = {}
    used = 0
    for match in found:
        obj = match.obj
        if exclude_self and match.kind == "demand" and obj.pk == demand.pk:
            continue
        if used >= neighbours:
            break
        used += 1
        if getattr(obj, "industry_id", None) is None:
            continue
        votes[obj.industry_id] = votes.get(obj.industry_id, 0.0) + max(match.score, 1e-6)
        terms[obj.industry_id] = obj.industry
    total = sum(votes.values())
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])[:3]
    return [IndustrySuggestion(terms[pk], round(v / total, 2)) for pk, v in ranked]


def evaluate_industry(user, *, sample: int = 300, neighbours: int = 10) -> dict:
    """Leave-one-out accuracy of :func:`suggest_industry` on demands that have an industry
    (evenly spaced sample), beside the majority-industry baseline of the same demands."""
    from collections import Counter

    from xiake.catalog.models import Demand

    pool = list(
        Demand.objects.restrict(user, "view")
        .exclude(industry=None)
        .select_related("industry")
        .order_by("pk")
    )
    if not pool:
        return {"demands": 0}
    step = max(1, len(pool) // sample)
    chosen = pool[::step][:sample]
    majority, _n = Counter(d.industry_id for d in pool).most_common(1)[0]
    top1 = top3 = base = 0
    for demand in chosen:
        got = [s.industry.pk for s in suggest_industry(user, demand, neighbours=neighbours)]
        top1 += bool(got) and got[0] == demand.industry_id
        top3 += demand.industry_id in got
        base += demand.industry_id == majority
    n = len(chosen)
    return {
        "demands": n,
        "industries": len({d.industry_id for d in pool}),
        "top1_accuracy": round(top1 / n, 3),
        "top3_accuracy": round(top3 / n, 3),
        "majority_baseline_accuracy": round(base / n, 3),
    }
