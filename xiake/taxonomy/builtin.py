"""Classification lists that ship with the product.

Typed from the published standards (GB/T 4754-2017, GB/T 13745-2009, 战略性新兴产业分类(2018),
the high-tech field list of 国科发火〔2016〕32号, GB/T 22900) and from the domain notes. Only the
upper levels ship; the full tables (1,380 GB/T 4754 classes, 3,000+ disciplines, 77k IPC groups)
are loaded from files with ``xiake load_taxonomy --scheme … --file …``.

This module holds plain data only (no model imports) so the data migration
``0002_builtin_schemes`` and ``load_taxonomy --builtin`` can both read it. Everything here is
*data*: an administrator can edit names, add versions and switch the current version without a
code change. The local industrial chains in particular change with each city plan.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinTerm:
    """One term of a built-in scheme; ``parent`` is the parent's code within the same scheme."""

    code: str
    name: str
    parent: str = ""
    level: int = 1
    name_en: str = ""
    note: str = ""


@dataclass(frozen=True)
class BuiltinScheme:
    """One version of a built-in scheme; ``current``: made current on first load."""

    code: str
    name: str
    version: str
    source: str
    terms: tuple[BuiltinTerm, ...]
    effective_from: str | None = None  # ISO date
    effective_to: str | None = None
    current: bool = True


def _flat(rows, level: int = 1) -> tuple[BuiltinTerm, ...]:
    """Terms from ``(code, name[, name_en])`` rows on one level."""
    return tuple(
        BuiltinTerm(r[0], r[1], level=level, name_en=r[2] if len(r) > 2 else "") for r in rows
    )


# --- GB/T 4754-2017 国民经济行业分类: 20 门类 and 97 大类 ---------------------------------------

GBT4754_SECTIONS = [
    # code, name, first division, last division, English name
    ("A", "农、林、牧、渔业", 1, 5, "Agriculture, forestry, animal husbandry and fishery"),
    ("B", "采矿业", 6, 12, "Mining"),
    ("C", "制造业", 13, 43, "Manufacturing"),
    (
        "D",
        "电力、热力、燃气及水生产和供应业",
        44,
        46,
        "Production and supply of electricity, heat, gas and water",
    ),
    ("E", "建筑业", 47, 50, "Construction"),
    ("F", "批发和零售业", 51, 52, "Wholesale and retail trade"),
    ("G", "交通运输、仓储和邮政业", 53, 60, "Transport, storage and postal services"),
    ("H", "住宿和餐饮业", 61, 62, "Accommodation and catering"),
    (
        "I",
        "信息传输、软件和信息技术服务业",
        63,
        65,
        "Information transmission, software and information technology services",
    ),
    ("J", "金融业", 66, 69, "Finance"),
    ("K", "房地产业", 70, 70, "Real estate"),
    ("L", "租赁和商务服务业", 71, 72, "Leasing and business services"),
    ("M", "科学研究和技术服务业", 73, 75, "Scientific research and technical services"),
    (
        "N",
        "水利、环境和公共设施管理业",
        76,
        79,
        "Water conservancy, environment and public facilities management",
    ),
    ("O", "居民服务、修理和其他服务业", 80, 82, "Resident services, repair and other services"),
    ("P", "教育", 83, 83, "Education"),
    ("Q", "卫生和社会工作", 84, 85, "Health and social work"),
    ("R", "文化、体育和娱乐业", 86, 90, "Culture, sports and entertainment"),
    (
        "S",
        "公共管理、社会保障和社会组织",
        91,
        96,
        "Public administration, social security and social organisations",
    ),
    ("T", "国际组织", 97, 97, "International organisations"),
]

