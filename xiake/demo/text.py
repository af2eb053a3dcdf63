"""Sentence builders for demo text. Pure functions: every one takes a seeded ``random.Random``.

The words come from :mod:`xiake.demo.vocab`; the builders combine them into titles, abstracts,
indicators and keywords that agree with each other (the keywords are the parts the title was made
of), and into demands written the way an enterprise describes its plant.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from xiake.demo.vocab import (
    DEGREES,
    EXPERT_TITLES,
    GIVEN_CHARS,
    SURNAMES,
    DemandCase,
    Domain,
    Indicator,
)


def person_name(rng: random.Random) -> str:
    """A common Chinese surname and a one- or two-character given name."""
    given = rng.choice(GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(GIVEN_CHARS)
    return rng.choice(SURNAMES) + given


def weighted(rng: random.Random, pairs):
    """Pick from ``[(value, weight), …]``."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class Picker:
    """``weighted`` for a long list used many times: the cumulative weights are computed once."""

    def __init__(self, pairs):
        self.values, weights = zip(*pairs, strict=True)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum)[0]


ENGINEER_TITLES = (
    ("正高级工程师", 3),
    ("高级工程师", 5),
    ("研究员", 2),
    ("副研究员", 2),
    ("工程师", 2),
)


def expert_title(rng: random.Random, academic: bool = True) -> str:
    """教授/研究员… at universities; engineering titles elsewhere."""
    return weighted(rng, EXPERT_TITLES if academic else ENGINEER_TITLES)


def indicator(rng: random.Random, ind: Indicator) -> str:
    value = rng.uniform(ind.lo, ind.hi)
    number = f"{value:.{ind.digits}f}"
    return f"{ind.name}{ind.op}{number}{ind.unit}"


def indicators(rng: random.Random, domain: Domain, k: int) -> list[str]:
    chosen = rng.sample(domain.indicators, min(k, len(domain.indicators)))
    return [indicator(rng, ind) for ind in chosen]


# Patent-style title endings that fit what each domain makes.
PATENT_CLAIM = {
    "materials": "及其制备方法",
    "biomed": "及其制备方法",
    "energy": "及其制备方法",
    "ic": "及其制造方法",
    "ai": "及其实现方法",
    "manufacturing": "及其控制方法",
    "grid": "及其控制方法",
    "rail": "及其制造方法",
    "agri": "及其应用",
    "environment": "及其应用",
}


@dataclass
class AchievementText:
    title: str
    kind: str  # achievement_type code: applied | basic | soft
    summary: str
    technical_indicators: str
    keywords: list[str]
    application_fields: str
    parts: dict = field(default_factory=dict)


def _title(rng: random.Random, d: Domain) -> tuple[str, str, dict, list[str]]:
    """(title, kind, parts, keywords) for one achievement of domain ``d``."""
    m, o, t = rng.choice(d.methods), rng.choice(d.objects), rng.choice(d.tasks)
    adj, p, suf = rng.choice(d.adjs), rng.choice(d.products), rng.choice(d.suffixes)
    scene = rng.choice(d.scenes)
    roll = rng.random()
    tm = t if t.endswith("方法") else t + "方法"  # "…检测方法", never "…方法方法"
    t = t.removesuffix("方法")
    parts = {"method": m, "object": o, "task": t, "adj": adj, "product": p, "scene": scene}
    if roll < 0.26:
        return f"一种基于{m}的{o}{tm}", "applied", parts, [m, o, t]
    if roll < 0.48:
        return f"{adj}{p}{suf}", "applied", parts, [p, adj, scene]
    if roll < 0.60:
        return f"面向{scene}的{o}{t}系统", "applied", parts, [o, t, scene]
    if roll < 0.70:
        how = PATENT_CLAIM.get(d.key, "及其制备方法")
        return f"一种{adj}{p}{how}", "applied", parts, [p, adj, how.removeprefix("及其")]
    if roll < 0.80:
        return f"{o}{t}关键技术及应用", "applied", parts, [o, t, scene]
    if roll < 0.87:
        return f"基于{m}的{o}{t}装置", "applied", parts, [m, o, t]
    if roll < 0.95:
        return f"{o}{t}机理与方法研究", "basic", parts, [o, t, m]
    templates = (
        f"{scene}领域{d.name}技术成果转化路径研究",
        f"南京市{d.name}产业创新发展对策研究",
        f"{scene}{d.name}技术标准体系研究",
    )
    return rng.choice(templates), "soft", parts, [d.name, scene, "成果转化"]


