"""Demo news and announcements of the district bureau (a step of `xiake demo`).

Generated from sentence patterns written for this project, filled with the demo world's
universities and the vocabulary's technical domains, dated over the last half year relative to
today. Most items are published; a few stay a draft or wait for review, so that the news desk shows
the workflow. Everything is ``bulk_create``d with ``is_demo=True`` from its own random stream.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from xiake.demo.vocab import DOMAINS

NEWS_ITEMS = 36

# (headline, summary, paragraphs); {uni} a university, {dom} a domain's name, {field} one of its
# research fields, {n}/{m}/{amount} figures, {month} a month number.
NEWS = (
    (
        "{uni}与栖霞区签署校地合作协议，共建{dom}联合创新中心",
        "双方将围绕{field}方向共建联合创新中心，推动科技成果在区内转化落地。",
        (
            "近日，{uni}与栖霞区人民政府签署新一轮校地合作协议。根据协议，双方将共建{dom}联合创新中心，"
            "重点围绕{field}开展关键技术攻关和中试验证。",
            "区科技局负责同志表示，将为联合创新中心提供场地、资金和政策支持，建立“高校出成果、企业出需求、"
            "政府搭平台”的合作机制，力争三年内转化科技成果{n}项以上。",
        ),
    ),
    (
        "第{n}期公益大讲堂聚焦{field}，{m}家企业参加",
        "本期大讲堂邀请高校专家解读{field}领域的技术趋势和成果转化路径。",
        (
            "本期公益大讲堂在仙林大学城科技创新园举办，{uni}专家围绕{field}领域的最新进展作专题报告，"
            "并与参会企业就技术难题进行了现场交流。",
            "活动共吸引{m}家企业的技术负责人参加。会后，{n}家企业提交了技术需求，区技术转移中心将组织专家逐一对接。",
        ),
    ),
    (
        "栖霞区{month}月技术合同成交额同比增长{n}%",
        "全区技术合同登记数量和成交额保持增长，{dom}领域合同占比最高。",
        (
            "据统计，{month}月全区登记技术合同{m}项，成交额同比增长{n}%。其中{dom}领域技术合同数量最多，"
            "技术开发和技术服务合同合计占比超过八成。",
            "区科技局将继续做好技术合同登记服务，落实技术交易奖补政策，引导企业加大研发投入。",
        ),
    ),
    (
        "高校专家巡诊走进{street}，为{m}家企业“把脉问诊”",
        "{uni}{dom}领域专家团队深入企业生产一线，现场诊断技术难题。",
        (
            "日前，区科技局组织{uni}专家团队走进{street}，先后走访{m}家科技型中小企业，围绕{field}等问题开展现场诊断。",
            "专家团队针对企业提出的问题给出了改进建议，并与{n}家企业达成进一步合作意向。",
        ),
    ),
    (
        "区新型研发机构绩效评价结果出炉，{n}家机构获评优秀",
        "评价围绕研发投入、成果产出和企业孵化等指标开展，结果将作为资金支持的重要依据。",
        (
            "近日，区科技局完成年度新型研发机构绩效评价工作。评价采取材料审核、现场核查和专家评议相结合的方式，"
            "共有{n}家机构获评优秀。",
            "评价结果将与后续运营经费支持挂钩，对连续两年评价不合格的机构启动退出程序。",
        ),
    ),
    (
        "{dom}成果路演活动成功举办，意向融资金额超{amount}万元",
        "{m}个项目现场路演，基金联盟投资机构与项目方开展一对一洽谈。",
        (
            "本次路演活动聚焦{dom}领域，{m}个来自高校院所和区内企业的项目进行了现场展示。",
            "区科技金融基金联盟的投资机构代表现场点评，并与项目方开展一对一洽谈，意向融资金额超过{amount}万元。",
        ),
    ),
)

NOTICES = (
    (
        "关于组织申报{year}年度区科技成果转化专项资金的通知",
        "申报对象为在栖霞区注册的企业，受理截止日期为{deadline}。",
        (
            "各有关单位：为促进高校院所科技成果在我区转移转化，现组织申报{year}年度区科技成果转化专项资金。",
            "申报单位应在本区注册并具有独立法人资格，与高校院所签订技术合同并已完成登记。"
            "请于{deadline}前通过本平台提交申报材料，逾期不予受理。",
            "咨询方式：通过平台“政策咨询”栏目提交问题，工作人员将在规定时限内答复。",
        ),
    ),
    (
        "关于开展{year}年度高新技术企业培育入库工作的通知",
        "符合条件的科技型中小企业可申请纳入区高新技术企业培育库。",
        (
            "各有关企业：根据区高新技术企业培育工作安排，现开展{year}年度培育入库申报工作。",
            "申请入库企业应为在本区注册满一年的科技型中小企业，上年度研发费用占销售收入比例不低于{n}%。",
            "请于{deadline}前在本平台完成企业画像填报，区科技局将组织专家评审后公布入库名单。",
        ),
    ),
    (
        "关于公布{year}年度区级技术转移服务机构名单的公告",
        "经机构申报、材料审核和专家评审，{n}家机构认定为区级技术转移服务机构。",
        (
            "根据区技术转移服务机构管理办法，经机构申报、材料审核、专家评审和网上公示，"
            "现认定{n}家机构为{year}年度区级技术转移服务机构，名单可在平台“中介机构”栏目查询。",
            "认定有效期为三年，有效期内实行年度考核。",
        ),
    ),
    (
        "关于举办技术经理人能力提升培训班的通知",
        "培训面向高校院所技术转移人员和企业技术负责人，名额有限，请在平台活动日历中报名。",
        (
            "为提升技术转移从业人员专业能力，区科技局将举办技术经理人能力提升培训班，"
            "内容包括技术合同登记、知识产权运营和成果评估定价等。",
            "培训名额{m}人，请在平台“活动日历”中报名，报名截止日期为{deadline}。",
        ),
    ),
)

SOURCES = ("区科学技术局", "区技术转移中心", "区科学技术局成果转化科", "区科技金融服务中心")
STREETS = ("仙林街道", "马群街道", "尧化街道", "迈皋桥街道", "燕子矶街道", "龙潭街道")


def _fill(pattern: str, values: dict) -> str:
    return pattern.format(**values)


def generate(context, today: dt.date | None = None) -> dict:
    from xiake.portal.models import NewsItem

    rng = random.Random(f"{context.seed}:portal:news")
    today = today or timezone.localdate()
    world = context.world
    universities = [u.name for u in getattr(world, "universities", [])] or ["南京某大学"]
    bureau = context.users.get("bureau")
    items = []
    for i in range(NEWS_ITEMS):
        is_notice = i % 3 == 2
        headline, summary, paragraphs = rng.choice(NOTICES if is_notice else NEWS)
        day = today - dt.timedelta(days=rng.randint(0, 180))
        domain = rng.choice(DOMAINS)
        values = {
            "uni": rng.choice(universities),
            "dom": domain.name,
            "field": rng.choice(domain.fields),
            "street": rng.choice(STREETS),
            "n": rng.randint(3, 30),
            "m": rng.randint(20, 120),
            "amount": rng.randint(5, 80) * 100,
            "month": day.month,
            "year": day.year,
            "deadline": f"{(day + dt.timedelta(days=rng.randint(20, 45))):%Y年%-m月%-d日}",
        }
        status = "published"
        if i in (0, 1):  # the newest two show the desk's workflow: one draft, one awaiting review
            status = "draft" if i == 0 else "pending"
            day = today
        items.append(
            NewsItem(
                title=_fill(headline, values)[:200],
                kind=NewsItem.Kind.NOTICE if is_notice else NewsItem.Kind.NEWS,
                news_date=day,
                source=rng.choice(SOURCES),
                summary=_fill(summary, values)[:300],
                body="\n\n".join(_fill(p, values) for p in paragraphs),
                status=status,
                reviewed_by=bureau if status == "published" else None,
                reviewed_at=timezone.now() if status == "published" else None,
                created_by=bureau,
                is_demo=True,
            )
        )
    NewsItem.objects.bulk_create(items)
    return {str(NewsItem._meta.verbose_name_plural): len(items)}


def flush() -> dict:
    from xiake.portal.models import NewsItem

    deleted, _ = NewsItem.objects.filter(is_demo=True).delete()
    return {str(NewsItem._meta.verbose_name_plural): deleted}