GBT4754_DIVISIONS = {
    1: "农业",
    2: "林业",
    3: "畜牧业",
    4: "渔业",
    5: "农、林、牧、渔专业及辅助性活动",
    6: "煤炭开采和洗选业",
    7: "石油和天然气开采业",
    8: "黑色金属矿采选业",
    9: "有色金属矿采选业",
    10: "非金属矿采选业",
    11: "开采专业及辅助性活动",
    12: "其他采矿业",
    13: "农副食品加工业",
    14: "食品制造业",
    15: "酒、饮料和精制茶制造业",
    16: "烟草制品业",
    17: "纺织业",
    18: "纺织服装、服饰业",
    19: "皮革、毛皮、羽毛及其制品和制鞋业",
    20: "木材加工和木、竹、藤、棕、草制品业",
    21: "家具制造业",
    22: "造纸和纸制品业",
    23: "印刷和记录媒介复制业",
    24: "文教、工美、体育和娱乐用品制造业",
    25: "石油、煤炭及其他燃料加工业",
    26: "化学原料和化学制品制造业",
    27: "医药制造业",
    28: "化学纤维制造业",
    29: "橡胶和塑料制品业",
    30: "非金属矿物制品业",
    31: "黑色金属冶炼和压延加工业",
    32: "有色金属冶炼和压延加工业",
    33: "金属制品业",
    34: "通用设备制造业",
    35: "专用设备制造业",
    36: "汽车制造业",
    37: "铁路、船舶、航空航天和其他运输设备制造业",
    38: "电气机械和器材制造业",
    39: "计算机、通信和其他电子设备制造业",
    40: "仪器仪表制造业",
    41: "其他制造业",
    42: "废弃资源综合利用业",
    43: "金属制品、机械和设备修理业",
    44: "电力、热力生产和供应业",
    45: "燃气生产和供应业",
    46: "水的生产和供应业",
    47: "房屋建筑业",
    48: "土木工程建筑业",
    49: "建筑安装业",
    50: "建筑装饰、装修和其他建筑业",
    51: "批发业",
    52: "零售业",
    53: "铁路运输业",
    54: "道路运输业",
    55: "水上运输业",
    56: "航空运输业",
    57: "管道运输业",
    58: "多式联运和运输代理业",
    59: "装卸搬运和仓储业",
    60: "邮政业",
    61: "住宿业",
    62: "餐饮业",
    63: "电信、广播电视和卫星传输服务",
    64: "互联网和相关服务",
    65: "软件和信息技术服务业",
    66: "货币金融服务",
    67: "资本市场服务",
    68: "保险业",
    69: "其他金融业",
    70: "房地产业",
    71: "租赁业",
    72: "商务服务业",
    73: "研究和试验发展",
    74: "专业技术服务业",
    75: "科技推广和应用服务业",
    76: "水利管理业",
    77: "生态保护和环境治理业",
    78: "公共设施管理业",
    79: "土地管理业",
    80: "居民服务业",
    81: "机动车、电子产品和日用产品修理业",
    82: "其他服务业",
    83: "教育",
    84: "卫生",
    85: "社会工作",
    86: "新闻和出版业",
    87: "广播、电视、电影和录音制作业",
    88: "文化艺术业",
    89: "体育",
    90: "娱乐业",
    91: "中国共产党机关",
    92: "国家机构",
    93: "人民政协、民主党派",
    94: "社会保障",
    95: "群众团体、社会团体和其他成员组织",
    96: "基层群众自治组织及其他组织",
    97: "国际组织",
}


def _gbt4754_terms() -> tuple[BuiltinTerm, ...]:
    terms = []
    for code, name, first, last, name_en in GBT4754_SECTIONS:
        terms.append(BuiltinTerm(code, name, level=1, name_en=name_en))
        for number in range(first, last + 1):
            terms.append(BuiltinTerm(f"{number:02d}", GBT4754_DIVISIONS[number], code, 2))
    return tuple(terms)


# --- GB/T 13745-2009 学科分类与代码: 5 门类 and the 62 一级学科 ----------------------------------

GBT13745_GROUPS = [
    ("A", "自然科学", "Natural sciences"),
    ("B", "农业科学", "Agricultural sciences"),
    ("C", "医药科学", "Medical sciences"),
    ("D", "工程与技术科学", "Engineering and technology"),
    ("E", "人文与社会科学", "Humanities and social sciences"),
]

