"""Demo data of the institutions app (a step of `xiake demo`, see xiake/demo/extensions.py).

On the demo's new R&D institution organisations (``world.nris``) it writes:

- the registry: legal form, backing platform, co-building with a local university (the first 11),
  filing status and level with dates (35 of 53 filed or cultivated), park, the 四位一体 parts
  (research team, transfer platform company, project companies, industry fund), leaders and team
  shareholders;
- 36 months of monthly reports ending last month: growth, seasonality (Chinese New Year dip in
  January/February, year-end spike), a few late, a few missing, a few returned, and a handful of
  genuine anomalies (one-off contracts, a misreported month, falling revenue, stalled incubation)
  that the warning rules catch;
- rule data when none exists yet (filing conditions, warning thresholds, tiers, two indicator
  system versions), warnings from ``monitoring.run_warnings`` for the last 12 months, tiers
  suggested and confirmed, one published evaluation round (last year) and one open round (this
  year) assigned to the demo ``evaluator`` and partly scored;
- for the demo ``institution`` user's organisation (``world.nris[0]``): last month's report as a
  draft to submit, and the month before returned by the bureau with a comment to correct.

Everything is bulk-created (no change records); ``flush`` deletes exactly these rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from xiake.demo import creditcode, text
from xiake.demo.orgs import UNIVERSITIES
from xiake.demo.vocab import DOMAIN_BY_KEY, QIXIA, TRADE_NAMES
from xiake.institutions import evaluation, monitoring
from xiake.institutions import models as m
from xiake.institutions.reporting import add_months, deadline_of, month_start

MONTHS = 36
PARKS = (
    ("仙林大学城", 5),
    ("紫东核心区", 3),
    ("南京经济技术开发区", 3),
    ("马群科技园", 2),
    ("燕子矶新城", 2),
    ("迈皋桥创业园", 1),
    ("龙潭港城", 1),
)
# Where the parks are, for the overview map: our own rough placement within the district
# (latitude, longitude), not surveyed data.
PARK_PLACES = {
    "仙林大学城": (32.108, 118.925),
    "紫东核心区": (32.072, 118.958),
    "南京经济技术开发区": (32.152, 118.884),
    "马群科技园": (32.052, 118.884),
    "燕子矶新城": (32.146, 118.812),
    "迈皋桥创业园": (32.114, 118.803),
    "龙潭港城": (32.171, 119.047),
}
# Month factors: Chinese New Year dip in January/February, mid-year and year-end peaks.
SEASON = {
    1: 0.84,
    2: 0.72,
    3: 0.98,
    4: 0.99,
    5: 1.00,
    6: 1.10,
    7: 0.96,
    8: 0.93,
    9: 1.02,
    10: 0.97,
    11: 1.04,
    12: 1.22,
}
RD_SEASON = {1: 0.94, 2: 0.88, 12: 1.10}
CAS = (
    "中国科学院南京地理与湖泊研究所",
    "中国科学院南京土壤研究所",
    "中国科学院苏州纳米技术与纳米仿生研究所",
    "中国科学院上海微系统与信息技术研究所",
    "中国科学院宁波材料技术与工程研究所",
)
OUTSIDE = (
    "清华大学",
    "浙江大学",
    "哈尔滨工业大学",
    "西安交通大学",
    "北京航空航天大学",
    "华中科技大学",
)
OVERSEAS = ("新加坡国立大学", "英国帝国理工学院", "德国亚琛工业大学", "加拿大滑铁卢大学")
TITLES = ("教授", "研究员", "正高级工程师", "副教授", "高级工程师", "副研究员", "博士")
RETURN_COMMENTS = (
    "全职研发人员数较上月明显减少，请核实后重新提交。",
    "技术性收入与技术合同登记情况不符，请补充说明。",
    "新孵化企业名称缺失，请补齐企业全称。",
)
FIRST_FILING = dt.date(2018, 5, 3)  # the first batch filed in Nanjing (domain.md §6)


def D(x: float, places: int = 2) -> Decimal:
    return Decimal(f"{max(x, 0.0):.{places}f}")


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


@dataclass
class Firm:
    name: str
    relation: str
    registered_on: dt.date
    hightech_on: dt.date | None
    capital: Decimal
    business: str


@dataclass
class Plan:
    """What one institution will look like: registry values and the parameters of its series."""

    org: object
    key: str
    index: int
    filing: str
    established: dt.date
    level: float  # monthly revenue (10k yuan) at the start of the window
    growth: float  # per year
    rd_ratio: float
    rd_floor: float
    ti_ratio: float
    gap: float  # mean months between incubated firms
    staff0: int
    rd_share: float
    patents: float
    firms: list[Firm] = field(default_factory=list)
    events: dict = field(default_factory=dict)  # period → what is special about it
    decline: dict = field(default_factory=dict)  # field → (from period, factor)
    stall_from: dt.date | None = None
    missing: set = field(default_factory=set)  # months never reported


# -- rule data ----------------------------------------------------------------------------------


def _ensure_rules(today: dt.date, counts: dict) -> tuple:
    """The rules in force, created (and marked as demo) only where none exist yet."""
    created = 0
    filing = m.FilingRule.in_force(today)
    if filing is None:
        (filing,) = m.FilingRule.objects.bulk_create(
            [
                m.FilingRule(
                    version="南京2020",
                    effective_from=dt.date(2020, 1, 1),
                    source="南京市新型研发机构备案条件（2020）",
                    is_demo=True,
                )
            ]
        )
        created += 1
    warning = m.WarningRule.in_force(add_months(month_start(today), -MONTHS))
    if warning is None:
        (warning,) = m.WarningRule.objects.bulk_create(
            [
                m.WarningRule(
                    version="监测预警2023",
                    effective_from=dt.date(2020, 1, 1),
                    source="区科技局新型研发机构月度监测办法",
                    is_demo=True,
                )
            ]
        )
        created += 1
    if m.Tier.in_force(today) is None:
        spec = (
            (
                3,
                "领军型",
                36,
                3000,
                1000,
                25,
                30,
                "优先推荐市级备案；研发经费后补助上浮20%；"
                "重大项目“揭榜挂帅”优先支持；人才公寓配额倾斜。",
            ),
            (
                2,
                "成长型",
                24,
                900,
                400,
                10,
                10,
                "研发经费按实际投入10%后补助；孵化企业房租三年减半；每季度一次专员走访。",
            ),
            (
                1,
                "培育型",
                0,
                0,
                0,
                0,
                0,
                "提供备案辅导、政策申报和投融资对接服务；每月跟踪月报与预警。",
            ),
        )
        m.Tier.objects.bulk_create(
            [
                m.Tier(
                    version=f"分档2024-{rank}",
                    effective_from=dt.date(2024, 1, 1),
                    source="区新型研发机构分档培育实施细则（2024）",
                    rule_set="分档2024",
                    name=name,
                    rank=rank,
                    min_months=months,
                    min_revenue_12m=revenue,
                    min_rd_spend_12m=rd,
                    min_incubated=incubated,
                    min_patents_12m=patents,
                    measures=measures,
                    is_demo=True,
                )
                for rank, name, months, revenue, rd, incubated, patents, measures in spec
            ]
        )
        created += len(spec)
    counts["rule versions"] = created
    return filing, warning


INDICATORS = (
    # code, dimension, name, weight, method, formula, normalisation, target
    (
        "A1",
        "innovation",
        "研发投入强度",
        10,
        "computed",
        "sum(rd_spend) / sum(revenue)",
        "percentile",
        None,
    ),
    ("A2", "innovation", "研发投入总额", 10, "computed", "sum(rd_spend)", "percentile", None),
    (
        "A3",
        "innovation",
        "发明专利申请",
        8,
        "computed",
        "sum(invention_applications)",
        "percentile",
        None,
    ),
    (
        "A4",
        "innovation",
        "专利授权与软件著作权",
        7,
        "computed",
        "sum(patent_grants) + sum(software_copyrights)",
        "minmax",
        None,
    ),
    ("B1", "industry", "营业收入", 10, "computed", "sum(revenue)", "percentile", None),
    ("B2", "industry", "技术性收入", 8, "computed", "sum(technical_income)", "percentile", None),
    (
        "B3",
        "industry",
        "新孵化和引进企业",
        8,
        "computed",
        "sum(incubated_new) + sum(introduced_new)",
        "target",
        8,
    ),
    ("B4", "industry", "营业收入增长", 6, "computed", "growth(revenue)", "percentile", None),
    (
        "C1",
        "talent",
        "全职研发人员占比",
        8,
        "computed",
        "avg(fulltime_rd_staff) / avg(staff_total)",
        "target",
        Decimal("0.5"),
    ),
    ("C2", "talent", "研发人员规模", 7, "computed", "last(fulltime_rd_staff)", "percentile", None),
    ("C3", "talent", "团队持股人数", 5, "computed", "team_shareholders", "target", 15),
    ("D1", "service", "平台开放共享", 5, "scored", "", "minmax", None),
    ("D2", "service", "服务区内企业成效", 4, "scored", "", "minmax", None),
    ("D3", "service", "运行管理规范", 4, "scored", "", "minmax", None),
)
# This year's version moves weight from size to intensity and growth.
REVISED = {"A1": 12, "A2": 8, "B1": 8, "B4": 8}


def _system(version, name, start, weights=None):
    existing = m.IndicatorSystem.objects.filter(version=version).first()
    if existing is not None:
        return existing, False
    (system,) = m.IndicatorSystem.objects.bulk_create(
        [
            m.IndicatorSystem(
                version=version,
                name=name,
                effective_from=start,
                source="区新型研发机构绩效评价办法",
                excellent_min=78,
                good_min=65,
                pass_min=45,
                excellent_quota_pct=10,
                top_quota_pct=30,
                min_months=12,
                is_demo=True,
            )
        ]
    )
    system._skip_changelog = True
    weights = weights or {}
    m.Indicator.objects.bulk_create(
        [
            m.Indicator(
                system=system,
                code=code,
                dimension=dim,
                name=label,
                weight=Decimal(weights.get(code, weight)),
                method=method,
                formula=formula,
                normalisation=norm,
                target=target,
                max_score=10,
            )
            for code, dim, label, weight, method, formula, norm, target in INDICATORS
        ]
    )
    return system, True


# -- registry -----------------------------------------------------------------------------------


def _weighted(rng, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _date_between(rng, a: dt.date, b: dt.date) -> dt.date:
    return a + dt.timedelta(days=rng.randint(0, max((b - a).days, 0)))


def _plans(rng: random.Random, world, today: dt.date) -> list[Plan]:
    nris = list(world.nris)
    n = len(nris)
    quota = [
        (m.Institution.Filing.CITY, round(n * 8 / 53)),
        (m.Institution.Filing.DISTRICT, round(n * 15 / 53) - 1),  # nris[0] is the other one
        (m.Institution.Filing.CULTIVATING, round(n * 12 / 53)),
    ]
    n_filed = sum(k for _, k in quota)
    # Most institutions co-built with a local university are filed; nris[0] (the demo
    # institution user's) is a district-level, co-built one.
    co_built = [i for i in range(1, min(n, 11))]
    others = [i for i in range(11, n)]
    rng.shuffle(co_built)
    rng.shuffle(others)
    pool = co_built[:9] + others
    pool = pool[:n_filed]
    rng.shuffle(pool)
    levels = {0: m.Institution.Filing.DISTRICT} if n else {}
    it = iter(pool)
    for level, k in quota:
        for _ in range(k):
            i = next(it, None)
            if i is not None:
                levels[i] = level
    last = add_months(month_start(today), -1)
    plans = []
    for i, org in enumerate(nris):
        filing = levels.get(i, m.Institution.Filing.NONE)
        if filing == "city":
            est = _date_between(rng, dt.date(2016, 3, 1), dt.date(2018, 3, 1))
        elif filing == "district":
            est = _date_between(rng, dt.date(2017, 1, 1), dt.date(2021, 6, 30))
        elif filing == "cultivating":
            est = _date_between(rng, dt.date(2020, 1, 1), dt.date(2024, 6, 30))
        else:
            est = _date_between(rng, dt.date(2021, 1, 1), add_months(last, -2))
        if i == 0:
            est = dt.date(2019, 4, 18)
        size = {"city": 2.2, "district": 1.3, "cultivating": 0.7, "none": 0.45}[filing]
        level = math.exp(rng.gauss(math.log(90 * size), 0.55))
        plans.append(
            Plan(
                org=org,
                key=world.domains[org.pk][0],
                index=i,
                filing=filing,
                established=est,
                level=level,
                growth=rng.uniform(0.03, 0.25),
                rd_ratio=rng.uniform(0.18, 0.45),
                rd_floor=rng.uniform(12, 45) * size,
                ti_ratio=rng.uniform(0.25, 0.7),
                gap=rng.uniform(1.4, 3.2),
                staff0=max(8, int(rng.gauss(45 * size, 10))),
                rd_share=rng.uniform(0.33, 0.7) if rng.random() < 0.88 else rng.uniform(0.18, 0.29),
                patents=rng.uniform(0.6, 3.5) * size,
            )
        )
    return plans


def _backing(rng, plan: Plan) -> tuple[str, str]:
    if plan.index < 11:
        short = plan.org.name.split("（")[0]
        name = next((u[0] for u in UNIVERSITIES if u[1] == short), short)
        return m.Institution.Backing.UNIVERSITY, name
    kind = _weighted(
        rng,
        (
            ("university", 35),
            ("cas", 15),
            ("enterprise", 20),
            ("outside_university", 20),
            ("overseas", 10),
        ),
    )
    if kind == "university":
        return kind, rng.choice([u[0] for u in UNIVERSITIES if not u[4]])
    if kind == "cas":
        return kind, rng.choice(CAS)
    if kind == "enterprise":
        return kind, f"江苏{rng.choice(TRADE_NAMES)}集团有限公司"
    if kind == "outside_university":
        return kind, rng.choice(OUTSIDE)
    return kind, rng.choice(OVERSEAS)


def _institution(rng, plan: Plan) -> m.Institution:
    org, filing = plan.org, plan.filing
    backing_type, backing_name = _backing(rng, plan)
    filed_on = district_on = city_on = None
    if filing != "none":
        if filing == "city" or (filing == "district" and plan.established < dt.date(2018, 3, 1)):
            filed_on = FIRST_FILING
        else:
            filed_on = _date_between(
                rng,
                max(plan.established + dt.timedelta(days=120), FIRST_FILING),
                max(plan.established + dt.timedelta(days=500), dt.date(2020, 6, 1)),
            )
        if filing in ("district", "city"):
            district_on = filed_on + dt.timedelta(days=rng.randint(200, 600))
        if filing == "city":
            city_on = district_on + dt.timedelta(days=rng.randint(400, 900))
    ok = filing != "none" or rng.random() < 0.5
    capital = (
        rng.choice((300, 500, 500, 800, 1000, 1000, 2000, 3000))
        if ok
        else rng.choice((100, 200, 300, 500))
    )
    topic = org.name.split("）")[-1].replace("研究院有限公司", "").replace("研究院", "")
    trade = rng.choice(TRADE_NAMES)
    has_fund = filing in ("city", "district") or rng.random() < 0.35
    shareholders = rng.randint(5, 18) if ok else rng.randint(2, 6)
    return m.Institution(
        owner_org=org,
        name=org.name,
        legal_form=(
            m.Institution.LegalForm.PRIVATE_NON_ENTERPRISE
            if org.name.endswith("研究院")
            else m.Institution.LegalForm.ENTERPRISE
        ),
        backing_type=backing_type,
        backing_name=backing_name,
        co_built_local=plan.index < 11,
        filing_status=filing,
        filed_on=filed_on,
        district_on=district_on,
        city_on=city_on,
        park=("仙林大学城" if plan.index < 11 and rng.random() < 0.7 else _weighted(rng, PARKS)),
        established_on=plan.established,
        registered_capital=Decimal(capital),
        paid_in_capital=D(capital if rng.random() < 0.7 else capital * rng.choice((0.4, 0.6))),
        team_share_pct=D(rng.uniform(51, 80) if ok else rng.uniform(30, 50)),
        team_shareholders=shareholders,
        core_scientist_pct=D(rng.uniform(6, 15) if rng.random() < 0.9 else rng.uniform(16, 25)),
        leader_name="",
        research_team="",
        transfer_company=f"南京{trade}{topic}技术转移有限公司",
        fund_name=f"南京{trade}{topic}产业投资基金（有限合伙）" if has_fund else "",
        fund_size=D(rng.choice((1000, 2000, 3000, 5000, 10000, 20000))) if has_fund else None,
        committed_investment_3y=D(rng.choice((3000, 3000, 5000, 8000))),
        committed_rd_equipment_3y=D(rng.choice((2000, 2000, 3000, 5000))),
        # Commitments in line with the pace of incubation, a few ambitious ones.
        committed_incubated_3y=(
            round(36 / plan.gap * rng.uniform(0.7, 1.0))
            if rng.random() < 0.85
            else round(36 / plan.gap * 1.8)
        ),
        is_demo=True,
    )


def _team(rng, inst: m.Institution, plan: Plan) -> list[m.TeamMember]:
    n = inst.team_shareholders
    names: list[str] = []
    while len(names) < n + 2:
        name = text.person_name(rng)
        if name not in names:
            names.append(name)
    core_share = float(inst.core_scientist_pct or 10)
    cores = min(3, max(1, n // 4))
    rest = max(float(inst.team_share_pct or 50) - core_share, 0)
    core_each = min(rest * 0.4 / cores, core_share * 0.6)
    holder_each = (rest - core_each * cores) / max(n - 1 - cores, 1)
    members = [
        m.TeamMember(
            institution=inst,
            name=names[0],
            role=m.TeamMember.Role.LEADER,
            title=rng.choice(TITLES[:3]),
            share_pct=D(core_share),
            full_time=rng.random() < 0.6,
        )
    ]
    for j in range(1, n):
        core = j <= cores
        members.append(
            m.TeamMember(
                institution=inst,
                name=names[j],
                role=m.TeamMember.Role.CORE if core else m.TeamMember.Role.SHAREHOLDER,
                title=rng.choice(TITLES[:4] if core else TITLES[3:]),
                share_pct=D(core_each if core else holder_each),
                full_time=rng.random() < (0.7 if core else 0.9),
            )
        )
    for j in (n, n + 1):  # team members without shares
        members.append(
            m.TeamMember(
                institution=inst,
                name=names[j],
                role=m.TeamMember.Role.CORE,
                title=rng.choice(TITLES[3:]),
                share_pct=None,
                full_time=True,
            )
        )
    d = DOMAIN_BY_KEY[plan.key]
    inst.leader_name = names[0]
    inst.research_team = (
        f"{names[0]}{members[0].title}领衔，核心成员{names[1]}、{names[2 % len(names)]}等，"
        f"研究方向：{'、'.join(rng.sample(d.fields, min(3, len(d.fields))))}。"
    )
    return members


def _firms(rng, plan: Plan, last: dt.date, used: set) -> None:
    """Incubated and introduced firms from establishment to last month (gaps below the warning)."""
    d = DOMAIN_BY_KEY[plan.key]
    start = month_start(plan.established)
    t = add_months(start, rng.randint(2, 5))
    while t <= last:
        if plan.stall_from and t >= plan.stall_from:
            break
        for relation in ("incubated",) + (("introduced",) if rng.random() < 0.18 else ()):
            while True:
                trade = rng.choice(TRADE_NAMES) + (
                    rng.choice(TRADE_NAMES) if rng.random() < 0.5 else ""
                )
                name = f"南京{trade}{rng.choice(d.company_words)}有限公司"
                if name not in used:
                    used.add(name)
                    break
            reg = t + dt.timedelta(days=rng.randint(0, 27))
            ht = add_months(t, rng.randint(18, 36)) if rng.random() < 0.35 else None
            plan.firms.append(
                Firm(
                    name=name,
                    relation=relation,
                    registered_on=reg,
                    hightech_on=ht,
                    capital=D(rng.choice((50, 100, 100, 200, 300, 500, 1000))),
                    business=f"{rng.choice(d.fields)}相关技术研发、产品生产与技术服务",
                )
            )
        step = rng.randint(1, max(1, min(5, round(2 * plan.gap - 1))))
        t = add_months(t, step)


# -- reports ------------------------------------------------------------------------------------


def _series(rng, plan: Plan, first: dt.date, last: dt.date) -> list[dict]:
    """Monthly figures from the first reportable month in the window to last month."""
    start = month_start(plan.established)
    if plan.established.day > 1:
        start = add_months(start, 1)
    p = max(first, start)
    rows = []
    by_month = defaultdict(list)
    for firm in plan.firms:
        by_month[month_start(firm.registered_on)].append(firm)
    fund = float(0)
    equipment = rng.uniform(300, 1500) * (plan.level / 90) ** 0.5
    area = float(rng.choice((800, 1200, 1500, 2000, 3000, 5000)))
    staff = plan.staff0
    while p <= last:
        age = (p.year - start.year) * 12 + p.month - start.month
        years = ((p.year - first.year) * 12 + p.month - first.month) / 12
        ramp = min(1.0, (age + 3) / 24)
        trend = plan.level * (1 + plan.growth) ** years * ramp
        revenue = trend * SEASON[p.month] * math.exp(rng.gauss(0, 0.12))
        rd = max(plan.rd_floor * ramp, trend * plan.rd_ratio) * RD_SEASON.get(p.month, 1.0)
        rd *= math.exp(rng.gauss(0, 0.09))
        ti = revenue * plan.ti_ratio * math.exp(rng.gauss(0, 0.15))
        for fld, (since, factor) in plan.decline.items():
            if p >= since:
                if fld == "revenue":
                    revenue *= factor
                    ti *= factor
                else:
                    rd *= factor
        if rng.random() < 0.08:
            staff += rng.choice((-2, -1, 1, 2, 3, 4))
        staff = max(staff, 6)
        if rng.random() < 0.04:
            area += rng.choice((300, 500, 1000))
        equipment += rd * rng.uniform(0.05, 0.25)
        if not fund and age > 6 and rng.random() < 0.05:
            fund = float(rng.choice((1000, 2000, 3000, 5000)))
        new = by_month.get(p, [])
        pa = poisson(rng, plan.patents * ramp * (0.6 if p.month in (1, 2) else 1.0))
        pg = poisson(rng, plan.patents * ramp * 0.45)
        rows.append(
            {
                "period": p,
                "revenue": revenue,
                "rd_spend": rd,
                "technical_income": min(ti, revenue),
                "contract_value": ti * rng.uniform(0.6, 1.5) if rng.random() < 0.7 else 0.0,
                "staff_total": staff,
                "fulltime_rd_staff": min(staff, round(staff * plan.rd_share + rng.gauss(0, 1))),
                "new": new,
                "patent_applications": pa,
                "invention_applications": sum(1 for _ in range(pa) if rng.random() < 0.6),
                "patent_grants": pg,
                "invention_grants": sum(1 for _ in range(pg) if rng.random() < 0.4),
                "software_copyrights": poisson(rng, 0.6 * ramp),
                "fund_size": fund,
                "financing_raised": rng.choice((300, 500, 1000, 2000))
                if rng.random() < 0.04
                else 0,
                "equipment_value": equipment,
                "floor_area": area,
            }
        )
        p = add_months(p, 1)
    return rows


@dataclass
class ReportPlan:
    row: dict
    status: str = "published"
    submitted: dt.datetime | None = None
    reviewed: dt.datetime | None = None
    comment: str = ""
    skip: bool = False
    outlier: bool = False


def _events(rng, plans: list[Plan], last: dt.date) -> None:
    """Choose the genuine problems: anomalies, declines, stalled incubation."""
    mature = [p for p in plans[1:] if p.established < add_months(last, -40)]
    rng.shuffle(mature)
    picks = iter(mature)
    anomalies = (
        ("revenue", 6.5, "一次性确认大额技术开发合同收入"),
        ("technical_income", 5.5, "集中确认技术转让收入"),
        ("rd_spend", 0.02, "研发投入漏报"),
        ("revenue", 7.0, "设备销售一次性收入"),
    )
    for fld, factor, why in anomalies:
        plan = next(picks, None)
        if plan is None:
            return
        plan.events[add_months(last, -rng.randint(1, 9))] = (fld, factor, why)
    for fld, factor in (("revenue", 0.42), ("revenue", 0.5), ("rd_spend", 0.45)):
        plan = next(picks, None)
        if plan is None:
            return
        plan.decline[fld] = (add_months(last, -rng.randint(3, 5)), factor)
    for _ in range(2):
        plan = next(picks, None)
        if plan is None:
            return
        plan.stall_from = add_months(last, -rng.randint(8, 11))
    for plan in rng.sample(plans[1:], min(4, len(plans) - 1)):
        plan.missing.add(add_months(last, -rng.randint(2, 10)))


def _apply_events(plan: Plan, rows: list[dict]) -> None:
    for r in rows:
        event = plan.events.get(r["period"])
        if event:
            fld, factor, _why = event
            r[fld] *= factor
            if fld == "technical_income":
                r["revenue"] = max(r["revenue"], r["technical_income"] * 1.1)
                r["contract_value"] = r["technical_income"] * 1.05


def _report_plans(rng, plan: Plan, rows, rule, today, now, is_demo_inst) -> list[ReportPlan]:
    last = rows[-1]["period"] if rows else None
    out = []
    for r in rows:
        rp = ReportPlan(row=r)
        due = deadline_of(r["period"], rule)
        late = rng.random() < 0.04
        if late:
            day = due + dt.timedelta(days=rng.randint(2, 25))
        else:
            day = due - dt.timedelta(days=rng.randint(0, 9))
        if day > today or (day == today and aware(day, 9) > now):
            day = None
        rp.submitted = aware(day, rng.randint(8, 18), rng.randint(0, 59)) if day else None
        if rp.submitted is None:
            rp.status = "draft"
        else:
            slow = r["period"] == last  # the bureau is still working through last month
            review = day + dt.timedelta(days=rng.randint(1, 25 if slow else 6))
            if review >= today:
                rp.status = "pending"
            else:
                rp.reviewed = aware(review, rng.randint(9, 17), rng.randint(0, 59))
        if r["period"] != last and r["period"] >= add_months(month_start(today), -13):
            if rng.random() < 0.006 or r["period"] in plan.missing:
                rp.skip = True  # never reported
        if r["period"] == last and rp.status == "draft" and rng.random() < 0.5:
            rp.skip = True  # not started yet
        out.append(rp)
    if is_demo_inst and len(out) >= 2:
        # The walk-through: last month in draft, the month before returned with a comment.
        out[-1].status, out[-1].submitted, out[-1].reviewed, out[-1].skip = (
            "draft",
            None,
            None,
            False,
        )
        prev = out[-2]
        prev.skip = False
        prev.status, prev.comment = "returned", RETURN_COMMENTS[0]
        prev.submitted = prev.submitted or aware(today - dt.timedelta(days=2))
        prev.reviewed = max(prev.submitted, aware(today - dt.timedelta(days=1)))
        prev.row["fulltime_rd_staff"] = max(0, prev.row["fulltime_rd_staff"] - 9)
    return out


def _finalise(rps: list[ReportPlan], outlier_factor: float) -> list[ReportPlan]:
    """Cumulative figures over the months actually reported; ask-to-confirm flags as validation
    would (flows above ``outlier_factor`` × the 12-month median)."""
    kept = [rp for rp in rps if not rp.skip]
    inc = intro = 0
    pending_new: list[Firm] = []
    flows = m.MonthlyReport.FLOWS
    history: list[dict] = []
    for rp in rps:
        r = rp.row
        pending_new += r["new"]
        if rp.skip:
            continue
        new, pending_new = (pending_new, []) if history else (r["new"], [])
        r["incubated_new"] = sum(1 for f in new if f.relation == "incubated")
        r["introduced_new"] = len(new) - r["incubated_new"]
        r["new_firm_names"] = "\n".join(f.name for f in new)
        if not history:  # firms before the window
            before = r["firms_before"]
            inc = sum(1 for f in before if f.relation == "incubated")
            intro = len(before) - inc
        inc += r["incubated_new"]
        intro += r["introduced_new"]
        r["incubated_cum"], r["introduced_cum"] = inc, intro
        r["hightech_cum"] = min(r["hightech_count"], inc + intro)
        values = {k: float(D(r[k])) for k in flows}
        recent = history[-12:]
        if len(recent) >= 6:
            for k in flows:
                med = statistics.median(h[k] for h in recent)
                if med > 0 and values[k] > med * outlier_factor:
                    rp.outlier = True
        history.append(values)
    return kept


def _reports(rng, plans, insts, rule, today, now, users) -> tuple[list, dict]:
    first = add_months(month_start(today), -MONTHS)
    last = add_months(month_start(today), -1)
    bureau = users.get("bureau")
    inst_user = users.get("institution")
    reports, per_inst = [], {}
    for plan, inst in zip(plans, insts, strict=True):
        rows = _series(rng, plan, first, last)
        _apply_events(plan, rows)
        if inst.fund_size:
            for r in rows:
                r["fund_size"] = float(inst.fund_size)
        for r in rows:
            r["firms_before"] = [
                f for f in plan.firms if month_start(f.registered_on) < r["period"]
            ]
            end = r["period"]
            r["hightech_count"] = sum(
                1
                for f in plan.firms
                if f.hightech_on and f.hightech_on <= end and month_start(f.registered_on) <= end
            )
        rps = _report_plans(rng, plan, rows, rule, today, now, plan.index == 0)
        if plan.index != 0 and rps and rng.random() < 0.06:
            # A few other institutions have a recent report returned.
            rp = rps[-2] if len(rps) > 1 else rps[-1]
            if rp.status in ("published", "pending") and not rp.skip:
                rp.status, rp.comment = "returned", rng.choice(RETURN_COMMENTS[1:])
                rp.reviewed = max(rp.submitted, aware(today - dt.timedelta(days=1)))
        kept = _finalise(rps, float(rule.outlier_factor))
        per_inst[inst.pk] = kept
        for rp in kept:
            r = rp.row
            fields = {
                k: (D(r[k]) if isinstance(r[k], float) else r[k])
                for k in m.MonthlyReport.FIGURES
                if k not in ("team_shareholders", "floor_area")
            }
            fields["floor_area"] = Decimal(f"{r['floor_area']:.1f}")
            months_in = (r["period"].year - first.year) * 12 + r["period"].month - first.month
            fields["team_shareholders"] = min(
                r["staff_total"],
                max(1, inst.team_shareholders - (MONTHS - 1 - months_in) // 12),
            )
            event = plan.events.get(r["period"])
            reports.append(
                m.MonthlyReport(
                    institution=inst,
                    period=r["period"],
                    new_firm_names=r["new_firm_names"],
                    correction_note="",
                    outliers_confirmed=rp.outlier,
                    status=rp.status,
                    review_comment=rp.comment
                    or (f"已核实：{event[2]}。" if event and rp.status == "published" else ""),
                    reviewed_by=bureau if rp.reviewed else None,
                    reviewed_at=rp.reviewed,
                    submitted_at=rp.submitted,
                    created_by=inst_user if plan.index == 0 else None,
                    **fields,
                )
            )
    m.MonthlyReport.objects.bulk_create(reports, batch_size=500)
    return reports, per_inst


# -- warnings, tiers, evaluation ----------------------------------------------------------------


def _warnings(rng, today, last, bureau) -> int:
    monitoring.run_warnings_for([add_months(last, -i) for i in range(12)], today=today)
    warnings = list(m.EarlyWarning.objects.filter(institution__is_demo=True))
    notes = {
        "missing": "已电话催报，机构说明财务人员变动，承诺下月补报。",
        "late": "已提醒按时报送。",
        "anomaly": "已核实，系一次性合同收入，数据属实。",
        "revenue_drop": "已约谈机构负责人，了解订单下滑原因。",
        "rd_drop": "已走访，研发项目阶段性结题，下季度恢复投入。",
        "no_new_firm": "纳入重点跟踪，协调孵化项目对接。",
        "commitment": "已书面提醒孵化承诺进度。",
    }
    changed = []
    for w in warnings:
        age = (last.year - w.period.year) * 12 + last.month - w.period.month
        roll = rng.random()
        if age >= 3 and roll < 0.75:
            w.status, w.note = "resolved", notes[w.kind]
        elif age >= 1 and roll < 0.85:
            w.status, w.note = "acknowledged", notes[w.kind]
        else:
            continue
        changed.append(w)
    m.EarlyWarning.objects.bulk_update(changed, ["status", "note"], batch_size=500)
    return len(warnings)


def _tiers(rng, insts, today, bureau) -> int:
    tier_day = dt.date(today.year, 1, 20)
    if tier_day > today:
        tier_day = dt.date(today.year - 1, 1, 20)
    rows = []
    for inst in insts:
        if inst.established_on and inst.established_on > tier_day:
            continue
        tier, evidence = monitoring.suggest_tier(inst, tier_day)
        if tier is None:
            continue
        confirmed = tier
        if rng.random() < 0.05:  # the bureau kept a lower tier pending the evaluation
            lower = m.Tier.objects.filter(rule_set=tier.rule_set, rank__lt=tier.rank).first()
            confirmed = lower or tier
        rows.append(
            m.TierAssignment(
                institution=inst,
                suggested=tier,
                confirmed=confirmed,
                evidence=evidence,
                as_of=tier_day,
                confirmed_by=bureau,
                confirmed_at=aware(tier_day + dt.timedelta(days=7)),
                created_by=bureau,
            )
        )
        inst.tier = confirmed
    m.TierAssignment.objects.bulk_create(rows)
    m.Institution.objects.bulk_update(insts, ["tier"])
    return len(rows)


def _score_rows(rng, assignment, quality, scored, comments=True):
    rows = []
    for ind in scored:
        value = min(10.0, max(3.0, rng.gauss(5.5 + 3.5 * quality, 0.9)))
        rows.append(
            m.Score(
                assignment=assignment,
                indicator=ind,
                value=Decimal(f"{round(value * 2) / 2:.1f}"),
                comment=(
                    rng.choice(
                        (
                            "现场核查：仪器设备对外开放，共享记录完整。",
                            "服务区内企业数量较多，但成效材料不够具体。",
                            "制度健全，财务独立核算，月报按时报送。",
                            "平台开放程度一般，建议建立预约共享机制。",
                            "孵化企业跟踪服务到位，有典型案例。",
                        )
                    )
                    if comments
                    else ""
                ),
                created_by=assignment.evaluator,
            )
        )
    return rows


def _rounds(rng, insts, plans, today, users, counts) -> None:
    evaluator = users.get("evaluator")
    bureau = users.get("bureau")
    year = today.year - 1
    old, _ = _system(f"{year}版", "新型研发机构绩效评价指标体系", dt.date(year, 1, 1))
    new, _ = _system(
        f"{today.year}版", "新型研发机构绩效评价指标体系", dt.date(today.year, 1, 1), REVISED
    )
    quality = {inst.pk: min(1.0, plan.level / 250) for inst, plan in zip(insts, plans, strict=True)}
    scores = 0
    finished = m.EvaluationRound(
        name=f"{year}年度新型研发机构绩效评价",
        year=year,
        system=old,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 1),
        created_by=bureau,
        is_demo=True,
    )
    finished._skip_changelog = True
    finished.save()
    eligible = [i for i in insts if i.months_operating(finished.period_end) >= old.min_months]
    if evaluator is not None:
        assignments = m.EvaluatorAssignment.objects.bulk_create(
            [
                m.EvaluatorAssignment(
                    round=finished, evaluator=evaluator, institution=i, created_by=bureau
                )
                for i in eligible
            ]
        )
        scored = list(old.indicators.filter(method="scored"))
        rows = []
        for a in assignments:
            rows += _score_rows(rng, a, quality[a.institution_id], scored)
        m.Score.objects.bulk_create(rows, batch_size=500)
        scores += len(rows)
    evaluation.run(finished)
    finished.system._skip_changelog = True
    evaluation.publish(finished)
    published = min(aware(dt.date(year + 1, 3, 20), 15), timezone.now())
    m.EvaluationRound.objects.filter(pk=finished.pk).update(
        computed_at=published - dt.timedelta(days=6), published_at=published
    )
    open_round = m.EvaluationRound(
        name=f"{today.year}年度新型研发机构绩效评价",
        year=today.year,
        system=new,
        period_start=dt.date(today.year, 1, 1),
        period_end=dt.date(today.year, 12, 1),
        created_by=bureau,
        is_demo=True,
    )
    open_round._skip_changelog = True
    open_round.save()
    eligible = [i for i in insts if i.months_operating(open_round.period_end) >= new.min_months]
    assigned = eligible[: max(1, round(len(eligible) * 0.45))]
    if evaluator is not None and assigned:
        assignments = m.EvaluatorAssignment.objects.bulk_create(
            [
                m.EvaluatorAssignment(
                    round=open_round, evaluator=evaluator, institution=i, created_by=bureau
                )
                for i in assigned
            ]
        )
        scored = list(new.indicators.filter(method="scored"))
        rows = []
        for j, a in enumerate(assignments):
            if j < len(assignments) * 0.55:
                rows += _score_rows(rng, a, quality[a.institution_id], scored)
            elif j < len(assignments) * 0.7:
                rows += _score_rows(rng, a, quality[a.institution_id], scored[:1], comments=False)
        m.Score.objects.bulk_create(rows, batch_size=500)
        scores += len(rows)
    counts["evaluation rounds"] = 2
    counts["evaluator scores"] = scores


def _locks(today: dt.date) -> int:
    """Months of the last finished round's year (and before) are locked, at least 3 months back."""
    first = add_months(month_start(today), -MONTHS)
    end = min(dt.date(today.year - 1, 12, 1), add_months(month_start(today), -4))
    existing = set(m.PeriodLock.objects.values_list("period", flat=True))
    locks, p = [], first
    while p <= end:
        if p not in existing:
            locks.append(m.PeriodLock(period=p, note="年度数据已核定", is_demo=True))
        p = add_months(p, 1)
    m.PeriodLock.objects.bulk_create(locks)
    return len(locks)


