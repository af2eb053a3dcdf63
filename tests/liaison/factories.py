"""Records of the liaison app for tests, built with the real models."""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from tests import factories as f

_seq = itertools.count(1)


def university_of(org):
    from xiake.catalog.models import University

    return University.objects.filter(owner_org=org).first() or f.make_university(org)


def make_assignment(org=None, university=None, **kwargs):
    """An assignment for the university of the ``university`` persona (whatever ``org`` is)."""
    from xiake.accounts.models import Organization
    from xiake.liaison.models import Assignment

    if university is None:
        uni_org = Organization.objects.filter(name="测试大学").first() or f.make_org(
            "测试大学", "university"
        )
        university = university_of(uni_org)
    defaults = dict(kind="department", responsible=f"区科技局成果转化科{next(_seq)}")
    defaults.update(kwargs)
    return Assignment.objects.create(university=university, **defaults)


def make_contactlog(org=None, assignment=None, **kwargs):
    from xiake.liaison.models import ContactLog

    assignment = assignment or make_assignment()
    defaults = dict(
        channel="visit",
        date=timezone.localdate() - dt.timedelta(days=3),
        summary=f"走访技术转移中心，了解成果转化意向{next(_seq)}",
    )
    defaults.update(kwargs)
    return ContactLog.objects.create(assignment=assignment, **defaults)


def make_jointmeeting(org=None, university=None, **kwargs):
    from xiake.liaison.models import JointMeeting

    if university is None:
        university = make_assignment().university
    defaults = dict(title=f"校地联席会议第{next(_seq)}次", agenda="成果转化合作")
    defaults.update(kwargs)
    return JointMeeting.objects.create(university=university, **defaults)


def make_decision(org=None, meeting=None, **kwargs):
    from xiake.liaison.models import Decision

    meeting = meeting or make_jointmeeting()
    n = next(_seq)
    defaults = dict(number=n, text=f"共建联合实验室{n}")
    defaults.update(kwargs)
    return Decision.objects.create(meeting=meeting, **defaults)


def make_task(org=None, decision=None, **kwargs):
    from xiake.liaison.models import Task

    decision = decision or make_decision()
    defaults = dict(
        title=f"起草共建协议{next(_seq)}",
        due_on=timezone.localdate() + dt.timedelta(days=30),
        owner_org=org,
    )
    defaults.update(kwargs)
    return Task.objects.create(decision=decision, **defaults)


def make_event(org, **kwargs):
    from xiake.liaison.models import Event

    start = timezone.now() + dt.timedelta(days=7)
    defaults = dict(
        title=f"公益大讲堂：知识产权运营第{next(_seq)}期",
        event_type="lecture",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        capacity=50,
    )
    defaults.update(kwargs)
    return Event.objects.create(owner_org=org, **defaults)


def make_registration(org=None, event=None, **kwargs):
    from xiake.accounts.models import Organization
    from xiake.liaison.models import Registration

    if event is None:
        uni = Organization.objects.filter(name="测试大学").first() or f.make_org(
            "测试大学", "university"
        )
        event = make_event(uni)
    enterprise = Organization.objects.filter(name="测试材料科技有限公司").first()
    defaults = dict(enterprise=enterprise, attendee_name=f"张工{next(_seq)}")
    defaults.update(kwargs)
    return Registration.objects.create(event=event, **defaults)


def make_policydocument(org=None, **kwargs):
    from xiake.liaison.models import PolicyDocument

    defaults = dict(
        title=f"科技成果转化专项资金管理办法{next(_seq)}", issuer="区科学技术局", status="published"
    )
    defaults.update(kwargs)
    return PolicyDocument.objects.create(**defaults)


def make_holiday(org=None, **kwargs):
    from xiake.liaison.models import Holiday

    n = next(_seq)
    defaults = dict(date=dt.date(2030, 1, 1) + dt.timedelta(days=n), name=f"假日{n}")
    defaults.update(kwargs)
    return Holiday.objects.create(**defaults)


def make_slarule(org=None, **kwargs):
    from xiake.liaison.models import SlaRule

    defaults = dict(
        name=f"政策咨询答复时限{next(_seq)}", working_days=5, effective_from=dt.date(2020, 1, 1)
    )
    defaults.update(kwargs)
    return SlaRule.objects.create(**defaults)


def make_consultation(org, **kwargs):
    from xiake.liaison.models import Consultation

    defaults = dict(
        subject=f"研发费用加计扣除咨询{next(_seq)}", question="委托高校研发的费用能否加计扣除？"
    )
    defaults.update(kwargs)
    return Consultation.objects.create(owner_org=org, **defaults)


def make_policyclause(org=None, document=None, **kwargs):
    from xiake.liaison.models import PolicyClause

    document = document or make_policydocument()
    defaults = dict(number=next(_seq), heading="技术合同奖励", text="按技术交易额的3%给予奖励。")
    defaults.update(kwargs)
    return PolicyClause.objects.create(document=document, **defaults)


# -- tech finance ----------------------------------------------------------------------------------


def _enterprise():
    from xiake.accounts.models import Organization

    return Organization.objects.filter(name="测试材料科技有限公司").first() or f.make_org(
        "测试材料科技有限公司", "enterprise"
    )