GBT13745_DISCIPLINES = [
    ("A", "110", "数学"),
    ("A", "120", "信息科学与系统科学"),
    ("A", "130", "力学"),
    ("A", "140", "物理学"),
    ("A", "150", "化学"),
    ("A", "160", "天文学"),
    ("A", "170", "地球科学"),
    ("A", "180", "生物学"),
    ("A", "190", "心理学"),
    ("B", "210", "农学"),
    ("B", "220", "林学"),
    ("B", "230", "畜牧、兽医科学"),
    ("B", "240", "水产学"),
    ("C", "310", "基础医学"),
    ("C", "320", "临床医学"),
    ("C", "330", "预防医学与公共卫生学"),
    ("C", "340", "军事医学与特种医学"),
    ("C", "350", "药学"),
    ("C", "360", "中医学与中药学"),
    ("D", "410", "工程与技术科学基础学科"),
    ("D", "413", "信息与系统科学相关工程与技术"),
    ("D", "416", "自然科学相关工程与技术"),
    ("D", "420", "测绘科学技术"),
    ("D", "430", "材料科学"),
    ("D", "440", "矿山工程技术"),
    ("D", "450", "冶金工程技术"),
    ("D", "460", "机械工程"),
    ("D", "470", "动力与电气工程"),
    ("D", "480", "能源科学技术"),
    ("D", "490", "核科学技术"),
    ("D", "510", "电子与通信技术"),
    ("D", "520", "计算机科学技术"),
    ("D", "530", "化学工程"),
    ("D", "535", "产品应用相关工程与技术"),
    ("D", "540", "纺织科学技术"),
    ("D", "550", "食品科学技术"),
    ("D", "560", "土木建筑工程"),
    ("D", "570", "水利工程"),
    ("D", "580", "交通运输工程"),
    ("D", "590", "航空、航天科学技术"),
    ("D", "610", "环境科学技术及资源科学技术"),
    ("D", "620", "安全科学技术"),
    ("D", "630", "管理学"),
    ("E", "710", "马克思主义"),
    ("E", "720", "哲学"),
    ("E", "730", "宗教学"),
    ("E", "740", "语言学"),
    ("E", "750", "文学"),
    ("E", "760", "艺术学"),
    ("E", "770", "历史学"),
    ("E", "780", "考古学"),
    ("E", "790", "经济学"),
    ("E", "810", "政治学"),
    ("E", "820", "法学"),
    ("E", "830", "军事学"),
    ("E", "840", "社会学"),
    ("E", "850", "民族学与文化学"),
    ("E", "860", "新闻学与传播学"),
    ("E", "870", "图书馆、情报与文献学"),
    ("E", "880", "教育学"),
    ("E", "890", "体育科学"),
    ("E", "910", "统计学"),
]


def _gbt13745_terms() -> tuple[BuiltinTerm, ...]:
    terms = []
    for group, name, name_en in GBT13745_GROUPS:
        terms.append(BuiltinTerm(group, name, level=0, name_en=name_en))
        terms.extend(
            BuiltinTerm(code, disc, group, 1)
            for g, code, disc in GBT13745_DISCIPLINES
            if g == group
        )
    return tuple(terms)


# --- The smaller national lists -----------------------------------------------------------------

SEI2018 = [
    ("1", "新一代信息技术产业", "New-generation information technology"),
    ("2", "高端装备制造产业", "High-end equipment manufacturing"),
    ("3", "新材料产业", "New materials"),
    ("4", "生物产业", "Biotechnology"),
    ("5", "新能源汽车产业", "New energy vehicles"),
    ("6", "新能源产业", "New energy"),
    ("7", "节能环保产业", "Energy saving and environmental protection"),
    ("8", "数字创意产业", "Digital creative industries"),
    ("9", "相关服务业", "Related services"),
]

HIGHTECH8 = [
    ("1", "电子信息", "Electronic information"),
    ("2", "生物与新医药", "Biotechnology and new medicine"),
    ("3", "航空航天", "Aerospace"),
    ("4", "新材料", "New materials"),
    ("5", "高技术服务", "High-tech services"),
    ("6", "新能源与节能", "New energy and energy saving"),
    ("7", "资源与环境", "Resources and environment"),
    ("8", "先进制造与自动化", "Advanced manufacturing and automation"),
]