def parks() -> int:
    """The demo parks with their coordinates (those the bureau has not entered itself)."""
    existing = set(m.Park.objects.values_list("name", flat=True))
    new = [
        m.Park(name=name, kind="park", latitude=D(lat, 5), longitude=D(lng, 5), is_demo=True)
        for name, (lat, lng) in PARK_PLACES.items()
        if name not in existing
    ]
    m.Park.objects.bulk_create(new)
    return len(new)


def generate(context) -> dict:
    rng = random.Random(f"{context.seed}:institutions")
    world, users = context.world, context.users
    today = timezone.localdate()
    now = timezone.now()
    last = add_months(month_start(today), -1)
    counts: dict[str, int] = {}
    _filing, rule = _ensure_rules(today, counts)
    plans = _plans(rng, world, today)
    _events(rng, plans, last)
    used: set[str] = set()
    for plan in plans:
        _firms(rng, plan, last, used)
    insts = [_institution(rng, plan) for plan in plans]
    team = []
    for inst, plan in zip(insts, plans, strict=True):
        team += _team(rng, inst, plan)
    m.Institution.objects.bulk_create(insts)
    m.TeamMember.objects.bulk_create(team, batch_size=500)
    companies = [
        m.ProjectCompany(
            institution=inst,
            name=f.name,
            relation=f.relation,
            credit_code=creditcode.make(rng, QIXIA, creditcode.ENTERPRISE),
            registered_on=f.registered_on,
            registered_capital=f.capital,
            is_high_tech=bool(f.hightech_on and f.hightech_on <= today),
            main_business=f.business,
        )
        for inst, plan in zip(insts, plans, strict=True)
        for f in plan.firms
    ]
    m.ProjectCompany.objects.bulk_create(companies, batch_size=500)
    reports, _ = _reports(rng, plans, insts, rule, today, now, users)
    bureau = users.get("bureau")
    counts["institutions in the registry"] = len(insts)
    counts["parks with coordinates"] = parks()
    counts["team members"] = len(team)
    counts["project companies"] = len(companies)
    counts["monthly reports"] = len(reports)
    counts["locked months"] = _locks(today)
    counts["early warnings"] = _warnings(rng, today, last, bureau)
    counts["tier assignments"] = _tiers(rng, insts, today, bureau)
    _rounds(rng, insts, plans, today, users, counts)
    return counts