def _summary(
    rng: random.Random, d: Domain, title: str, kind: str, parts: dict, inds: list[str]
) -> str:
    m, o, t, p = parts["method"], parts["object"], parts["task"], parts["product"]
    scene = parts["scene"]
    problem = rng.choice(d.problems)
    steps = rng.sample(d.steps, 2)
    if kind == "soft":
        n = rng.randint(40, 160)
        return (
            f"本研究面向{scene}领域{d.name}产业发展需求，梳理了国内外技术演进趋势与政策环境，"
            f"通过问卷调查与实地走访{n}家企业、高校和新型研发机构，分析了技术供给、转化服务与资本对接"
            f"中的主要堵点。研究提出了“需求牵引—平台支撑—金融赋能”的推进路径和{rng.randint(8, 20)}"
            f"条政策建议，构建了包含{rng.randint(12, 30)}项指标的评价体系。"
            f"成果已被有关部门采纳，为区域{d.name}产业规划和科技成果转化工作提供了决策参考。"
        )
    bg = rng.choice(
        (
            f"{o}广泛应用于{scene}等领域，{problem}。",
            f"随着{scene}产业的快速发展，{o}{t}的需求日益迫切，而{problem}。",
            f"{problem}，已成为制约{scene}领域高质量发展的突出问题。",
        )
    )
    if kind == "basic":
        method = (
            f"本项目围绕{o}{t}中的关键科学问题，综合运用{m}与多尺度表征手段，"
            f"{steps[0]}，{steps[1]}。"
        )
    elif title.startswith("一种基于") or "装置" in title or "系统" in title:
        verb = rng.choice(("提出", "研发", "构建"))
        method = f"本成果{verb}了一种基于{m}的{o}{t}技术方案，{steps[0]}，{steps[1]}。"
    else:
        method = (
            f"项目团队围绕{parts['adj']}{p}开展攻关，{steps[0]}，{steps[1]}，"
            f"形成了具有自主知识产权的成套技术。"
        )
    gain = rng.choice(
        (
            f"综合性能较国内外同类技术提升{rng.randint(12, 45)}%",
            f"生产成本降低{rng.randint(10, 35)}%",
            f"效率提高{rng.randint(2, 6)}倍",
        )
    )
    result = f"经{rng.choice(d.verify)}，{'，'.join(inds[:3])}，{gain}。"
    granted = rng.randint(1, 6)
    ip = f"已申请发明专利{granted + rng.randint(0, 5)}项，其中授权{granted}项。"
    s1, s2 = rng.sample(d.scenes, 2)
    app = rng.choice(
        (
            f"成果已在{rng.randint(2, 15)}家单位推广应用，可应用于{s1}、{s2}等领域，市场前景广阔。",
            f"成果可用于{s1}、{s2}等场景，具备规模化推广条件，拟通过许可或合作实施方式转化。",
            f"目前已完成中试，适用于{s1}和{s2}，欢迎有意向的企业洽谈合作。",
        )
    )
    text = bg + method + result + ip + app
    if len(text) > 400:
        text = bg + method + result + app
    if len(text) > 400:
        text = method + result + app
    return text


def achievement(rng: random.Random, d: Domain) -> AchievementText:
    """Title, abstract, indicators and keywords of one achievement, consistent with each other."""
    title, kind, parts, keywords = _title(rng, d)
    inds = indicators(rng, d, rng.randint(3, 5))
    summary = _summary(rng, d, title, kind, parts, inds)
    extra = [rng.choice(d.fields), d.name.split("/")[0]]
    seen, kws = set(), []
    for k in keywords + extra[: rng.randint(0, 2)]:
        if k and k not in seen:
            seen.add(k)
            kws.append(k)
    s = rng.sample(d.scenes, rng.randint(2, 3))
    return AchievementText(
        title=title,
        kind=kind,
        summary=summary,
        technical_indicators="\n".join(f"{i + 1}. {x}；" for i, x in enumerate(inds)).rstrip("；")
        + "。",
        keywords=kws[:6],
        application_fields="、".join(s),
        parts=parts,
    )