TRL = [
    ("1", "发现基本原理", "Basic principles observed"),
    ("2", "形成技术概念或开发方案", "Technology concept or development plan formulated"),
    ("3", "关键功能分析和实验结论成立", "Key function analysed and experimentally confirmed"),
    ("4", "研究室环境中关键部件验证", "Key components validated in the laboratory"),
    ("5", "相关环境中关键部件验证", "Key components validated in a relevant environment"),
    ("6", "相关环境中系统样机演示", "System prototype demonstrated in a relevant environment"),
    ("7", "实际环境中系统样机试验", "System prototype tested in the real environment"),
    ("8", "实际系统完成并通过验证", "Actual system completed and qualified"),
    ("9", "实际任务运行成功，可销售", "Actual system proven in operation, ready for sale"),
]

STAGE = [
    ("early", "初期(实验室/小试)", "Early (laboratory / small-scale test)"),
    ("middle", "中期(中试)", "Middle (pilot test)"),
    ("mature", "成熟应用", "Mature application"),
]

COOP_MODE = [
    ("self", "自行投资实施", "Own investment and implementation"),
    ("transfer", "转让", "Transfer"),
    ("license", "许可", "Licence"),
    ("joint", "合作实施", "Joint implementation"),
    ("equity", "作价投资", "Investment as equity"),
    ("other", "其他", "Other"),
]

IP_TYPE = [
    ("invention", "发明专利", "Invention patent"),
    ("utility", "实用新型", "Utility model"),
    ("design", "外观设计", "Industrial design"),
    ("software", "软件著作权", "Software copyright"),
    ("ic_layout", "集成电路布图设计", "Integrated circuit layout design"),
    ("plant_variety", "植物新品种", "Plant variety"),
    ("know_how", "技术秘密", "Know-how"),
    ("other", "其他", "Other"),
]

ACHIEVEMENT_TYPE = [
    ("applied", "应用技术", "Applied technology"),
    ("basic", "基础理论", "Basic theory"),
    ("soft", "软科学", "Soft science"),
]

DEMAND_TYPE = [
    ("tackling", "技术攻关", "Technical problem solving"),
    ("introduction", "成果引进", "Achievement introduction"),
    ("talent", "人才", "Talent"),
    ("testing", "检测服务", "Testing services"),
    ("other", "其他", "Other"),
]

PLATFORM_TYPE = [
    ("national_key_lab", "国家重点实验室", "State key laboratory"),
    ("provincial_key_lab", "省重点实验室", "Provincial key laboratory"),
    ("engineering_center", "工程技术研究中心", "Engineering technology research centre"),
    ("enterprise_tech_center", "企业技术中心", "Enterprise technology centre"),
    ("public_service", "公共技术服务平台", "Public technology service platform"),
    ("instrument_sharing", "大型仪器共享平台", "Large instrument sharing platform"),
    ("pilot_base", "中试基地", "Pilot-scale base"),
    ("other", "其他", "Other"),
]

PLATFORM_LEVEL = [
    ("national", "国家级", "National"),
    ("provincial", "省级", "Provincial"),
    ("municipal", "市级", "Municipal"),
    ("district", "区级", "District"),
]

# --- Local industrial chains (Nanjing); editable data, verify against the current city plan ------

CHAIN_2021 = [
    ("smart_grid", "新型电力(智能电网)", "New power systems (smart grid)"),
    ("nev", "新能源汽车", "New energy vehicles"),
    ("ic", "集成电路", "Integrated circuits"),
    ("biomed", "生物医药", "Biomedicine"),
    ("software", "软件和信息服务", "Software and information services"),
    ("ai", "新一代人工智能", "New-generation artificial intelligence"),
    ("rail", "轨道交通", "Rail transit"),
    ("smart_equipment", "智能制造装备", "Intelligent manufacturing equipment"),
]

CHAIN_2023 = [
    ("software", "软件和信息服务", "Software and information services"),
    ("smart_grid", "新型电力(智能电网)", "New power systems (smart grid)"),
    ("nev", "新能源汽车", "New energy vehicles"),
    ("ic", "集成电路", "Integrated circuits"),
    ("biomed", "生物医药", "Biomedicine"),
    ("ai", "新一代人工智能", "New-generation artificial intelligence"),
    ("rail", "轨道交通", "Rail transit"),
    ("smart_equipment", "智能制造装备", "Intelligent manufacturing equipment"),
    ("new_materials", "新材料", "New materials"),
    ("aerospace", "航空航天", "Aerospace"),
    ("display", "新型显示", "New display technology"),
    ("green_energy", "节能环保与新能源", "Energy saving, environmental protection and new energy"),
]


