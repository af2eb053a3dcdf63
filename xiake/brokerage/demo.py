"""Demo docking cases in every stage (a step of `xiake demo`, after the contracts step).

Deterministic for a seed. Every case is followed by the demo ``manager``. Signed cases are built
around demo contracts (the contract's buyer is the case's enterprise, an achievement of its
seller is the offered record) and the contract is linked to the case; the other cases link demo
demands with achievements of the same industry, the demo ``enterprise`` and ``university``
accounts' organisations first, so every demo login finds cases. The demands of the cases and a
few more get a stored 推荐 list, so the conversion funnel has every stage. Some cases sit past the
reminder thresholds. Written with bulk inserts: no change-log row per record.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Q
from django.utils import timezone

from xiake.brokerage.models import (
    CaseMeeting,
    DockingCase,
    Frequency,
    MatchLabel,
    MatchOffer,
    Notification,
    Stage,
    Subscription,
    notify_ids,
)

# stage → number of cases; signed ones come from contracts.
PLAN = (
    (Stage.INTENT, 4),
    (Stage.CONTACT, 4),
    (Stage.NEGOTIATION, 3),
    (Stage.SIGNED, 5),
    (Stage.TERMINATED, 3),
)
END_REASONS = (
    "企业预算调整，项目暂缓。",
    "技术指标与企业产线条件不匹配。",
    "双方就知识产权归属未达成一致。",
)
EXTRA_MATCHED = 12  # published demands with a 推荐 list but no case yet


def _orgs(world, attr):
    return [o for o in getattr(world, attr, None) or [] if o is not None]


def generate(context) -> dict:
    from xiake.catalog.models import Achievement, Demand
    from xiake.contracts.models import TechContract

    rng = random.Random(f"{context.seed}:brokerage")
    users = context.users
    manager = users.get("manager")
    enterprises = _orgs(context.world, "enterprises")
    if manager is None or not enterprises:
        return {}
    demo_ent = getattr(users.get("enterprise"), "organization", None)
    demo_uni = getattr(users.get("university"), "organization", None)
    today = timezone.localdate()
    ent_ids = [o.pk for o in enterprises]
    demands = list(
        Demand.objects.filter(owner_org_id__in=ent_ids, status="published", is_confidential=False)
        .select_related("owner_org")
        .order_by("pk")
    )
    if demo_ent is not None:  # the demo enterprise's demands first
        demands.sort(key=lambda d: (d.owner_org_id != demo_ent.pk, d.pk))
    achievements = list(
        Achievement.objects.filter(status="published")
        .order_by("pk")
        .only("pk", "owner_org_id", "industry_id", "title")
    )
    if not demands or not achievements:
        return {}
    by_industry: dict = {}
    for a in achievements:
        by_industry.setdefault(a.industry_id, []).append(a)
    by_owner: dict = {}
    for a in achievements:
        by_owner.setdefault(a.owner_org_id, []).append(a)

    def offered_for(demand, k=3):
        pool = by_industry.get(demand.industry_id) or achievements
        if demo_uni is not None and demand.owner_org_id == getattr(demo_ent, "pk", None):
            pool = [a for a in pool if a.owner_org_id == demo_uni.pk] or pool
        return rng.sample(pool, min(k, len(pool)))

    cases, links, offers, linked_contracts = [], [], [], []
    used_demands = set()
    # signed cases: around contracts that are past the draft, with a buyer among the enterprises
    contracts = list(
        TechContract.objects.filter(buyer_org_id__in=ent_ids, docking_case__isnull=True)
        .exclude(status="draft")
        .order_by("pk")
    )
    dq = iter(demands)
    n_signed = dict(PLAN)[Stage.SIGNED]
    for contract in contracts[:n_signed]:
        demand = next(
            (
                d
                for d in demands
                if d.owner_org_id == contract.buyer_org_id and d.pk not in used_demands
            ),
            None,
        )
        mine = by_owner.get(contract.owner_org_id) or []
        offered = [rng.choice(mine)] if mine else offered_for(demand, 1) if demand else []
        signed = contract.signed_on or today
        cases.append(
            DockingCase(
                title=(demand.title if demand else contract.title)[:200],
                demand=demand,
                enterprise_id=contract.buyer_org_id,
                manager=manager,
                stage=Stage.SIGNED,
                stage_since=signed,
                notes="已签订技术合同，进入认定登记。",
                enterprise_accepted=True,
                provider_accepted=True,
            )
        )
        links.append(offered)
        linked_contracts.append(contract)
        if demand is not None:
            used_demands.add(demand.pk)
    # open and ended cases, the stages interleaved so that each has one even with few demands
    order = [
        (stage, i)
        for i in range(max(n for _, n in PLAN))
        for stage, n in PLAN
        if stage != Stage.SIGNED and i < n
    ]
    for stage, i in order:
        demand = next((d for d in dq if d.pk not in used_demands), None)
        if demand is None:
            break
        used_demands.add(demand.pk)
        threshold = {Stage.INTENT: 7, Stage.CONTACT: 14, Stage.NEGOTIATION: 30}.get(stage, 20)
        # the first case of each open stage sits past its reminder threshold
        days = threshold + rng.randint(2, 20) if i == 0 else rng.randint(1, threshold - 1)
        accepted = stage == Stage.NEGOTIATION or (stage == Stage.CONTACT and i % 2 == 0)
        cases.append(
            DockingCase(
                title=demand.title[:200],
                demand=demand,
                enterprise_id=demand.owner_org_id,
                manager=manager,
                stage=stage,
                stage_since=today - dt.timedelta(days=days),
                notes="经理人已与双方初步沟通。" if stage != Stage.INTENT else "",
                end_reason=END_REASONS[i % len(END_REASONS)] if stage == Stage.TERMINATED else "",
                enterprise_accepted=accepted,
                provider_accepted=accepted,
            )
        )
        links.append(offered_for(demand, rng.randint(1, 2)))
    DockingCase.objects.bulk_create(cases)
    Through = DockingCase.achievements.through
    Through.objects.bulk_create(
        [
            Through(dockingcase_id=c.pk, achievement_id=a.pk)
            for c, offered in zip(cases, links, strict=True)
            for a in {a.pk: a for a in offered}.values()
        ]
    )
    for case, contract in zip(cases, linked_contracts, strict=False):
        TechContract.objects.filter(pk=contract.pk).update(docking_case=case)
    meetings = demo_meetings(cases)
    # 推荐 lists: the demands of the cases (their offered records first) and a few more
    matched = [c.demand for c in cases if c.demand_id]
    matched += [d for d in demands if d.pk not in used_demands][:EXTRA_MATCHED]
    case_links = {c.demand_id: offered for c, offered in zip(cases, links, strict=True)}
    for demand in matched:
        chosen = list(case_links.get(demand.pk, []))
        chosen += [a for a in offered_for(demand, 3) if a.pk not in {x.pk for x in chosen}]
        for rank, a in enumerate(chosen[:4], 1):
            offers.append(
                MatchOffer(
                    demand=demand,
                    kind=MatchOffer.Kind.ACHIEVEMENT,
                    achievement=a,
                    rank=rank,
                    score=round(1.0 - 0.12 * (rank - 1), 4),
                    reasons=["同一行业"] if a.industry_id == demand.industry_id else [],
                )
            )
    MatchOffer.objects.bulk_create(offers, ignore_conflicts=True)
    labels = sum(MatchLabel.record(c) for c in cases if c.stage in (Stage.SIGNED, Stage.TERMINATED))
    # a few notifications and subscriptions so the demo logins have something to read
    notes = 0
    ent_user = users.get("enterprise")
    for c in cases[:3]:
        notes += notify_ids(
            [manager.pk],
            f"demo:case:{c.pk}",
            f"新的对接案例待跟进：“{c.title}”",
            url=c.get_absolute_url(),
        )
    if ent_user is not None and matched:
        d = next((d for d in matched if d.owner_org_id == ent_user.organization_id), None)
        if d is not None:
            notes += notify_ids(
                [ent_user.pk],
                f"demand:{d.pk}:offers",
                f"您的需求“{d.title}”有 {len(case_links.get(d.pk, [])) or 3} 条推荐",
                url=f"{d.get_absolute_url()}#offers",
            )
        industry = next((d.industry for d in matched if d.industry_id), None)
        subs = [
            Subscription(user=ent_user, kind="keyword", keyword="腐蚀", frequency=Frequency.DAILY)
        ]
        if industry is not None:
            subs.append(
                Subscription(
                    user=ent_user, kind="industry", term=industry, frequency=Frequency.WEEKLY
                )
            )
        Subscription.objects.bulk_create(subs, ignore_conflicts=True)
    return {
        "docking cases": len(cases),
        "case meetings": meetings,
        "docking cases linked to contracts": len(linked_contracts),
        "demands with a 推荐 list": len({o.demand_id for o in offers}),
        "match labels": labels,
        "notifications": notes,
    }


MEETINGS = (
    (
        "区科技局三楼会议室",
        False,
        "初次对接：企业介绍技术难点与预算，高校团队介绍已有成果和样件。",
        "高校一周内提交技术方案；企业提供现场工况数据。",
    ),
    (
        "",
        True,
        "线上评审技术方案，双方确认指标、验收方式和知识产权归属。",
        "经理人起草合同要点，两周内组织洽谈。",
    ),
    (
        "企业生产现场",
        False,
        "现场考察生产线，测试样件，讨论中试安排与付款节点。",
        "确定合同价款和分期付款方式，准备签约。",
    ),
)


def demo_meetings(cases) -> int:
    """Meetings on the cases past 意向: one per stage reached, dated within the case's history."""
    reached = {Stage.CONTACT: 1, Stage.NEGOTIATION: 2, Stage.SIGNED: 3}
    rows = []
    for case in cases:
        for n, (place, online, minutes, next_steps) in enumerate(
            MEETINGS[: reached.get(case.stage, 0)]
        ):
            day = case.stage_since - dt.timedelta(days=7 * (reached[case.stage] - n - 1) + 1)
            held = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + 5 * (n % 2), 30)))
            rows.append(
                CaseMeeting(
                    case=case,
                    held_at=held,
                    online=online,
                    place="腾讯会议 635-218-904" if online else place,
                    participants=f"{case.manager.get_full_name() or case.manager.username}（技术经理人）\n"
                    f"{case.enterprise.name}技术负责人\n成果完成人团队代表",
                    minutes=minutes,
                    next_steps=next_steps,
                )
            )
    CaseMeeting.objects.bulk_create(rows)
    return len(rows)


