"""Demo data of the liaison app (registered as a step of `xiake demo`).

What it writes, at ``scale=1`` (the seed's figures, domain.md §1): docking assignments for the 22
universities, their ~100 faculties and 4 institutes; a year of contact logs; four joint meetings with
decisions and tasks in every state (some overdue); 94 events of the five types over two years whose
check-ins come from exactly ``SERVED`` = 3,075 distinct enterprises (light-weight demo enterprises
are added in bulk so that there are enough of them); policy documents with their clauses; an
SLA rule when missing (the holiday calendar ships with core); consultations in every state; tech-finance records
(investors of the fund alliance, financing needs, roadshow sessions, interest, follow-ups,
investments with co-investors).

Everything is ``bulk_create``d with ``is_demo=True`` and its own random stream
(``Random(f"{seed}:liaison:…")``), so the same seed gives the same records; dates are relative to
today so that upcoming events stay upcoming and overdue tasks overdue.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.utils import timezone

from xiake.demo import creditcode, text
from xiake.demo.vocab import DOMAIN_BY_KEY, DOMAINS, QIXIA, REGIONS, TRADE_NAMES

SERVED = 3075  # distinct enterprises that attended at least one event in the two years
EVENTS = 94
POOL = 3400  # enterprises that registered at least once (the rest never showed up)
UPCOMING = 4

STREETS = ("仙林街道", "马群街道", "尧化街道", "迈皋桥街道", "燕子矶街道", "栖霞街道", "龙潭街道")
PARKS = ("栖霞高新技术产业开发区", "南京经济技术开发区", "仙林大学城科技创新园", "紫东创新谷")
DEPARTMENTS = (
    "区科学技术局",
    "区发展和改革委员会",
    "区工业和信息化局",
    "区人力资源和社会保障局",
    "区商务局",
    "区投资促进中心",
    "区市场监督管理局",
    "区教育局",
)
LEADER_TITLES = ("区委书记", "区长", "常务副区长", "副区长", "区委常委、组织部部长", "区政协副主席")

CONTACT_SUMMARIES = (
    "走访{s}，了解近期科研成果和转化意向，介绍区内产业布局和支持政策。",
    "与{s}负责同志电话沟通联合实验室共建进展。",
    "赴{s}召开校地座谈会，梳理可在区内落地的成果清单。",
    "线上对接{s}，讨论企业技术需求的揭榜攻关安排。",
    "陪同区内企业走访{s}，对接专利许可和技术服务合作。",
    "与{s}技术转移机构交流技术经理人联合培养事宜。",
)
OUTCOMES = (
    "形成可转化成果清单{n}项，已推送相关企业。",
    "双方同意共建联合研发平台，下一步起草合作协议。",
    "确定{n}家企业开展专家巡诊。",
    "对方提出人才公寓和场地需求，已转区相关部门。",
    "达成技术服务合作意向{n}项。",
    "",
)
FOLLOW_UPS = (
    "报送成果转化项目材料",
    "组织企业专场对接会",
    "起草共建协议初稿",
    "落实联合实验室场地",
    "反馈企业需求对接情况",
)

LECTURE_TOPICS = (
    "高新技术企业认定政策解读",
    "研发费用加计扣除实务",
    "专利导航与高价值专利布局",
    "科技成果作价投资的路径与风险",
    "技术合同认定登记与税收优惠",
    "知识产权质押融资实务",
    "数据资产入表与数据知识产权",
    "科技型中小企业评价入库指引",
    "省级工程技术研究中心申报辅导",
    "专精特新企业培育与申报",
)
TRAINING_TOPICS = (
    "技术经理人实务培训",
    "企业科技专员能力提升培训",
    "技术合同登记员业务培训",
    "科技项目申报与管理培训",
)
VENUES = (
    "栖霞区科技创新服务中心报告厅",
    "仙林大学城科技创新园路演中心",
    "栖霞区技术转移服务中心三楼会议室",
    "紫东创新谷会议中心",
)

POLICIES = (
    # title, number, issuer, issued (y, m, d), years valid, version, subject, specific clauses
    (
        "栖霞区促进科技成果转化若干政策",
        "栖政发〔2024〕18号",
        "栖霞区人民政府",
        (2024, 3, 15),
        3,
        "2024年版",
        "在本区转化科技成果的企业、高校、科研院所和技术转移服务机构",
        (
            (
                "技术合同奖励",
                "对在本区登记的技术开发、技术转让合同，按技术交易额的3%给予卖方奖励，单个单位每年最高50万元。",
            ),
            (
                "成果落地奖励",
                "高校院所科技成果在本区实施转化并形成销售的，按实际到账转化金额的10%给予承接企业奖励，最高100万元。",
            ),
            (
                "技术转移机构奖励",
                "对促成本区企业技术交易的技术转移服务机构，按促成交易额的1%给予奖励，每家每年最高30万元。",
            ),
            (
                "技术经理人奖励",
                "对取得技术经理人证书并促成交易的个人，按每笔合同2000元给予奖励，每人每年最高5万元。",
            ),
        ),
    ),
    (
        "栖霞区高新技术企业培育扶持办法",
        "栖科发〔2023〕9号",
        "栖霞区科学技术局",
        (2023, 6, 1),
        3,
        "2023年版",
        "在本区注册、具有独立法人资格的科技型企业",
        (
            (
                "入库培育",
                "列入区高新技术企业培育库的企业，给予5万元培育资金，用于研发投入和知识产权布局。",
            ),
            ("首次认定奖励", "首次通过国家高新技术企业认定的企业，给予20万元奖励。"),
            ("重新认定奖励", "高新技术企业有效期满后重新通过认定的，给予10万元奖励。"),
        ),
    ),
    (
        "栖霞区科技型中小企业研发费用补助实施细则",
        "栖科发〔2025〕4号",
        "栖霞区科学技术局",
        (2025, 2, 20),
        3,
        "2025年版",
        "已入库国家科技型中小企业库且上年度研发费用不低于100万元的本区企业",
        (
            (
                "补助标准",
                "按企业上年度享受加计扣除的研发费用增量部分的10%给予补助，单个企业最高50万元。",
            ),
            ("申报材料", "申报企业应提供研发费用辅助账、年度所得税纳税申报表及研发项目立项文件。"),
        ),
    ),
    (
        "栖霞区知识产权质押融资风险补偿资金管理办法",
        "栖市监发〔2024〕22号",
        "栖霞区市场监督管理局",
        (2024, 9, 1),
        3,
        "2024年版",
        "以专利权、商标权等知识产权质押获得银行贷款的本区科技型中小企业",
        (
            (
                "贴息标准",
                "对按期还本付息的知识产权质押贷款，按贷款市场报价利率的50%给予贴息，单个企业每年最高30万元。",
            ),
            (
                "风险补偿",
                "合作银行发生的知识产权质押贷款本金损失，由风险补偿资金承担40%，单笔最高200万元。",
            ),
            ("评估费补贴", "对质押融资过程中发生的知识产权评估费用，给予50%补贴，最高3万元。"),
        ),
    ),
    (
        "栖霞区新型研发机构建设与绩效评价办法",
        "栖政办发〔2023〕31号",
        "栖霞区人民政府办公室",
        (2023, 11, 10),
        5,
        "2023年版",
        "在本区注册运营、经区科技局备案的新型研发机构",
        (
            (
                "备案条件",
                "具有独立法人资格，有稳定的研发经费来源，研发人员占比不低于30%，年度研发经费支出占收入比例不低于20%。",
            ),
            (
                "绩效评价",
                "区科技局每年委托第三方机构从科技创新能力、产业发展效益、人才集聚水平和公共服务平台建设四个维度开展绩效评价。",
            ),
            (
                "分档支持",
                "根据绩效评价结果分档给予运营经费支持，A档最高500万元，B档最高300万元，C档最高100万元。",
            ),
        ),
    ),
    (
        "栖霞区科技金融“科创贷”贴息办法",
        "栖科发〔2022〕15号",
        "栖霞区科学技术局",
        (2022, 5, 10),
        3,
        "2022年版",
        "获得合作银行“科创贷”产品贷款的本区科技型中小企业",
        (
            ("贴息比例", "按实际支付利息的40%给予贴息，单个企业每年最高20万元。"),
            ("合作银行", "合作银行名单由区科技局会同区财政局每年公布。"),
        ),
    ),
    (
        "栖霞区科技金融“科创贷”贴息办法",
        "栖科发〔2025〕11号",
        "栖霞区科学技术局",
        (2025, 5, 20),
        3,
        "2025年修订版",
        "获得合作银行“科创贷”产品贷款的本区科技型中小企业",
        (
            (
                "贴息比例",
                "按实际支付利息的50%给予贴息，首贷企业提高至60%，单个企业每年最高30万元。",
            ),
            ("合作银行", "合作银行名单由区科技局会同区财政局每年公布。"),
            ("投贷联动", "对获得基金联盟成员股权投资的企业，同步给予投贷联动贷款贴息支持。"),
        ),
    ),
    (
        "江苏省产学研合作项目管理办法",
        "苏科技规〔2023〕5号",
        "江苏省科学技术厅",
        (2023, 4, 1),
        5,
        "2023年版",
        "与高校院所开展产学研合作的江苏省内企业",
        (
            (
                "支持方式",
                "采取前资助方式，对企业与高校院所联合开展的技术攻关项目给予省级科技经费支持。",
            ),
            (
                "申报条件",
                "企业应与合作高校院所签订技术开发合同，合同金额不低于50万元，企业研发投入不低于合同金额。",
            ),
        ),
    ),
    (
        "栖霞区科技成果转化专项资金管理办法",
        "栖财规〔2024〕3号",
        "栖霞区财政局、栖霞区科学技术局",
        (2024, 7, 1),
        3,
        "2024年版",
        "专项资金支持的科技成果转化项目承担单位",
        (
            (
                "资金用途",
                "专项资金用于支持科技成果在本区实施转化、中试熟化、技术转移服务体系建设。",
            ),
            (
                "项目资助",
                "对经评审立项的成果转化项目，按项目新增研发投入的30%给予资助，最高200万元。",
            ),
            ("绩效管理", "项目实施期满后开展绩效评价，评价结果与后续资金安排挂钩。"),
        ),
    ),
    (
        "栖霞区校地融合发展三年行动方案（2024—2026年）",
        "栖委办发〔2024〕6号",
        "中共南京市栖霞区委办公室",
        (2024, 1, 20),
        3,
        "2024年版",
        "驻区及合作高校、科研院所和区各部门、街道、园区",
        (
            (
                "挂钩联系机制",
                "建立区领导挂钩联系高校、部门街道园区对接院系的工作机制，每季度至少走访一次。",
            ),
            ("联席会议", "每半年召开一次校地融合发展联席会议，议定事项形成任务清单，限期办结。"),
            (
                "成果汇编",
                "每年编印驻区高校科技成果汇编和企业技术需求清单，组织专场发布和路演。",
            ),
        ),
    ),
)

CONSULT_SUBJECTS = (
    (
        "委托高校研发的费用能否加计扣除",
        "我司委托南京某高校开展研发，合同已登记，费用能否享受加计扣除？比例是多少？",
    ),
    (
        "高企认定研发人员占比如何计算",
        "研发人员包括兼职和临时聘用人员吗？按全年平均数还是年末数计算？",
    ),
    ("技术合同登记后如何享受增值税免征", "技术开发合同登记后，开票时需要提供哪些材料？"),
    (
        "知识产权质押贷款贴息如何申请",
        "我司以两项发明专利质押获得贷款，贴息申请需要哪些材料？何时受理？",
    ),
    (
        "成果落地奖励是否适用于外区高校成果",
        "承接外省高校的专利许可并在本区实施，能否申请成果落地奖励？",
    ),
    ("科技型中小企业研发费用补助的增量怎么算", "上年度研发费用下降的企业是否还能申请补助？"),
    ("科创贷首贷贴息比例", "今年首次获得科创贷，贴息比例按新办法执行吗？"),
    ("技术经理人奖励如何兑现", "个人取得技术经理人证书后促成的合同，奖励发放给个人还是机构？"),
    ("省产学研合作项目申报条件", "与高校签订的合同金额为40万元，能否申报省产学研合作项目？"),
    ("新型研发机构备案研发人员比例", "研发人员占比30%是否包含在读研究生？"),
)
ANSWER = "您好！根据{doc}第{n}条，{text}如需进一步了解申报材料，可联系区科技局成果转化科（025-85550000）。"

INVESTOR_KINDS = (
    # name pattern, kind, ticket min, ticket max (万元)
    ("南京{t}创业投资基金管理有限公司", "vc", 300, 3000),
    ("江苏{t}股权投资管理有限公司", "pe", 1000, 10000),
    ("栖霞区科技创新引导基金", "guidance", 500, 5000),
    ("南京{t}天使投资合伙企业（有限合伙）", "angel", 50, 500),
    ("{bank}南京栖霞支行", "bank", 100, 2000),
    ("南京{t}融资担保有限公司", "guarantee", 100, 1000),
)
BANKS = ("江苏银行", "南京银行", "中国银行", "交通银行", "招商银行", "兴业银行")
NEED_USES = (
    "中试线建设及设备采购",
    "新产品研发及样机试制",
    "扩大产能和市场推广",
    "核心团队引进和研发投入",
    "认证检测和首台套应用推广",
)


def _date_range(rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Generator:
    def __init__(self, context, scale: float = 1.0, today: dt.date | None = None):
        self.ctx = context
        self.world = context.world
        self.users = context.users
        self.seed = context.seed
        self.scale = scale
        self.today = today or timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.counts: dict[str, int] = {}
        self.bureau_user = self.users.get("bureau")
        self.demo_enterprise = getattr(self.users.get("enterprise"), "organization", None)

    def rng(self, step: str) -> random.Random:
        return random.Random(f"{self.seed}:liaison:{step}")

    def n(self, full: int, minimum: int = 1) -> int:
        return max(minimum, round(full * self.scale))

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def run(self) -> dict:
        self.calendar()
        self.docking()
        self.meetings()
        self.policies()
        self.consultations()
        self.events()
        self.finance()
        self.funding()
        return self.counts

    # -- calendar ---------------------------------------------------------------------------------
    def calendar(self):
        # The holiday calendar is the platform's (core.Holiday, shipped by migration); only the
        # consultation service level is demo data.
        from xiake.liaison.models import SlaRule

        if SlaRule.current(self.today) is None:
            SlaRule.objects.bulk_create(  # bulk: no per-row change record (one summary instead)
                [
                    SlaRule(
                        name="政策咨询答复时限（5个工作日）",
                        working_days=5,
                        remind_days_before=1,
                        effective_from=dt.date(2024, 1, 1),
                        is_demo=True,
                    )
                ]
            )
            self.counts["service-level rules"] = 1

    # -- docking ----------------------------------------------------------------------------------
    def docking(self):
        from xiake.catalog.models import Faculty
        from xiake.liaison.models import Assignment, ContactLog

        rng = self.rng("docking")
        w = self.world
        unis = [w.university_records[o.pk] for o in w.universities]
        faculties: dict[int, list] = {}
        for f in Faculty.objects.filter(university__in=unis).order_by("university_id", "id"):
            faculties.setdefault(f.university_id, []).append(f)
        start = self.today - dt.timedelta(days=900)
        rows = []

        def add(kind, responsible, university=None, faculty=None, institute=None):
            rows.append(
                Assignment(
                    university=university,
                    faculty=faculty,
                    institute=institute,
                    kind=kind,
                    responsible=responsible,
                    contact_person=text.person_name(rng),
                    contact_phone=f"025-8555{rng.randint(1000, 9999)}",
                    started_on=_date_range(rng, start, start + dt.timedelta(days=200)),
                    is_demo=True,
                )
            )

        for i, u in enumerate(unis):
            add("leader", f"{LEADER_TITLES[i % len(LEADER_TITLES)]}{text.person_name(rng)}", u)
            add("department", DEPARTMENTS[i % len(DEPARTMENTS)], u)
            if u.is_local:
                add("street", STREETS[i % len(STREETS)], u)
                add("park", PARKS[i % len(PARKS)], u)
            for j, fac in enumerate(faculties.get(u.pk, [])):
                kind = ("department", "street", "park")[j % 3]
                unit = {
                    "department": DEPARTMENTS[(i + j) % len(DEPARTMENTS)],
                    "street": STREETS[(i + j) % len(STREETS)],
                    "park": PARKS[(i + j) % len(PARKS)],
                }[kind]
                add(kind, unit, u, fac)
        for k, nri in enumerate(w.nris[:4]):
            add("department", DEPARTMENTS[k], institute=nri)
        Assignment.objects.bulk_create(rows, batch_size=500)
        self.assignments = rows

        logs = []
        year_ago = self.today - dt.timedelta(days=365)
        for a in rows:
            r = rng.random()
            if r < 0.08:
                continue  # never visited: the coverage view lists it first
            n = rng.randint(1, 2) if r < 0.25 else rng.randint(2, 7)
            latest = self.today - dt.timedelta(
                days=rng.randint(100, 300) if r < 0.2 else rng.randint(1, 80)
            )
            for k in range(n):
                d = latest - dt.timedelta(days=k * rng.randint(20, 60))
                if d < year_ago:
                    break
                due = d + dt.timedelta(days=rng.randint(10, 45))
                follow = rng.random() < 0.6
                logs.append(
                    ContactLog(
                        assignment=a,
                        date=d,
                        channel=text.weighted(
                            rng, (("visit", 5), ("call", 3), ("meeting", 2), ("online", 1))
                        ),
                        participants=f"{a.responsible}、{a.contact_person}",
                        summary=rng.choice(CONTACT_SUMMARIES).format(s=a.subject),
                        outcome=rng.choice(OUTCOMES).format(n=rng.randint(2, 12)),
                        follow_up=rng.choice(FOLLOW_UPS) if follow else "",
                        follow_up_due=due if follow else None,
                        follow_up_done=follow and due < self.today and rng.random() < 0.8,
                        is_demo=True,
                    )
                )
        ContactLog.objects.bulk_create(logs, batch_size=500)
        self.counts["docking assignments"] = len(rows)
        self.counts["contact logs"] = len(logs)

    # -- joint meetings ---------------------------------------------------------------------------
    def meetings(self):
        from xiake.liaison.models import Decision, JointMeeting, Task

        rng = self.rng("meetings")
        w = self.world
        by_name = {o.name: w.university_records[o.pk] for o in w.universities}
        pick = [by_name.get(n) for n in ("南京邮电大学", "南京大学", "南京师范大学")]
        specs = [
            (None, 270, "2026年度栖霞区校地融合发展联席会议（全体会议）"),
            (pick[0], 180, "栖霞区—南京邮电大学校地合作联席会议"),
            (pick[1], 90, "栖霞区—南京大学校地合作联席会议"),
            (pick[2], 21, "栖霞区—南京师范大学校地合作联席会议"),
        ]
        decisions_text = (
            "共建{u}联合研发中心，区里提供场地，学校派驻研发团队",
            "建立成果转化项目库，每季度向区内企业发布一次",
            "组织{u}专家开展企业巡诊，全年不少于10场",
            "共同申报省产学研合作项目，区科技局负责政策辅导",
            "推进技术经理人联合培养，学校推荐骨干参加区培训",
            "落实人才公寓和创新创业场地需求",
        )
        task_text = (
            "起草共建协议并报区政府审定",
            "完成场地装修并交付使用",
            "报送第一批成果清单",
            "制定年度巡诊计划",
            "组织项目申报辅导会",
            "完成首期培训并颁发结业证书",
            "梳理人才公寓需求清单",
        )
        # (status, days from today to the due date): every state, two of them overdue
        states = [
            ("done", -60),
            ("in_progress", -12),  # overdue
            ("open", 25),
            ("cancelled", -30),
            ("open", -5),  # overdue
            ("in_progress", 40),
            ("done", -20),
            ("open", 60),
        ]
        meetings, decisions, tasks = [], [], []
        k = 0
        for u, days_ago, title in specs:
            held = self.today - dt.timedelta(days=days_ago)
            uname = u.name if u else "驻区高校"
            mt = JointMeeting(
                title=title,
                held_on=held,
                university=u,
                location="栖霞区人民政府第一会议室" if u is None else f"{uname}行政楼会议室",
                agenda="一、通报上次会议议定事项落实情况；二、研究校地合作重点任务；"
                "三、协调解决重点项目推进中的困难。",
                participants=f"区领导、区科技局、区发改委、区工信局、相关街道园区负责同志，"
                f"{uname}分管校领导及科研院、技术转移中心负责同志",
                minutes=f"会议听取了{uname}与本区合作情况汇报，议定以下事项（见决定事项）。",
                is_demo=True,
            )
            meetings.append(mt)
            for number, dtext in enumerate(rng.sample(decisions_text, 3), 1):
                dec = Decision(meeting=mt, number=number, text=dtext.format(u=uname), is_demo=True)
                decisions.append(dec)
                for _t in range(2):
                    status, due_days = states[k % len(states)]
                    k += 1
                    due = self.today + dt.timedelta(days=due_days)
                    if held >= due:
                        due = held + dt.timedelta(days=14)
                    owner = (
                        w.bureau if k % 3 else (u.owner_org if u is not None else w.transfer_centre)
                    )
                    tasks.append(
                        Task(
                            decision=dec,
                            title=rng.choice(task_text),
                            owner_org=owner,
                            owner_name=text.person_name(rng),
                            due_on=due,
                            status=status,
                            evidence="已完成，见会议纪要及签署的协议文本（扫描件已存档）。"
                            if status == "done"
                            else "",
                            completed_on=min(self.today, due) if status == "done" else None,
                            is_demo=True,
                        )
                    )
        JointMeeting.objects.bulk_create(meetings)
        for d in decisions:
            d.meeting_id = d.meeting.pk
        Decision.objects.bulk_create(decisions)
        for t in tasks:
            t.decision_id = t.decision.pk
        Task.objects.bulk_create(tasks)
        self.counts["joint meetings"] = len(meetings)
        self.counts["meeting decisions"] = len(decisions)
        self.counts["meeting tasks"] = len(tasks)

    # -- policy library ---------------------------------------------------------------------------
    def policies(self):
        from xiake.liaison.models import PolicyClause, PolicyDocument

        docs, clauses = [], []
        for title, number, issuer, issued, years, version, subject, specific in POLICIES:
            issued_on = dt.date(*issued)
            until = issued_on.replace(year=issued_on.year + years) - dt.timedelta(days=1)
            articles = [
                (
                    "目的和依据",
                    f"为贯彻落实国家和省、市关于科技创新的决策部署，结合本区实际，制定{title}。",
                ),
                ("适用范围", f"本政策适用于{subject}。"),
                *specific,
                (
                    "申报程序",
                    "符合条件的单位通过霞科平台在线申报，区科技局会同相关部门审核，"
                    "结果公示5个工作日无异议后兑现。",
                ),
                (
                    "监督管理",
                    "申报单位对材料真实性负责；弄虚作假骗取资金的，追回资金并取消三年申报资格。",
                ),
                ("施行日期", f"本政策自{issued_on:%Y年%m月%d日}起施行，有效期{years}年。"),
            ]
            doc = PolicyDocument(
                title=title,
                doc_number=number,
                issuer=issuer,
                issued_on=issued_on,
                effective_from=issued_on,
                effective_until=until,
                version=version,
                full_text="\n".join(f"第{i}条 {h}　{t}" for i, (h, t) in enumerate(articles, 1)),
                status="published",  # the library shows published documents only
                is_demo=True,
            )
            docs.append(doc)
            clauses += [
                PolicyClause(document=doc, number=i, heading=h, text=t, is_demo=True)
                for i, (h, t) in enumerate(articles, 1)
            ]
        PolicyDocument.objects.bulk_create(docs)
        for c in clauses:
            c.document_id = c.document.pk
        PolicyClause.objects.bulk_create(clauses)
        self.policy_docs = docs
        self.clauses = clauses
        self.counts["policy documents"] = len(docs)
        self.counts["policy clauses"] = len(clauses)

    # -- consultations ----------------------------------------------------------------------------
    def consultations(self):
        from xiake.liaison.models import Consultation
        from xiake.liaison.models.consultations import add_working_days

        rng = self.rng("consultations")
        ents = list(self.world.enterprises)
        states = ("submitted", "routed", "answered", "routed", "closed", "closed", "closed")
        routed = 0
        rows = []
        n = self.n(42, 8)
        for i in range(n):
            subject, question = CONSULT_SUBJECTS[i % len(CONSULT_SUBJECTS)]
            doc_i = i % len(self.policy_docs)
            doc = self.policy_docs[doc_i]
            clause = next(c for c in self.clauses if c.document_id == doc.pk and c.number == 3)
            status = states[i % len(states)]
            owner = ents[(i * 7) % len(ents)]
            if i < 3 and self.demo_enterprise is not None:
                owner = self.demo_enterprise
                status = ("answered", "closed", "routed")[i]
            late = False
            if status == "routed" and owner != self.demo_enterprise:
                late, routed = routed % 2 == 0, routed + 1  # every other one is past due
            days_ago = {
                "submitted": (0, 2),
                "routed": (12, 20) if late else (0, 2),
                "answered": (3, 10),
                "closed": (15, 170),
            }[status]
            asked = self.today - dt.timedelta(days=rng.randint(*days_ago))
            c = Consultation(
                owner_org=owner,
                policy_document=doc,
                subject=subject,
                question=question,
                status=status,
                is_demo=True,
            )
            if status != "submitted":
                c.officer = self.bureau_user
                c.due_on = add_working_days(asked, 5)
            if status in ("answered", "closed"):
                c.answer = ANSWER.format(doc=doc.title, n=clause.number, text=clause.text)
                c.answered_at = self.at(min(asked + dt.timedelta(days=3), self.today), 16)
            if status == "closed":
                c.closed_at = c.answered_at + dt.timedelta(days=1)
                c.satisfaction = text.weighted(rng, ((5, 6), (4, 3), (3, 1)))
            rows.append((c, asked))
        Consultation.objects.bulk_create([c for c, _ in rows])
        # created_at is auto_now_add: set the day the question was asked afterwards.
        for c, asked in rows:
            Consultation.objects.filter(pk=c.pk).update(created_at=self.at(asked, 10))
        self.counts["policy consultations"] = len(rows)

    # -- events -----------------------------------------------------------------------------------
    def enterprise_pool(self) -> list:
        """The demo enterprises plus light-weight ones, ``POOL × scale`` in all."""
        from xiake.accounts.models import Organization, OrgType

        rng = self.rng("enterprises")
        pool = list(self.world.enterprises)
        want = self.n(POOL, 10) - len(pool)
        names = set(Organization.objects.values_list("name", flat=True))
        codes = set(
            Organization.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
        )
        new = []
        prefixes = ("南京", "南京", "江苏", "南京栖霞")
        while len(new) < want:
            d = rng.choice(DOMAINS)
            trade = rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)
            suffix = "股份有限公司" if rng.random() < 0.06 else "有限公司"
            name = f"{rng.choice(prefixes)}{trade}{rng.choice(d.company_words)}{suffix}"
            if name in names:
                continue
            local = rng.random() < 0.7
            region = QIXIA if local else rng.choice([r for r, _ in REGIONS[1:]])
            code = creditcode.make(rng, region)
            if code in codes:
                continue
            names.add(name)
            codes.add(code)
            new.append(
                Organization(
                    name=name,
                    org_type=OrgType.ENTERPRISE,
                    credit_code=code,
                    region_code=region,
                    is_local=local,
                    description=f"{d.name}领域科技型中小企业。",
                    is_demo=True,
                )
            )
        Organization.objects.bulk_create(new, batch_size=1000)
        self.counts["light-weight demo enterprises"] = len(new)
        pool += new
        rng.shuffle(pool)
        if self.demo_enterprise is not None and self.demo_enterprise in pool:
            pool.remove(self.demo_enterprise)
            pool.insert(0, self.demo_enterprise)  # it attended an event (its history)
        return pool

    def events(self):
        from xiake.liaison.models import Event, Registration

        rng = self.rng("events")
        w = self.world
        pool = self.enterprise_pool()
        served_n = min(self.n(SERVED, 5), len(pool))
        served, others = pool[:served_n], pool[served_n:]
        n_events = self.n(EVENTS, 10)
        upcoming = min(UPCOMING, n_events - 5)
        past = n_events - upcoming
        base = {"lecture": 6, "clinic": 1.5, "campus_visit": 3, "roadshow": 4, "training": 3.5}
        types = ["lecture"] * 30 + ["clinic"] * 26 + ["campus_visit"] * 14
        types += ["roadshow"] * 12 + ["training"] * 12
        rng.shuffle(types)
        types = [types[i % len(types)] for i in range(n_events)]
        for kind in base:  # at a small scale, every type still occurs among the past events
            if kind not in types[:past]:
                common = max(set(types[:past]), key=types[:past].count)
                types[types.index(common)] = kind
        # the upcoming ones: a lecture the demo enterprise can register for comes first
        types[past:] = (["lecture", "roadshow", "clinic", "training"] * 2)[:upcoming]
        unis = [w.university_records[o.pk] for o in w.universities]
        counters: dict[str, int] = {}
        events = []
        span = 728
        for i, kind in enumerate(types):
            counters[kind] = counters.get(kind, 0) + 1
            nth = counters[kind]
            if i < past:
                day = self.today - dt.timedelta(days=span - (span - 3) * i // max(1, past - 1))
            else:
                day = self.today + dt.timedelta(days=6 + 9 * (i - past))
            if day.weekday() >= 5:
                day += dt.timedelta(days=7 - day.weekday())
            u = unis[(i * 5) % len(unis)]
            owner, uni = w.bureau, None
            if kind == "lecture":
                title = f"公益大讲堂第{nth}期：{LECTURE_TOPICS[nth % len(LECTURE_TOPICS)]}"
            elif kind == "clinic":
                d = DOMAIN_BY_KEY[rng.choice(w.domains.get(u.owner_org_id) or ("materials",))]
                title = f"高校专家巡诊第{nth}站：{u.name}专家走进{d.name}企业"
                owner, uni = u.owner_org, u
            elif kind == "campus_visit":
                title = f"企业进高校第{nth}期：走进{u.name}"
                owner, uni = u.owner_org, u
            elif kind == "roadshow":
                d = DOMAINS[nth % len(DOMAINS)]
                title = f"霞科行·科技成果与项目路演第{nth}期（{d.name}专场）"
                owner = w.transfer_centre
            else:
                title = f"{TRAINING_TOPICS[nth % len(TRAINING_TOPICS)]}（第{nth}期）"
                owner = w.transfer_centre if nth % 2 else w.bureau
            hour = 9 if i % 2 else 14
            events.append(
                Event(
                    title=title,
                    event_type=kind,
                    owner_org=owner,
                    university=uni,
                    starts_at=self.at(day, hour, 30 if kind == "lecture" else 0),
                    ends_at=self.at(day, hour + 3),
                    venue=f"{u.name}" if uni else VENUES[i % len(VENUES)],
                    capacity=1,  # set below from the registrations
                    registration_open=i >= past,
                    is_public=True,
                    description=f"{title}。面向区内科技型企业，免费参加，请提前报名并凭二维码签到。",
                    is_demo=True,
                )
            )
        # Attendance slots of the past events: every served enterprise fills one first slot,
        # the rest go to returning enterprises; the distinct count is served_n by construction.
        weights = [base[e.event_type] * rng.uniform(0.7, 1.3) for e in events[:past]]
        total = round(served_n * 1.32)
        sizes = [max(3, round(total * wt / sum(weights))) for wt in weights]
        while sum(sizes) < served_n:
            sizes[rng.randrange(past)] += 1
        slots = [i for i, s in enumerate(sizes) for _ in range(s)]
        rng.shuffle(slots)
        attendees: list[list] = [[] for _ in events]
        seen: list[set] = [set() for _ in events]
        for org, ev in zip(served, slots[:served_n], strict=False):
            attendees[ev].append(org)
            seen[ev].add(org.pk)
        loyal = served[: max(1, len(served) // 3)]
        for ev in slots[served_n:]:
            for _try in range(5):
                org = rng.choice(loyal) if rng.random() < 0.7 else rng.choice(served)
                if org.pk not in seen[ev]:
                    attendees[ev].append(org)
                    seen[ev].add(org.pk)
                    break
        noshow: list[list] = [[] for _ in events]
        for ev in range(past):
            for _k in range(round(len(attendees[ev]) * rng.uniform(0.08, 0.2))):
                src = others if others and rng.random() < 0.6 else served
                org = rng.choice(src)
                if org.pk not in seen[ev]:
                    noshow[ev].append(org)
                    seen[ev].add(org.pk)
        for ev in range(past, n_events):
            capacity = rng.choice((60, 80, 100, 120))
            for org in rng.sample(pool[1:], min(len(pool) - 1, capacity // 3)):
                noshow[ev].append(org)  # registered, the event has not happened yet

        Event.objects.bulk_create(events)
        regs = []
        experts = self.expert_names()
        for ev, e in enumerate(events):
            for org, checked in [(o, True) for o in attendees[ev]] + [
                (o, False) for o in noshow[ev]
            ]:
                rated = checked and rng.random() < 0.45
                regs.append(
                    Registration(
                        event=e,
                        kind="enterprise",
                        enterprise=org,
                        attendee_name=text.person_name(rng),
                        phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                        token=_uuid(rng),
                        checked_in_at=e.starts_at + dt.timedelta(minutes=rng.randint(-25, 20))
                        if checked
                        else None,
                        rating=text.weighted(rng, ((5, 5), (4, 4), (3, 1))) if rated else None,
                        feedback=rng.choice(FEEDBACK) if rated and rng.random() < 0.4 else "",
                        is_demo=True,
                    )
                )
            if e.event_type == "clinic" and experts:
                for name in rng.sample(experts, min(2, len(experts))):
                    regs.append(
                        Registration(
                            event=e,
                            kind="expert",
                            attendee_name=name,
                            token=_uuid(rng),
                            checked_in_at=e.starts_at if ev < past else None,
                            is_demo=True,
                        )
                    )
        Registration.objects.bulk_create(regs, batch_size=1000)
        per_event: dict[int, int] = {}
        for r in regs:
            per_event[r.event_id] = per_event.get(r.event_id, 0) + 1
        for ev, e in enumerate(events):
            e.registered_count = per_event.get(e.pk, 0)
            if ev < past:
                e.capacity = e.registered_count + rng.randint(0, 15)
            else:
                e.capacity = max(e.registered_count + 20, (e.registered_count * 5) // 2)
            e.capacity = max(e.capacity, 1)
        Event.objects.bulk_update(events, ["registered_count", "capacity"], batch_size=500)
        self.events_ = events
        self.counts["events"] = len(events)
        self.counts["event registrations"] = len(regs)
        self.counts["enterprises served"] = served_n
        self.served_period = (events[0].starts_at.date(), events[past - 1].starts_at.date())

    def expert_names(self) -> list[str]:
        from xiake.catalog.models import Expert

        return list(
            Expert.objects.filter(is_demo=True).order_by("id").values_list("name", flat=True)[:200]
        )

    # -- tech finance -----------------------------------------------------------------------------
    def finance(self):
        from xiake.accounts.models import Organization, OrgType
        from xiake.demo.catalog import patent_number
        from xiake.liaison.models import (
            FinancingNeed,
            FollowUp,
            Investment,
            InvestmentShare,
            Investor,
            InvestorInterest,
            RoadshowSession,
        )

        rng = self.rng("finance")
        w = self.world
        names = set(Organization.objects.values_list("name", flat=True))
        codes = set(
            Organization.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
        )
        orgs, kinds = [], []
        k = 0
        while len(orgs) < self.n(24, 6):
            pattern, kind, lo, hi = INVESTOR_KINDS[k % len(INVESTOR_KINDS)]
            k += 1
            name = pattern.format(t=rng.choice(TRADE_NAMES), bank=rng.choice(BANKS))
            code = creditcode.make(rng, QIXIA)
            if name in names or code in codes:
                continue
            names.add(name)
            codes.add(code)
            orgs.append(
                Organization(
                    name=name,
                    org_type=OrgType.ENTERPRISE,  # fund managers, banks: companies
                    credit_code=code,
                    region_code=QIXIA,
                    is_local=True,
                    contact_name=text.person_name(rng),
                    description="栖霞区科技金融基金联盟成员。",
                    is_demo=True,
                )
            )
            kinds.append((kind, lo, hi))
        Organization.objects.bulk_create(orgs)
        investors = []
        for o, (kind, lo, hi) in zip(orgs, kinds, strict=True):
            focus = "、".join(d.name for d in rng.sample(DOMAINS, 3))
            investors.append(
                Investor(
                    owner_org=o,
                    kind=kind,
                    focus=f"{focus}领域的{'早期' if kind in ('angel', 'vc') else '成长期'}科技企业",
                    ticket_min=Decimal(lo),
                    ticket_max=Decimal(hi),
                    fund_size=Decimal(hi * rng.randint(8, 30)) if kind not in ("bank",) else None,
                    joined_on=dt.date(2021 + len(investors) % 5, 1 + len(investors) % 12, 15),
                    is_active=rng.random() < 0.92,
                    contact_name=o.contact_name,
                    contact_phone=f"025-8556{rng.randint(1000, 9999)}",
                    is_demo=True,
                )
            )
        Investor.objects.bulk_create(investors)
        active = [i for i in investors if i.is_active]

        # Financing needs of the demo enterprises (the demo user's firm first, with two).
        firms = list(w.enterprises)
        rng.shuffle(firms)
        if self.demo_enterprise in firms:
            firms.remove(self.demo_enterprise)
            firms = [self.demo_enterprise, self.demo_enterprise, *firms]
        amounts = {
            "seed": (50, 300),
            "startup": (200, 1000),
            "growth": (500, 3000),
            "expansion": (1000, 5000),
            "pre_ipo": (3000, 10000),
        }
        stages = list(amounts)
        methods = ("equity", "equity", "loan", "ip_pledge", "guarantee", "invest_loan")
        statuses = (("open", 45), ("matching", 25), ("financed", 20), ("withdrawn", 10))
        needs = []
        for i, firm in enumerate(firms[: self.n(64, 8)]):
            stage = stages[min(len(stages) - 1, int(rng.triangular(0, len(stages), 1)))]
            method = methods[i % len(methods)]
            lo, hi = amounts[stage]
            use = rng.choice(NEED_USES)
            status = text.weighted(rng, statuses)
            if firm is self.demo_enterprise:
                status, method = ("matching", "equity") if i == 0 else ("open", "ip_pledge")
            needs.append(
                FinancingNeed(
                    owner_org=firm,
                    title=f"{use}融资（{STAGE_NAMES[stage]}）",
                    amount=Decimal(rng.randint(lo // 10, hi // 10) * 10),
                    stage=stage,
                    method=method,
                    use_of_funds=f"{use}；预计12个月内带动新增销售收入"
                    f"{rng.randint(500, 8000)}万元。",
                    ip_to_pledge="\n".join(patent_number(rng) for _ in range(rng.randint(1, 3)))
                    if method == "ip_pledge"
                    else "",
                    revenue_last_year=Decimal(rng.randint(50, 20000)),
                    deadline=self.today + dt.timedelta(days=rng.randint(30, 240))
                    if status in ("open", "matching")
                    else None,
                    status=status,
                    share_with_investors=firm is self.demo_enterprise or rng.random() < 0.85,
                    is_demo=True,
                )
            )
        FinancingNeed.objects.bulk_create(needs)

        # One session per roadshow event; the firms pitch shared needs to invited investors.
        roadshows = [e for e in self.events_ if e.event_type == "roadshow"]
        sessions, links_n, links_i = [], [], []
        pitchable = [n for n in needs if n.share_with_investors and n.status != "withdrawn"]
        demo_needs = [n for n in needs if n.owner_org_id == getattr(self.demo_enterprise, "pk", 0)]
        now = timezone.now()
        for j, e in enumerate(roadshows):
            upcoming = e.starts_at > now
            pool = [n for n in pitchable if (n.status == "open") == upcoming or rng.random() < 0.2]
            pitched = rng.sample(pool, min(len(pool), rng.randint(4, 6)))
            if demo_needs:
                want = demo_needs[1] if upcoming else demo_needs[0]
                if (upcoming or j == len(roadshows) - 2) and want not in pitched:
                    pitched.append(want)
            invited = rng.sample(active, min(len(active), rng.randint(5, 9)))
            s = RoadshowSession(
                title=e.title,
                event=e,
                held_at=e.starts_at,
                venue=e.venue,
                summary=""
                if upcoming
                else f"{len(pitched)}家企业路演，{len(invited)}家投资机构参加，"
                "会后安排一对一约谈。",
                is_demo=True,
            )
            sessions.append((s, pitched, invited))
        RoadshowSession.objects.bulk_create([s for s, _, _ in sessions])
        NeedLink = RoadshowSession.needs.through
        InvLink = RoadshowSession.investors.through
        for s, pitched, invited in sessions:
            links_n += [NeedLink(roadshowsession_id=s.pk, financingneed_id=n.pk) for n in pitched]
            links_i += [InvLink(roadshowsession_id=s.pk, investor_id=i.pk) for i in invited]
        NeedLink.objects.bulk_create(links_n)
        InvLink.objects.bulk_create(links_i)

        # Interest after each past session, follow-ups, and the investments that came of it.
        interests, follow_ups, investments, shares = [], [], [], []
        taken, financed = set(), set()
        progress = ("interested", "talks", "due_diligence", "term_sheet", "declined")
        for s, pitched, invited in sessions:
            if s.held_at > now:
                continue
            day = s.held_at.date()
            for need in pitched:
                backers = [
                    i
                    for i in rng.sample(invited, min(3, len(invited)))
                    if (i.pk, need.pk) not in taken
                ]
                will_invest = need.status == "financed" and need.pk not in financed
                if will_invest:
                    backers = backers[: rng.randint(1, 3)] or invited[:1]
                elif rng.random() < 0.3:
                    backers = backers[:1]
                invested = []
                for b in backers:
                    if (b.pk, need.pk) in taken:
                        continue
                    taken.add((b.pk, need.pk))
                    status = "invested" if will_invest else rng.choice(progress)
                    if need in demo_needs and need.status == "matching":
                        status = rng.choice(("talks", "due_diligence"))
                    it = InvestorInterest(
                        owner_org_id=b.owner_org_id,
                        need=need,
                        session=s,
                        status=status,
                        amount_considered=(need.amount * Decimal("0.4")).quantize(Decimal("1")),
                        note=rng.choice(INTEREST_NOTES),
                        next_follow_up_on=self.today + dt.timedelta(days=rng.randint(3, 30))
                        if status in ("talks", "due_diligence", "term_sheet")
                        else None,
                        is_demo=True,
                    )
                    interests.append(it)
                    if status == "invested":
                        invested.append(b)
                    steps = {"interested": 0, "declined": 1}.get(status, rng.randint(1, 4))
                    for t in range(steps):
                        fday = min(self.today, day + dt.timedelta(days=7 + 12 * t))
                        follow_ups.append(
                            FollowUp(
                                interest=it,
                                date=fday,
                                channel=("meeting", "call", "visit")[t % 3],
                                note=FOLLOW_NOTES[t % len(FOLLOW_NOTES)],
                                next_step=FOLLOW_NEXT[t % len(FOLLOW_NEXT)],
                                is_demo=True,
                            )
                        )
                if will_invest and invested:
                    financed.add(need.pk)
                    total = (need.amount * Decimal(rng.choice(("0.6", "0.8", "1.0")))).quantize(
                        Decimal("1")
                    )
                    inv = Investment(
                        owner_org_id=need.owner_org_id,
                        need=need,
                        session=s,
                        round=ROUNDS.get(need.stage, "a") if need.method == "equity" else "loan",
                        amount=total,
                        closed_on=min(self.today, day + dt.timedelta(days=rng.randint(30, 120))),
                        note="联合投资" if len(invested) > 1 else "",
                        is_demo=True,
                    )
                    investments.append(inv)
                    lead_part = Decimal("1") if len(invested) == 1 else Decimal("0.6")
                    rest = len(invested) - 1
                    parts = [lead_part] + [(1 - lead_part) / rest] * rest if rest else [lead_part]
                    amounts_ = [(total * p).quantize(Decimal("0.01")) for p in parts]
                    amounts_[0] += total - sum(amounts_)  # the lead takes the rounding
                    for b, a in zip(invested, amounts_, strict=True):
                        shares.append(
                            InvestmentShare(
                                investment=inv,
                                investor=b,
                                amount=a,
                                is_lead=b is invested[0],
                                note="领投" if b is invested[0] and rest else "",
                                is_demo=True,
                            )
                        )
        InvestorInterest.objects.bulk_create(interests)
        for fu in follow_ups:
            fu.interest_id = fu.interest.pk
        FollowUp.objects.bulk_create(follow_ups)
        Investment.objects.bulk_create(investments)
        for sh in shares:
            sh.investment_id = sh.investment.pk
        InvestmentShare.objects.bulk_create(shares)
        self.counts.update(
            {
                "fund alliance investors": len(investors),
                "financing needs": len(needs),
                "roadshow sessions": len(sessions),
                "investor interests": len(interests),
                "investor follow-ups": len(follow_ups),
                "investments": len(investments),
                "co-investments": sum(
                    1 for inv in investments if sum(sh.investment_id == inv.pk for sh in shares) > 1
                ),
            }
        )

    # -- funding programmes and eligibility -------------------------------------------------------
    def funding(self):
        from xiake.liaison.models import (
            EligibilityRule,
            EnterpriseProfile,
            FundingApplication,
            FundingCall,
            FundingProgramme,
        )

        rng = self.rng("funding")
        w = self.world
        docs = {d.title: d for d in self.policy_docs}
        programmes = [
            FundingProgramme(
                name="江苏省产学研合作项目",
                issuer="江苏省科学技术厅",
                policy_document=docs.get("江苏省产学研合作项目管理办法"),
                description="支持企业与高校院所联合开展关键技术攻关，采取前资助方式。",
                max_grant=Decimal("100"),
                requires_partner=True,
                is_demo=True,
            ),
            FundingProgramme(
                name="栖霞区科技成果转化专项资金",
                issuer="栖霞区财政局、栖霞区科学技术局",
                policy_document=docs.get("栖霞区科技成果转化专项资金管理办法"),
                description="支持科技成果在本区实施转化、中试熟化和技术转移服务体系建设。",
                max_grant=Decimal("200"),
                requires_partner=False,
                is_demo=True,
            ),
        ]
        FundingProgramme.objects.bulk_create(programmes)
        y = self.today.year
        calls = []
        for prog in programmes:
            calls.append(
                FundingCall(
                    programme=prog,
                    title=f"{y - 1}年度{prog.name}申报通知",
                    year=y - 1,
                    opens_on=self.today - dt.timedelta(days=330),
                    closes_on=self.today - dt.timedelta(days=290),
                    budget=Decimal("3000") if prog.requires_partner else Decimal("1500"),
                    requirements=prog.description,
                    is_demo=True,
                )
            )
            calls.append(
                FundingCall(
                    programme=prog,
                    title=f"{y}年度{prog.name}申报通知（第二批）",
                    year=y,
                    opens_on=self.today - dt.timedelta(days=20),
                    closes_on=self.today + dt.timedelta(days=25),
                    budget=Decimal("2000") if prog.requires_partner else Decimal("1000"),
                    requirements=prog.description,
                    is_demo=True,
                )
            )
        FundingCall.objects.bulk_create(calls)
        unis = [w.university_records[o.pk] for o in w.universities]
        firms = [e for e in w.enterprises if e is not self.demo_enterprise]
        apps = []
        topics = ("高性能焊材", "工业视觉检测", "生物医用材料", "储能电池管理", "智能运维平台")
        taken = set()
        for i in range(self.n(40, 10)):
            call = calls[i % len(calls)]
            past = call.closes_on < self.today
            if past:
                status = ("approved", "approved", "rejected", "approved")[i % 4]
            else:
                status = ("draft", "submitted", "accepted", "returned", "submitted")[i % 5]
            firm = firms[(i * 11) % len(firms)]
            title = f"{rng.choice(topics)}关键技术联合攻关与产业化"
            if (firm.pk, call.title, title) in taken:
                title += f"（{i}）"
            taken.add((firm.pk, call.title, title))
            cap = call.programme.max_grant
            asked = Decimal(rng.randint(3, int(cap) // 10) * 10)
            apps.append(
                FundingApplication(
                    owner_org=firm,
                    call=call,
                    project_title=title,
                    partner_university=rng.choice(unis)
                    if call.programme.requires_partner
                    else None,
                    amount_requested=asked,
                    summary="围绕企业生产中的关键技术问题，与高校联合开展攻关，形成自主知识产权并实现产业化。",
                    status=status,
                    review_comment={
                        "approved": "经专家评审，同意立项。",
                        "rejected": "创新性不足，本年度不予支持。",
                        "returned": "请补充与合作高校签订的技术开发合同。",
                    }.get(status, ""),
                    amount_granted=(asked * Decimal("0.8")).quantize(Decimal("1"))
                    if status == "approved"
                    else None,
                    submitted_at=None
                    if status == "draft"
                    else self.at(max(call.opens_on, self.today - dt.timedelta(days=330)), 10),
                    is_demo=True,
                )
            )
        FundingApplication.objects.bulk_create(apps)

        profiles = []
        for firm in w.enterprises:
            revenue = Decimal(rng.randint(200, 50000))
            employees = rng.randint(10, 600)
            profiles.append(
                EnterpriseProfile(
                    owner_org=firm,
                    year=y - 1,
                    is_high_tech="国家高新技术企业" in firm.description or rng.random() < 0.2,
                    is_tech_sme=rng.random() < 0.7,
                    employees=employees,
                    rd_staff=rng.randint(1, max(1, employees // 3)),
                    revenue=revenue,
                    rd_spend=(revenue * Decimal(rng.uniform(0.01, 0.12))).quantize(Decimal("1")),
                    invention_patents=rng.randint(0, 15),
                    is_demo=True,
                )
            )
        EnterpriseProfile.objects.bulk_create(profiles, batch_size=500)

        rules = []

        def rule(name, attribute, op, value=None, hint="", prog=None, doc=None):
            rules.append(
                EligibilityRule(
                    name=name,
                    programme=prog,
                    policy_document=docs.get(doc) if doc else None,
                    attribute=attribute,
                    operator=op,
                    value=None if value is None else Decimal(value),
                    hint=hint,
                    is_demo=True,
                )
            )

        prov, local = programmes
        rule("研发人员占职工总数不低于10%", "rd_staff_ratio", "ge", "10", "充实研发团队。", prov)
        rule("上年研发费用不低于50万元", "rd_spend", "ge", "50", "规范研发费用辅助账。", prov)
        rule("上年研发费用不低于100万元", "rd_spend", "ge", "100", "加大研发投入。", local)
        rule("研发费用占营业收入不低于3%", "rd_ratio", "ge", "3", "提高研发投入强度。", local)
        hi = "栖霞区高新技术企业培育扶持办法"
        rule("尚未认定为国家高新技术企业（入库培育）", "is_high_tech", "false", doc=hi)
        rule("拥有发明专利不少于1件", "invention_patents", "ge", "1", "开展专利布局。", doc=hi)
        rule("研发费用占营业收入不低于3%", "rd_ratio", "ge", "3", "提高研发投入强度。", doc=hi)
        sme = "栖霞区科技型中小企业研发费用补助实施细则"
        rule(
            "已入库国家科技型中小企业",
            "is_tech_sme",
            "true",
            hint="先完成科技型中小企业评价入库。",
            doc=sme,
        )
        rule("上年研发费用不低于100万元", "rd_spend", "ge", "100", "加大研发投入。", doc=sme)
        ip = "栖霞区知识产权质押融资风险补偿资金管理办法"
        rule("拥有可质押的发明专利", "invention_patents", "ge", "1", "先取得发明专利授权。", doc=ip)
        rules = [r for r in rules if r.programme_id or r.policy_document_id]
        EligibilityRule.objects.bulk_create(rules)
        self.counts.update(
            {
                "funding programmes": len(programmes),
                "funding calls": len(calls),
                "funding applications": len(apps),
                "enterprise profiles": len(profiles),
                "eligibility rules": len(rules),
            }
        )


STAGE_NAMES = {
    "seed": "种子期",
    "startup": "初创期",
    "growth": "成长期",
    "expansion": "扩张期",
    "pre_ipo": "拟上市",
}
ROUNDS = {"seed": "angel", "startup": "pre_a", "growth": "a", "expansion": "b", "pre_ipo": "later"}
INTEREST_NOTES = (
    "技术壁垒较高，关注核心专利的权属和团队稳定性。",
    "市场空间明确，希望进一步了解客户订单和毛利水平。",
    "与基金投资方向契合，拟安排尽职调查。",
    "估值预期偏高，继续跟踪下一轮。",
    "可与合作银行投贷联动，先行提供知识产权质押贷款。",
)
FOLLOW_NOTES = (
    "路演后一对一约谈，了解技术路线和产能规划。",
    "电话沟通估值和融资结构。",
    "赴企业现场考察中试线，查看设备和订单。",
    "提交尽调资料清单，企业已反馈财务数据。",
)
FOLLOW_NEXT = ("补充财务报表", "安排现场考察", "启动尽职调查", "讨论投资条款")

FEEDBACK = (
    "讲解清楚，案例实用，希望多举办。",
    "专家针对我司工艺问题给出了具体建议。",
    "对接效果好，已约专家到企业现场交流。",
    "时间略紧，希望增加答疑环节。",
    "了解到申报流程，收获很大。",
)


def generate(context, scale: float = 1.0, today: dt.date | None = None) -> dict:
    return Generator(context, scale, today).run()


# -- flush -----------------------------------------------------------------------------------------
def _raw_delete(qs) -> int:
    return qs._raw_delete(qs.db)


def flush() -> dict:
    """Delete the liaison demo rows, children first; refuse when real rows hang off them."""
    from xiake.liaison import models as m

    blockers = []
    checks = [
        (m.Registration, "event__is_demo"),
        (m.Task, "decision__is_demo"),
        (m.Decision, "meeting__is_demo"),
        (m.ContactLog, "assignment__is_demo"),
        (m.PolicyClause, "document__is_demo"),
        (m.InvestmentShare, "investment__is_demo"),
        (m.InvestmentShare, "investor__is_demo"),
        (m.FollowUp, "interest__is_demo"),
        (m.InvestorInterest, "need__is_demo"),
        (m.FundingApplication, "call__is_demo"),
        (m.FundingCall, "programme__is_demo"),
        (m.EligibilityRule, "programme__is_demo"),
        (m.EligibilityRule, "policy_document__is_demo"),
        # real records about demo universities (their rows are deleted by the demo flush)
        (m.Assignment, "university__is_demo"),
        (m.JointMeeting, "university__is_demo"),
        (m.Event, "university__is_demo"),
        (m.FundingApplication, "partner_university__is_demo"),
    ]
    for model, lookup in checks:
        n = model.objects.filter(**{lookup: True}, is_demo=False).count()
        if n:
            blockers.append(f"{n} {model._meta.verbose_name_plural} ({model._meta.label})")
    if blockers:
        from xiake.demo.generate import DemoError

        raise DemoError(
            "cannot flush the demo data: records that are not demo data refer to demo "
            "liaison records: " + "; ".join(blockers)
        )
    m.Consultation.objects.filter(is_demo=False, policy_document__is_demo=True).update(
        policy_document=None
    )
    m.Investment.objects.filter(is_demo=False, need__is_demo=True).update(need=None)
    m.Investment.objects.filter(is_demo=False, session__is_demo=True).update(session=None)
    m.InvestorInterest.objects.filter(is_demo=False, session__is_demo=True).update(session=None)
    sessions = m.RoadshowSession.objects.filter(is_demo=True).values("pk")
    for through, fk in (
        (m.RoadshowSession.needs.through, "financingneed__is_demo"),
        (m.RoadshowSession.investors.through, "investor__is_demo"),
    ):
        _raw_delete(through.objects.filter(roadshowsession_id__in=sessions))
        _raw_delete(through.objects.filter(**{fk: True}))
    m.FundingProgramme.objects.filter(is_demo=False, policy_document__is_demo=True).update(
        policy_document=None
    )
    # Compilations are derived files: those asked for by demo organisations go with them; others
    # lose their reference to a demo university.
    for job in m.CompilationJob.objects.filter(owner_org__is_demo=True):
        job.pdf_file.delete(save=False)
        job.docx_file.delete(save=False)
    compilations = _raw_delete(m.CompilationJob.objects.filter(owner_org__is_demo=True))
    m.CompilationJob.objects.filter(university__is_demo=True).update(university=None)
    out = {}
    for model in [
        m.FundingApplication,
        m.FundingCall,
        m.EligibilityRule,
        m.FundingProgramme,
        m.EnterpriseProfile,
        m.InvestmentShare,
        m.Investment,
        m.FollowUp,
        m.InvestorInterest,
        m.RoadshowSession,
        m.FinancingNeed,
        m.Investor,
        m.Registration,
        m.Event,
        m.Task,
        m.Decision,
        m.JointMeeting,
        m.ContactLog,
        m.Assignment,
        m.Consultation,
        m.PolicyClause,
        m.PolicyDocument,
        m.SlaRule,
    ]:
        out[str(model._meta.verbose_name_plural)] = _raw_delete(model.objects.filter(is_demo=True))
    out[str(m.CompilationJob._meta.verbose_name_plural)] = compilations
    return out