# --- Technology contracts (domain.md §2): categories, licence scope, party types, fields ---------

CONTRACT_TYPE = (
    BuiltinTerm("development", "技术开发", name_en="Technology development"),
    BuiltinTerm(
        "development_commissioned", "委托开发", "development", 2, "Commissioned development"
    ),
    BuiltinTerm("development_cooperative", "合作开发", "development", 2, "Cooperative development"),
    BuiltinTerm("transfer", "技术转让", name_en="Technology transfer"),
    BuiltinTerm("transfer_patent", "专利权转让", "transfer", 2, "Patent right transfer"),
    BuiltinTerm(
        "transfer_application", "专利申请权转让", "transfer", 2, "Patent application right transfer"
    ),
    BuiltinTerm("transfer_know_how", "技术秘密转让", "transfer", 2, "Know-how transfer"),
    BuiltinTerm(
        "transfer_other",
        "其他技术转让",
        "transfer",
        2,
        "Other transfer",
        "集成电路布图设计、植物新品种、计算机软件著作权等；技术入股按技术转让登记",
    ),
    BuiltinTerm("license", "技术许可", name_en="Technology licence"),
    BuiltinTerm("license_patent", "专利实施许可", "license", 2, "Patent licence"),
    BuiltinTerm("license_know_how", "技术秘密使用许可", "license", 2, "Know-how licence"),
    BuiltinTerm("consulting", "技术咨询", name_en="Technical consulting"),
    BuiltinTerm("service", "技术服务", name_en="Technical service"),
    BuiltinTerm(
        "training", "技术培训", name_en="Technical training", note="参照技术服务登记，单独统计"
    ),
    BuiltinTerm(
        "intermediary", "技术中介", name_en="Technology brokerage", note="参照技术服务登记"
    ),
)

LICENSE_SCOPE = [
    ("exclusive", "独占许可", "Exclusive licence"),
    ("sole", "排他许可", "Sole licence"),
    ("ordinary", "普通许可", "Ordinary licence"),
]

PARTY_TYPE = (
    BuiltinTerm("010", "机关", name_en="Government agency"),
    BuiltinTerm("020", "事业单位", name_en="Public institution"),
    BuiltinTerm("021", "科研机构", "020", 2, "Research institute"),
    BuiltinTerm("022", "高等院校", "020", 2, "Higher education institution"),
    BuiltinTerm("023", "医疗卫生", "020", 2, "Medical and health institution"),
    BuiltinTerm("030", "社会团体", name_en="Social organisation"),
    BuiltinTerm("100", "内资企业", name_en="Domestic enterprise"),
    BuiltinTerm(
        "200", "港澳台商投资企业", name_en="Hong Kong, Macao or Taiwan invested enterprise"
    ),
    BuiltinTerm("300", "外商投资企业", name_en="Foreign-invested enterprise"),
    BuiltinTerm("400", "个人", name_en="Individual"),
)

# The technical fields of the national technology-market statistics (全国技术市场统计年报).
# Slug codes: the registry's numeric codes are not verified [U].
CONTRACT_FIELD = [
    ("electronics", "电子信息", "Electronic information"),
    ("aerospace", "航空航天", "Aerospace"),
    ("manufacturing", "先进制造", "Advanced manufacturing"),
    ("biomedicine", "生物、医药和医疗器械", "Biology, medicine and medical devices"),
    ("materials", "新材料及其应用", "New materials and applications"),
    ("energy", "新能源与高效节能", "New energy and energy efficiency"),
    ("environment", "环境保护与资源综合利用", "Environment and resource utilisation"),
    ("nuclear", "核应用技术", "Nuclear applications"),
    ("agriculture", "农业", "Agriculture"),
    ("transport", "现代交通", "Modern transport"),
    ("urban", "城市建设与社会发展", "Urban construction and social development"),
]