def retitle(rng: random.Random, title: str) -> str:
    """A variant of a title already used by the same owner (the natural key is owner + title)."""
    return title + rng.choice(
        ("及其应用", "（二期）", "及产业化示范", "的改进", "及配套装备", "（升级版）", "及系统集成")
    )


@dataclass
class DemandText:
    title: str
    description: str
    technical_indicators: str
    keywords: list[str]
    preferred_partner: str


def demand(rng: random.Random, d: Domain, case: DemandCase, company: str) -> DemandText:
    """An enterprise demand in plant language: what we make, what goes wrong, what we want."""
    capacity = rng.choice(
        (
            f"年产值约{rng.choice((0.8, 1.2, 2, 3.5, 5, 8))}亿元",
            f"员工{rng.choice((30, 50, 80, 120, 200, 350))}余人",
            f"年销售额{rng.choice((3000, 5000, 8000))}万元左右",
        )
    )
    support = rng.choice(
        (
            "我们可以提供中试场地和生产线配合试验",
            "可以提供样品和现场工况数据",
            "公司有技术团队全程配合，可派人到高校联合攻关",
            "可以先做小批量验证，效果好再批量推广",
        )
    )
    ask = rng.choice(
        (
            f"希望找到{case.want}",
            f"想找高校或研究院合作开发{case.want}",
            f"急需{case.want}，最好有成熟案例",
        )
    )
    description = (
        f"我司主要{'从事' if case.product.endswith(('加工', '服务')) else '生产'}"
        f"{case.product}，{capacity}。目前{case.problem}，{case.consequence}。"
        f"{ask}，要求{case.indicator}。{support}。"
    )
    title = rng.choice((f"{case.short}技术需求", f"求{case.short}解决方案", f"{case.short}"))
    inds = [case.indicator] + indicators(rng, d, rng.randint(1, 2))
    partner = rng.choice(
        (
            "高校或科研院所",
            "有同类项目经验的团队",
            "新型研发机构",
            "不限",
            f"{d.name}方向的高校团队",
        )
    )
    kws = [case.short, case.product, rng.choice(d.fields)]
    return DemandText(
        title=title,
        description=description,
        technical_indicators="；".join(inds) + "。",
        keywords=list(dict.fromkeys(kws)),
        preferred_partner=partner,
    )


def expert_bio(
    rng: random.Random, name: str, title: str, org: str, unit: str, fields: list[str]
) -> str:
    degree = rng.choice(DEGREES)
    return (
        f"{name}，{title}，{degree}，现任职于{org}{unit}。主要从事{'、'.join(fields)}等方向研究，"
        f"主持国家自然科学基金、国家重点研发计划课题等项目{rng.randint(3, 18)}项，"
        f"发表学术论文{rng.randint(20, 160)}篇，授权发明专利{rng.randint(2, 40)}项，"
        f"与{rng.randint(3, 30)}家企业开展过产学研合作。"
    )


def platform_services(rng: random.Random, d: Domain, topic: str) -> str:
    items = rng.sample(
        (
            f"{topic}领域技术咨询",
            "检验检测与分析测试",
            "大型仪器设备共享",
            "中试熟化与工艺验证",
            "联合研发与技术攻关",
            "人才培训与技术交流",
            "标准制定与认证咨询",
            "样品试制与性能评价",
        ),
        rng.randint(3, 5),
    )
    return "；".join(items) + "。"


def equipment(rng: random.Random, d: Domain) -> str:
    items = rng.sample(d.equipment, min(len(d.equipment), rng.randint(3, 6)))
    return "\n".join(f"{x} {rng.randint(1, 4)}台（套）" for x in items)