def make_investor(org, **kwargs):
    from xiake.liaison.models import Investor

    defaults = dict(
        kind="vc",
        focus="新材料、集成电路早期项目",
        ticket_min=Decimal("100"),
        ticket_max=Decimal("2000"),
    )
    defaults.update(kwargs)
    return Investor.objects.update_or_create(owner_org=org, defaults=defaults)[0]


def make_financingneed(org=None, **kwargs):
    from xiake.liaison.models import FinancingNeed

    defaults = dict(
        title=f"中试线建设融资{next(_seq)}",
        amount=Decimal("800.00"),
        stage="startup",
        method="equity",
        use_of_funds="建设年产10吨的中试线",
    )
    defaults.update(kwargs)
    return FinancingNeed.objects.create(owner_org=org or _enterprise(), **defaults)


def make_roadshowsession(org=None, **kwargs):
    from xiake.liaison.models import RoadshowSession

    defaults = dict(
        title=f"霞科行·项目路演第{next(_seq)}期",
        held_at=timezone.now() + dt.timedelta(days=10),
        venue="路演中心",
    )
    defaults.update(kwargs)
    return RoadshowSession.objects.create(**defaults)


def make_investorinterest(org, need=None, **kwargs):
    """``org`` is the investor's organisation (made an alliance investor here)."""
    from xiake.liaison.models import InvestorInterest

    make_investor(org)
    need = need or make_financingneed(_enterprise())
    defaults = dict(status="interested", note=f"关注团队和专利布局{next(_seq)}")
    defaults.update(kwargs)
    return InvestorInterest.objects.create(owner_org=org, need=need, **defaults)


def make_followup(org, interest=None, **kwargs):
    from xiake.liaison.models import FollowUp

    interest = interest or make_investorinterest(org)
    defaults = dict(channel="meeting", note=f"约谈创始团队，了解技术路线{next(_seq)}")
    defaults.update(kwargs)
    return FollowUp.objects.create(interest=interest, **defaults)


def make_investment(org=None, enterprise=None, **kwargs):
    from xiake.liaison.models import Investment

    defaults = dict(
        round="angel",
        amount=Decimal("1000.00"),
        closed_on=timezone.localdate(),
        note=f"天使轮联合投资{next(_seq)}",
    )
    defaults.update(kwargs)
    return Investment.objects.create(owner_org=enterprise or _enterprise(), **defaults)


def make_investmentshare(org=None, investment=None, investor=None, **kwargs):
    from xiake.accounts.models import Organization
    from xiake.liaison.models import InvestmentShare

    investment = investment or make_investment()
    if investor is None:
        fund = Organization.objects.filter(name="测试创投基金").first() or f.make_org(
            "测试创投基金", "enterprise"
        )
        investor = make_investor(fund)
    defaults = dict(amount=Decimal("400.00"), is_lead=True, note=f"领投{next(_seq)}")
    defaults.update(kwargs)
    return InvestmentShare.objects.create(investment=investment, investor=investor, **defaults)


def make_compilationjob(org, **kwargs):
    from xiake.liaison.models import CompilationJob

    defaults = dict(title=f"科技成果汇编第{next(_seq)}辑")
    defaults.update(kwargs)
    return CompilationJob.objects.create(owner_org=org, **defaults)


# -- funding and eligibility -----------------------------------------------------------------------


def make_fundingprogramme(org=None, **kwargs):
    from xiake.liaison.models import FundingProgramme

    defaults = dict(
        name=f"省产学研合作项目{next(_seq)}",
        issuer="江苏省科学技术厅",
        max_grant=Decimal("100"),
        requires_partner=True,
    )
    defaults.update(kwargs)
    return FundingProgramme.objects.create(**defaults)


def make_fundingcall(org=None, programme=None, **kwargs):
    from xiake.liaison.models import FundingCall

    today = timezone.localdate()
    defaults = dict(
        title=f"2026年度省产学研合作项目申报通知{next(_seq)}",
        year=today.year,
        opens_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=20),
        budget=Decimal("2000"),
    )
    defaults.update(kwargs)
    return FundingCall.objects.create(programme=programme or make_fundingprogramme(), **defaults)


def make_fundingapplication(org, call=None, **kwargs):
    from xiake.liaison.models import FundingApplication

    defaults = dict(
        project_title=f"高性能焊材联合攻关{next(_seq)}",
        amount_requested=Decimal("80"),
        summary="与高校联合开发耐海水腐蚀焊材。",
    )
    defaults.update(kwargs)
    return FundingApplication.objects.create(
        owner_org=org, call=call or make_fundingcall(), **defaults
    )


def make_enterpriseprofile(org, **kwargs):
    from xiake.liaison.models import EnterpriseProfile

    defaults = dict(
        year=2025,
        is_high_tech=True,
        employees=120,
        rd_staff=30,
        revenue=Decimal("8000"),
        rd_spend=Decimal("520"),
        invention_patents=6,
    )
    defaults.update(kwargs)
    return EnterpriseProfile.objects.create(owner_org=org, **defaults)


def make_eligibilityrule(org=None, **kwargs):
    from xiake.liaison.models import EligibilityRule

    if "programme" not in kwargs and "policy_document" not in kwargs:
        kwargs["policy_document"] = make_policydocument()
    defaults = dict(
        name=f"上年研发费用不低于100万元{next(_seq)}",
        attribute="rd_spend",
        operator="ge",
        value=Decimal("100"),
        hint="加大研发投入，规范研发费用辅助账。",
    )
    defaults.update(kwargs)
    return EligibilityRule.objects.create(**defaults)