CONTRACT_SCHEMES: tuple[BuiltinScheme, ...] = (
    BuiltinScheme(
        "contract_type",
        "技术合同类别",
        "2021",
        "中华人民共和国民法典 第二十章 技术合同（第851、862、863、878、887条）；"
        "技术合同认定规则（2001）第43条",
        CONTRACT_TYPE,
        effective_from="2021-01-01",
    ),
    BuiltinScheme(
        "license_scope",
        "技术许可范围",
        "2021",
        "民法典 第863条；专利实施许可合同备案办法",
        _flat(LICENSE_SCOPE),
        effective_from="2021-01-01",
    ),
    BuiltinScheme(
        "party_type",
        "技术合同当事人类型",
        "JJ-001",
        "技术合同登记表（JJ-001）当事人类型代码",
        PARTY_TYPE,
    ),
    BuiltinScheme(
        "contract_field",
        "技术合同技术领域",
        "1",
        "全国技术市场统计年报 技术领域分类（编码未核实）",
        _flat(CONTRACT_FIELD),
    ),
)

SCHEMES: tuple[BuiltinScheme, ...] = (
    BuiltinScheme(
        "gbt4754",
        "国民经济行业分类",
        "2017",
        "GB/T 4754-2017（门类与大类）",
        _gbt4754_terms(),
        effective_from="2017-10-01",
    ),
    BuiltinScheme(
        "gbt13745",
        "学科分类与代码",
        "2009",
        "GB/T 13745-2009（门类与一级学科）",
        _gbt13745_terms(),
        effective_from="2009-11-01",
    ),
    BuiltinScheme(
        "sei2018",
        "战略性新兴产业分类",
        "2018",
        "国家统计局令第23号 战略性新兴产业分类(2018)（大类）",
        _flat(SEI2018),
    ),
    BuiltinScheme(
        "hightech8",
        "国家重点支持的高新技术领域",
        "2016",
        "高新技术企业认定管理办法 附件（国科发火〔2016〕32号）（一级领域）",
        _flat(HIGHTECH8),
        effective_from="2016-01-01",
    ),
    BuiltinScheme(
        "chain",
        "本地重点产业链",
        "2021",
        "南京市八大产业链（2021）; editable local data",
        _flat(CHAIN_2021),
        effective_from="2021-01-01",
        effective_to="2022-12-31",
        current=False,
    ),
    BuiltinScheme(
        "chain",
        "本地重点产业链",
        "2023",
        "南京市重点产业链/集群（2023）; editable local data",
        _flat(CHAIN_2023),
        effective_from="2023-01-01",
    ),
    BuiltinScheme("trl", "技术就绪水平", "2009", "GB/T 22900 技术就绪水平（9级）", _flat(TRL)),
    BuiltinScheme("stage", "成果所处阶段", "2002", "科技成果登记表（科技部 2002）", _flat(STAGE)),
    BuiltinScheme(
        "coop_mode",
        "成果转化合作方式",
        "2015",
        "促进科技成果转化法 第十六条",
        _flat(COOP_MODE),
        effective_from="2015-10-01",
    ),
    BuiltinScheme("ip_type", "知识产权类型", "1", "xiake", _flat(IP_TYPE)),
    BuiltinScheme(
        "achievement_type",
        "成果类型",
        "2002",
        "科技成果登记表（科技部 2002）",
        _flat(ACHIEVEMENT_TYPE),
    ),
    BuiltinScheme("demand_type", "需求类型", "1", "xiake", _flat(DEMAND_TYPE)),
    BuiltinScheme("platform_type", "科研平台类型", "1", "xiake", _flat(PLATFORM_TYPE)),
    BuiltinScheme("platform_level", "平台级别", "1", "xiake", _flat(PLATFORM_LEVEL)),
    *CONTRACT_SCHEMES,
)

# Names and default versions for schemes that are loaded from full tables (load_taxonomy --file).
FILE_SCHEMES = {
    "gbt4754": {"name": "国民经济行业分类", "version": "2017", "source": "GB/T 4754-2017"},
    "gbt13745": {"name": "学科分类与代码", "version": "2009", "source": "GB/T 13745-2009"},
    "sei2018": {
        "name": "战略性新兴产业分类",
        "version": "2018",
        "source": "战略性新兴产业分类(2018)",
    },
    "ipc": {
        "name": "国际专利分类",
        "version": "2026.01",
        "source": "IPC 2026.01（国家知识产权局中文版）",
    },
}