# -- flush --------------------------------------------------------------------------------------


def _raw_delete(qs) -> int:
    return qs._raw_delete(qs.db)


def flush() -> dict:
    """Delete the demo rows of this app; demo rule versions still used by real rows are kept."""
    out = {}
    demo_inst = m.Institution.objects.filter(is_demo=True).values("pk")
    demo_round = m.EvaluationRound.objects.filter(is_demo=True).values("pk")
    assignments = m.EvaluatorAssignment.objects.filter(
        institution_id__in=demo_inst
    ) | m.EvaluatorAssignment.objects.filter(round_id__in=demo_round)
    out["evaluator scores"] = _raw_delete(
        m.Score.objects.filter(assignment_id__in=assignments.values("pk"))
    )
    _raw_delete(assignments)
    _raw_delete(
        m.EvaluationResult.objects.filter(institution_id__in=demo_inst)
        | m.EvaluationResult.objects.filter(round_id__in=demo_round)
    )
    out["evaluation rounds"] = _raw_delete(m.EvaluationRound.objects.filter(is_demo=True))
    for model in (
        m.EarlyWarning,
        m.TierAssignment,
        m.MonthlyReport,
        m.ProjectCompany,
        m.TeamMember,
    ):
        out[str(model._meta.verbose_name_plural)] = _raw_delete(
            model.objects.filter(institution_id__in=demo_inst)
        )
    out["institutions in the registry"] = _raw_delete(m.Institution.objects.filter(is_demo=True))
    out["locked months"] = _raw_delete(m.PeriodLock.objects.filter(is_demo=True))
    out["parks and streets"] = _raw_delete(m.Park.objects.filter(is_demo=True))
    systems = m.IndicatorSystem.objects.filter(is_demo=True).exclude(
        pk__in=m.EvaluationRound.objects.values("system_id")
    )
    used_indicators = m.Score.objects.values("indicator_id")
    systems = systems.exclude(indicators__in=used_indicators).values("pk")
    _raw_delete(m.Indicator.objects.filter(system_id__in=systems))
    rules = _raw_delete(m.IndicatorSystem.objects.filter(pk__in=systems))
    rules += _raw_delete(
        m.WarningRule.objects.filter(is_demo=True).exclude(
            pk__in=m.EarlyWarning.objects.values("rule_id")
        )
    )
    tiers = m.Tier.objects.filter(is_demo=True)
    for ref in ("suggested_id", "confirmed_id"):
        tiers = tiers.exclude(pk__in=m.TierAssignment.objects.values(ref))
    tiers = tiers.exclude(pk__in=m.Institution.objects.filter(tier__isnull=False).values("tier_id"))
    rules += _raw_delete(tiers)
    rules += _raw_delete(m.FilingRule.objects.filter(is_demo=True))
    out["rule versions"] = rules
    return out
