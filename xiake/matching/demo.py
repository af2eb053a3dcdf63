"""Demo data of matching: a rebuild of every node's index, and synthetic 有用 / 无关 marks.

The marks are **synthetic**: for some published demo demands with an industry, the demo bureau
account marks three achievements of the same industry (useful 80 % of the time) and two of other
industries (useful 15 %). They make the buttons' state, the 已标记有用 / 已标记为无关 reasons and
``xiake fit_match_weights`` visible on the demo; their figures say nothing about real users.
"""

from __future__ import annotations

import random

DEMANDS = 80
SAME, OTHER = 3, 2
P_USEFUL_SAME, P_USEFUL_OTHER = 0.8, 0.15


def generate(context) -> dict:
    from xiake.matching.feed import record_rebuild

    # the demo generator bulk-creates records (no signals): ask every node to rebuild
    record_rebuild()
    return {"match marks (synthetic)": marks(context)}


def marks(context) -> int:
    from xiake.catalog.models import Achievement, Demand
    from xiake.core.review import ReviewStatus
    from xiake.matching.models import MatchFeedback

    user = context.users.get("bureau")
    if user is None:
        return 0
    rng = random.Random(context.seed * 7919 + 3)
    published = {"is_demo": True, "status": ReviewStatus.PUBLISHED, "industry__isnull": False}
    demands = list(Demand.objects.filter(**published).order_by("pk").values_list("pk", "industry"))
    rng.shuffle(demands)
    by_industry: dict[int, list[int]] = {}
    for pk, industry in Achievement.objects.filter(**published).values_list("pk", "industry"):
        by_industry.setdefault(industry, []).append(pk)
    everything = [pk for pks in by_industry.values() for pk in pks]
    rows = []
    for demand, industry in demands[:DEMANDS]:
        same = by_industry.get(industry, [])
        if len(same) < SAME or len(everything) - len(same) < OTHER:
            continue
        other = [pk for pk in rng.sample(everything, min(len(everything), 50)) if pk not in same]
        picks = [(pk, P_USEFUL_SAME) for pk in rng.sample(same, SAME)]
        picks += [(pk, P_USEFUL_OTHER) for pk in other[:OTHER]]
        for pk, p_useful in picks:
            useful = rng.random() < p_useful
            rows.append(
                MatchFeedback(
                    user=user,
                    source_kind="demand",
                    source_id=demand,
                    target_kind="achievement",
                    target_id=pk,
                    value=(
                        MatchFeedback.Value.USEFUL if useful else MatchFeedback.Value.NOT_USEFUL
                    ),
                    reason="" if useful else "领域不符（演示标注）",
                )
            )
    MatchFeedback.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def flush() -> dict:
    from django.db.models import Q

    from xiake.catalog.models import Achievement, Demand, Expert, Platform
    from xiake.demo.accounts import DEMO_USERNAMES
    from xiake.matching.models import MatchFeedback

    demo = Q(user__username__in=DEMO_USERNAMES)
    for kind, model in (
        ("achievement", Achievement),
        ("demand", Demand),
        ("expert", Expert),
        ("platform", Platform),
    ):
        ids = model.objects.filter(is_demo=True).values("pk")
        demo |= Q(source_kind=kind, source_id__in=ids) | Q(target_kind=kind, target_id__in=ids)
    deleted, _ = MatchFeedback.objects.filter(demo).delete()
    return {"match marks": deleted}
