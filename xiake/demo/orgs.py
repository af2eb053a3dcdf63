"""Demo organisations: the bureau, an evaluator, universities with faculties and sub-centres,
new R&D institutions, intermediaries (with their Agency records), enterprises, and the alliance.

Everything is bulk-created; the returned :class:`World` tells the catalogue generator which
technical domains each organisation works in, so that records stay consistent with their owner.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from xiake.accounts.models import Organization, OrgType
from xiake.catalog.models import (
    Agency,
    AllianceMember,
    Faculty,
    SubCentre,
    University,
)
from xiake.core.review import ReviewStatus
from xiake.demo import creditcode, text
from xiake.demo.vocab import DOMAIN_BY_KEY, DOMAINS, QIXIA, QIXIA_STREETS, REGIONS, TRADE_NAMES

BUREAU_NAME = "栖霞区科学技术局"
EVALUATOR_NAME = "江苏栖仙科技评估研究院有限公司"
TRANSFER_CENTRE_NAME = "栖霞区技术转移服务中心"

# name, short name, MoE code, authority, in the district, domains, faculties
UNIVERSITIES = (
    (
        "南京大学",
        "南大",
        "10284",
        "教育部",
        True,
        ("materials", "ai", "ic", "biomed", "environment"),
        (
            "现代工程与应用科学学院",
            "电子科学与工程学院",
            "计算机学院",
            "环境学院",
            "生命科学学院",
            "化学化工学院",
            "物理学院",
        ),
    ),
    (
        "东南大学",
        "东大",
        "10286",
        "教育部",
        False,
        ("ic", "ai", "rail", "grid", "materials", "manufacturing"),
        (
            "电子科学与工程学院",
            "集成电路学院",
            "交通学院",
            "电气工程学院",
            "材料科学与工程学院",
            "机械工程学院",
            "生物科学与医学工程学院",
        ),
    ),
    (
        "南京理工大学",
        "南理工",
        "10288",
        "工业和信息化部",
        False,
        ("manufacturing", "materials", "ai", "energy"),
        (
            "机械工程学院",
            "材料科学与工程学院",
            "计算机科学与工程学院",
            "能源与动力工程学院",
            "化学与化工学院",
        ),
    ),
    (
        "南京航空航天大学",
        "南航",
        "10287",
        "工业和信息化部",
        False,
        ("manufacturing", "materials", "ai", "rail"),
        ("航空学院", "能源与动力学院", "机电学院", "材料科学与技术学院", "计算机科学与技术学院"),
    ),
    (
        "河海大学",
        "河海",
        "10294",
        "教育部",
        False,
        ("environment", "energy", "grid", "manufacturing"),
        ("水利水电学院", "环境学院", "能源与电气学院", "机电工程学院", "土木与交通学院"),
    ),
    (
        "南京师范大学",
        "南师大",
        "10319",
        "江苏省",
        True,
        ("ai", "environment", "energy", "agri"),
        (
            "计算机与电子信息学院",
            "环境学院",
            "能源与机械工程学院",
            "食品与制药工程学院",
            "地理科学学院",
        ),
    ),
    (
        "南京邮电大学",
        "南邮",
        "10293",
        "江苏省",
        True,
        ("ic", "ai", "grid", "materials"),
        (
            "通信与信息工程学院",
            "电子与光学工程学院",
            "集成电路科学与工程学院",
            "计算机学院",
            "自动化学院",
            "材料科学与工程学院",
        ),
    ),
    (
        "南京工业大学",
        "南工",
        "10291",
        "江苏省",
        False,
        ("materials", "biomed", "environment", "energy"),
        (
            "材料科学与工程学院",
            "化工学院",
            "生物与制药工程学院",
            "环境科学与工程学院",
            "能源科学与工程学院",
        ),
    ),
    (
        "南京信息工程大学",
        "南信大",
        "10300",
        "江苏省",
        False,
        ("ai", "environment", "ic"),
        ("大气科学学院", "计算机学院", "电子与信息工程学院", "环境科学与工程学院", "人工智能学院"),
    ),
    (
        "南京林业大学",
        "南林",
        "10298",
        "江苏省",
        False,
        ("materials", "agri", "environment", "manufacturing"),
        ("材料科学与工程学院", "林学院", "化学工程学院", "机械电子工程学院", "生态与环境学院"),
    ),
    (
        "南京农业大学",
        "南农",
        "10307",
        "教育部",
        False,
        ("agri", "biomed", "environment"),
        (
            "农学院",
            "园艺学院",
            "植物保护学院",
            "食品科技学院",
            "资源与环境科学学院",
            "动物科技学院",
        ),
    ),
    (
        "中国药科大学",
        "药大",
        "10316",
        "教育部",
        False,
        ("biomed",),
        ("药学院", "中药学院", "生命科学与技术学院", "工学院"),
    ),
    (
        "南京财经大学",
        "南财",
        "10327",
        "江苏省",
        True,
        ("ai", "agri"),
        ("信息工程学院", "食品科学与工程学院", "经济学院"),
    ),
    (
        "南京中医药大学",
        "南中医",
        "10315",
        "江苏省",
        True,
        ("biomed",),
        ("药学院", "中医学院", "医学院", "人工智能与信息技术学院"),
    ),
    (
        "南京医科大学",
        "南医大",
        "10312",
        "江苏省",
        False,
        ("biomed", "ai"),
        ("基础医学院", "药学院", "生物医学工程与信息学院", "公共卫生学院"),
    ),
    (
        "南京审计大学",
        "南审",
        "11287",
        "江苏省",
        False,
        ("ai",),
        ("计算机学院", "统计与数据科学学院", "经济学院"),
    ),
    (
        "南京工程学院",
        "南工程",
        "11276",
        "江苏省",
        False,
        ("grid", "manufacturing", "energy", "ai"),
        ("电力工程学院", "机械工程学院", "能源与动力工程学院", "计算机工程学院", "自动化学院"),
    ),
    (
        "金陵科技学院",
        "金科院",
        "13573",
        "江苏省",
        True,
        ("ai", "manufacturing", "agri"),
        ("软件工程学院", "智能科学与控制工程学院", "机电工程学院", "园艺学院"),
    ),
    (
        "南京晓庄学院",
        "晓庄",
        "11460",
        "江苏省",
        False,
        ("ai", "environment", "agri"),
        ("信息工程学院", "环境科学学院", "食品科学学院"),
    ),
    (
        "南京森林警察学院",
        "森警",
        "12213",
        "国家林业和草原局",
        True,
        ("ai", "environment"),
        ("信息技术学院", "刑事科学技术学院", "治安学院"),
    ),
    (
        "南京特殊教育师范学院",
        "南特师",
        "12048",
        "江苏省",
        True,
        ("ai", "biomed"),
        ("数学与信息科学学院", "康复科学学院", "特殊教育学院"),
    ),
    (
        "江苏第二师范学院",
        "二师",
        "14436",
        "江苏省",
        False,
        ("ai", "environment"),
        ("数学科学学院", "物理与电子工程学院", "生命科学与化学化工学院"),
    ),
)
DEMO_UNIVERSITY = "南京邮电大学"

NRI_TOPICS = {
    "materials": ("先进材料", "功能材料", "先进焊接技术"),
    "ic": ("集成电路", "射频芯片", "新型显示"),
    "ai": ("人工智能", "工业软件", "智能感知"),
    "biomed": ("生物医药", "医疗器械", "中药创新"),
    "manufacturing": ("智能制造", "机器人", "精密装备"),
    "energy": ("储能技术", "氢能", "绿色能源"),
    "grid": ("能源互联网", "电力电子"),
    "rail": ("轨道交通技术",),
    "agri": ("现代农业", "智慧农业"),
    "environment": ("环境技术", "水处理技术"),
}

AGENCY_KINDS = (
    # service type, name pattern, qualification
    ("知识产权代理", "南京{t}知识产权代理有限公司", "国家知识产权局专利代理机构执业许可"),
    ("技术转移服务", "江苏{t}技术转移有限公司", "省级技术转移示范机构"),
    ("成果转化服务", "南京{t}科技成果转化服务有限公司", "南京市技术转移服务机构"),
    ("科技咨询", "南京{t}科技咨询有限公司", "工程咨询单位乙级资信"),
    ("技术评估", "南京{t}资产评估有限公司", "资产评估机构备案"),
    ("法律服务", "江苏{t}律师事务所", "律师事务所执业许可证"),
    ("科技金融", "南京{t}科技金融服务有限公司", "南京市科技金融服务中心合作机构"),
    ("检验检测", "南京{t}检测技术有限公司", "检验检测机构资质认定(CMA)"),
    ("孵化服务", "南京{t}科技企业孵化器有限公司", "国家级科技企业孵化器"),
)

AGENCY_SERVICES = {
    "知识产权代理": "专利申请与布局、商标注册、知识产权贯标、专利导航与分析评议",
    "技术转移服务": "技术需求挖掘、成果评价与筛选、供需对接、技术交易撮合、合同登记辅导",
    "成果转化服务": "成果概念验证、中试熟化对接、作价投资方案设计、转化全流程代办",
    "科技咨询": "科技项目申报辅导、高新技术企业认定咨询、研发费用归集辅导",
    "技术评估": "无形资产评估、技术作价入股评估、科技成果价值评估",
    "法律服务": "技术合同审查、知识产权诉讼与维权、股权激励法律服务",
    "科技金融": "知识产权质押融资、科技贷款对接、天使投资与股权融资对接",
    "检验检测": "材料理化分析、产品性能检测、可靠性与环境试验、检测报告出具",
    "孵化服务": "场地租赁、创业辅导、投融资对接、政策申报与企业服务",
}


@dataclass
class World:
    """What the catalogue generator needs to know about the demo organisations."""

    bureau: Organization = None
    evaluator: Organization = None
    transfer_centre: Organization = None
    universities: list[Organization] = field(default_factory=list)
    university_records: dict[int, University] = field(default_factory=dict)
    faculties: dict[int, list[str]] = field(default_factory=dict)  # org id → faculty names
    nris: list[Organization] = field(default_factory=list)
    intermediaries: list[Organization] = field(default_factory=list)
    enterprises: list[Organization] = field(default_factory=list)
    domains: dict[int, tuple[str, ...]] = field(default_factory=dict)  # org id → domain keys
    counts: dict[str, int] = field(default_factory=dict)

    def domain_of(self, rng: random.Random, org: Organization):
        return DOMAIN_BY_KEY[rng.choice(self.domains[org.pk])]


class _Codes:
    """Unique credit codes and phone numbers from one generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def credit(self, region: str, kind=creditcode.ENTERPRISE) -> str:
        while True:
            code = creditcode.make(self.rng, region, kind)
            if code not in self.seen:
                self.seen.add(code)
                return code


def phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"025-{rng.choice('58')}{rng.randint(1000000, 9999999)}"
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def qixia_address(rng: random.Random) -> str:
    return f"南京市栖霞区{rng.choice(QIXIA_STREETS)}{rng.randint(1, 399)}号"


def _org(rng, codes, name, org_type, region=QIXIA, kind=creditcode.ENTERPRISE, **extra):
    district = dict(REGIONS)[region]
    road = rng.choice(("中山路", "龙蟠路", "汉中路", "江东中路", "宁双路", "天元路"))
    return Organization(
        name=name,
        org_type=org_type,
        credit_code=codes.credit(region, kind),
        region_code=region,
        is_local=region == QIXIA,
        address=qixia_address(rng)
        if region == QIXIA
        else f"南京市{district}{road}{rng.randint(1, 500)}号",
        contact_name=text.person_name(rng),
        contact_phone=phone(rng),
        is_demo=True,
        **extra,
    )


def _enterprise_names(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(name, domain key) for ``n`` enterprises with distinct names."""
    names, out = set(), []
    weights = {
        "materials": 14,
        "ic": 11,
        "ai": 16,
        "biomed": 11,
        "manufacturing": 14,
        "energy": 9,
        "grid": 8,
        "rail": 5,
        "agri": 6,
        "environment": 8,
    }
    keys = [d.key for d in DOMAINS]
    while len(out) < n:
        key = rng.choices(keys, weights=[weights[k] for k in keys])[0]
        d = DOMAIN_BY_KEY[key]
        trade = rng.choice(TRADE_NAMES)
        if rng.random() < 0.2:
            trade += rng.choice(TRADE_NAMES)
        suffix = "股份有限公司" if rng.random() < 0.12 else "有限公司"
        name = f"南京{trade}{rng.choice(d.company_words)}{suffix}"
        if name not in names:
            names.add(name)
            out.append((name, key))
    return out


def build(
    rng: random.Random,
    *,
    enterprises: int = 320,
    nris: int = 53,
    intermediaries: int = 54,
    sub_centres: int = 12,
    alliance: int = 38,
) -> World:
    """Create the demo organisations and their university, faculty, agency and alliance records."""
    codes = _Codes(rng)
    w = World()
    orgs: list[Organization] = []

    w.bureau = _org(
        rng,
        codes,
        BUREAU_NAME,
        OrgType.GOVERNMENT,
        kind=creditcode.GOVERNMENT,
        short_name="区科技局",
        description="栖霞区人民政府主管全区科学技术工作的工作部门。",
    )
    w.evaluator = _org(
        rng,
        codes,
        EVALUATOR_NAME,
        OrgType.EVALUATOR,
        short_name="栖仙评估",
        description="从事科技评估、绩效评价和新型研发机构第三方评估的专业机构。",
    )
    orgs += [w.bureau, w.evaluator]

    uni_orgs = []
    for name, short, _code, _auth, local, domains, _fac in UNIVERSITIES:
        o = _org(
            rng,
            codes,
            name,
            OrgType.UNIVERSITY,
            region=QIXIA if local else rng.choice([r for r, _ in REGIONS[1:]]),
            kind=creditcode.PUBLIC_INSTITUTION,
            short_name=short,
            website="",
            description=f"{name}是南京地区高水平大学，在"
            f"{'、'.join(DOMAIN_BY_KEY[d].name for d in domains)}等领域具有较强科研实力。",
        )
        uni_orgs.append((o, domains))
        orgs.append(o)

    nri_orgs, nri_names = [], set()
    local_unis = [u for u in UNIVERSITIES if u[4]]
    while len(nri_orgs) < nris:
        i = len(nri_orgs)
        if i < 11:  # co-built with a local university
            uni = local_unis[i % len(local_unis)]
            key = rng.choice(uni[5])
            name = f"{uni[1]}（栖霞）{rng.choice(NRI_TOPICS[key])}研究院"
        else:
            key = rng.choice([d.key for d in DOMAINS])
            name = f"南京{rng.choice(TRADE_NAMES)}{rng.choice(NRI_TOPICS[key])}研究院有限公司"
        if name in nri_names:
            continue
        nri_names.add(name)
        kind = (
            creditcode.PRIVATE_NON_ENTERPRISE if name.endswith("研究院") else creditcode.ENTERPRISE
        )
        d = DOMAIN_BY_KEY[key]
        o = _org(
            rng,
            codes,
            name,
            OrgType.NRI,
            kind=kind,
            description=f"聚焦{d.name}领域的新型研发机构，采用“研发团队+转化平台+产业公司+产业基金”"
            f"四位一体模式运营。",
        )
        second = rng.choice([x.key for x in DOMAINS])
        nri_orgs.append((o, (key,) if rng.random() < 0.6 else (key, second)))
        orgs.append(o)

    w.transfer_centre = _org(
        rng,
        codes,
        TRANSFER_CENTRE_NAME,
        OrgType.INTERMEDIARY,
        kind=creditcode.PUBLIC_INSTITUTION,
        short_name="区技转中心",
        description="区技术转移市场的运营服务机构，负责技术经理人队伍建设和供需对接。",
    )
    inter = [
        (w.transfer_centre, ("技术转移服务", "成果转化服务", "科技咨询"), "省级技术转移示范机构")
    ]
    names = {TRANSFER_CENTRE_NAME}
    while len(inter) < intermediaries:
        stype, pattern, qual = AGENCY_KINDS[len(inter) % len(AGENCY_KINDS)]
        name = pattern.format(t=rng.choice(TRADE_NAMES))
        if name in names:
            continue
        names.add(name)
        region = QIXIA if rng.random() < 0.7 else rng.choice([r for r, _ in REGIONS[1:]])
        o = _org(
            rng,
            codes,
            name,
            OrgType.INTERMEDIARY,
            region=region,
            description=f"提供{AGENCY_SERVICES[stype]}等服务。",
        )
        extra = tuple(s for s in rng.sample(list(AGENCY_SERVICES), 2) if s != stype)
        inter.append((o, (stype, *extra[:1]), qual))
    orgs += [o for o, _, _ in inter]

    ent = []
    for name, key in _enterprise_names(rng, enterprises):
        region = QIXIA if rng.random() < 0.7 else rng.choice([r for r, _ in REGIONS[1:]])
        d = DOMAIN_BY_KEY[key]
        o = _org(
            rng,
            codes,
            name,
            OrgType.ENTERPRISE,
            region=region,
            description=f"专注于{rng.choice(d.fields)}相关产品的研发、生产和销售，"
            f"{'国家高新技术企业' if rng.random() < 0.5 else '科技型中小企业'}。",
        )
        ent.append((o, (key,)))
        orgs.append(o)

    Organization.objects.bulk_create(orgs, batch_size=500)

    w.universities = [o for o, _ in uni_orgs]
    w.nris = [o for o, _ in nri_orgs]
    w.intermediaries = [o for o, _, _ in inter]
    w.enterprises = [o for o, _ in ent]
    for o, doms in uni_orgs + nri_orgs + ent:
        w.domains[o.pk] = tuple(doms)
    for o in w.intermediaries + [w.bureau, w.evaluator]:
        w.domains[o.pk] = tuple(d.key for d in DOMAINS)

    # Universities, faculties, sub-centres.
    unis, faculties = [], []
    for (o, doms), spec in zip(uni_orgs, UNIVERSITIES, strict=True):
        name, _short, code, auth, local, _d, facs = spec
        unis.append(
            University(
                name=name,
                owner_org=o,
                code=code,
                authority=auth,
                city="南京市",
                is_local=local,
                transfer_office=name
                + ("技术转移中心" if rng.random() < 0.6 else "科学技术研究院成果转化办公室"),
                description=o.description,
                status=ReviewStatus.PUBLISHED,
                is_demo=True,
            )
        )
        w.faculties[o.pk] = list(facs)
        for fac in facs:
            d = DOMAIN_BY_KEY[next((k for k in doms if fac in DOMAIN_BY_KEY[k].faculties), doms[0])]
            faculties.append((o.pk, fac, "、".join(rng.sample(d.fields, 3))))
    University.objects.bulk_create(unis)
    w.university_records = {u.owner_org_id: u for u in unis}
    Faculty.objects.bulk_create(
        [
            Faculty(university=w.university_records[oid], name=fac, research_fields=fields)
            for oid, fac, fields in faculties
        ]
    )
    local_first = sorted(unis, key=lambda u: (not u.is_local, UNIVERSITIES_ORDER[u.name]))
    SubCentre.objects.bulk_create(
        [
            SubCentre(
                university=u,
                name=f"{u.name}技术转移栖霞分中心",
                established_on=dt.date(2019 + i % 5, 1 + (i * 5) % 12, 1 + (i * 7) % 27),
                director=text.person_name(rng),
                services="成果发布与路演、企业需求对接、技术经纪服务、校地联合攻关项目组织",
                contact_name=text.person_name(rng),
                contact_phone=phone(rng),
                contact_email=f"subcentre{i + 1:02d}@example.edu.cn",
            )
            for i, u in enumerate(local_first[:sub_centres])
        ]
    )

    # Agencies for every intermediary.
    agencies = []
    for o, stypes, qual in inter:
        agencies.append(
            Agency(
                name=o.name,
                owner_org=o,
                service_types="、".join(stypes),
                services="；".join(AGENCY_SERVICES[s] for s in stypes) + "。",
                qualification=qual,
                address=o.address,
                contact_name=o.contact_name,
                contact_phone=o.contact_phone,
                contact_email=f"agency{len(agencies) + 1:02d}@example.com",
                status=ReviewStatus.PUBLISHED if rng.random() < 0.93 else ReviewStatus.PENDING,
                is_demo=True,
            )
        )
    Agency.objects.bulk_create(agencies)

    # The alliance: universities first, then institutions and intermediaries.
    members = w.universities + w.nris[:8] + w.intermediaries[: max(0, alliance - 30)]
    roles = {
        "南京大学": AllianceMember.MemberRole.CHAIR,
        "东南大学": AllianceMember.MemberRole.VICE_CHAIR,
        "南京邮电大学": AllianceMember.MemberRole.VICE_CHAIR,
        "南京师范大学": AllianceMember.MemberRole.VICE_CHAIR,
    }
    AllianceMember.objects.bulk_create(
        [
            AllianceMember(
                owner_org=o,
                member_role=roles.get(
                    o.name,
                    AllianceMember.MemberRole.COUNCIL
                    if i < 12
                    else AllianceMember.MemberRole.MEMBER,
                ),
                joined_on=dt.date(2020 + (i % 4), 3 + (i % 9), 1 + (i * 3) % 27),
            )
            for i, o in enumerate(members[:alliance])
        ]
    )
    w.counts.update(
        {
            "organisations": len(orgs),
            "universities": len(unis),
            "faculties": len(faculties),
            "sub-centres": min(sub_centres, len(unis)),
            "alliance members": min(alliance, len(members)),
            "new R&D institutions": len(w.nris),
            "intermediaries": len(agencies),
            "enterprises": len(w.enterprises),
        }
    )
    return w


UNIVERSITIES_ORDER = {u[0]: i for i, u in enumerate(UNIVERSITIES)}