def flush() -> dict:
    from django.contrib.auth import get_user_model

    from xiake.catalog.models import Demand
    from xiake.contracts.models import TechContract
    from xiake.demo.accounts import DEMO_USERNAMES

    cases = DockingCase.objects.filter(
        Q(enterprise__is_demo=True) | Q(demand__is_demo=True)
    ).values_list("pk", flat=True)
    ids = list(cases)
    TechContract.objects.filter(docking_case_id__in=ids).update(docking_case=None)
    demo_demands = Demand.objects.filter(is_demo=True).values("pk")
    MatchLabel.objects.filter(Q(case_id__in=ids) | Q(demand_id__in=demo_demands)).delete()
    offers, _ = MatchOffer.objects.filter(demand_id__in=demo_demands).delete()
    for link in ("achievements", "experts", "platforms"):
        getattr(DockingCase, link).through.objects.filter(dockingcase_id__in=ids).delete()
    CaseMeeting.objects.filter(case_id__in=ids).delete()  # the raw delete below does not cascade
    DockingCase.objects.filter(pk__in=ids)._raw_delete(DockingCase.objects.db)
    demo_users = get_user_model().objects.filter(username__in=DEMO_USERNAMES).values("pk")
    Notification.objects.filter(user_id__in=demo_users).delete()
    Subscription.objects.filter(user_id__in=demo_users).delete()
    return {"docking cases": len(ids), "match offers": offers}
