"""Minimal valid institution records for tests."""

import datetime as dt
import itertools
from decimal import Decimal

from xiake.institutions import models as m

_seq = itertools.count(1)


def make_institution(org, **kwargs):
    existing = m.Institution.objects.filter(owner_org=org).first()
    if existing:
        return existing
    defaults = dict(
        name=f"{org.name}研究院",
        legal_form="enterprise",
        backing_type="university",
        backing_name="南京大学",
        filing_status="district",
        established_on=dt.date(2021, 1, 1),
        filed_on=dt.date(2021, 6, 1),
        registered_capital=Decimal("500"),
        paid_in_capital=Decimal("500"),
        team_share_pct=Decimal("60"),
        team_shareholders=8,
        core_scientist_pct=Decimal("12"),
        committed_incubated_3y=12,
        park="仙林大道",
    )
    defaults.update(kwargs)
    return m.Institution.objects.create(owner_org=org, **defaults)


def figures(**kwargs):
    data = {name: 0 for name in m.MonthlyReport.FIGURES}
    data.update(
        rd_spend=Decimal("50"),
        staff_total=40,
        fulltime_rd_staff=20,
        team_shareholders=8,
        revenue=Decimal("120"),
        technical_income=Decimal("30"),
    )
    data.update(kwargs)
    return data


def make_report(org, status="draft", period=None, **kwargs):
    inst = make_institution(org)
    if period is None:
        period = dt.date(2020 + next(_seq) // 12 % 5, next(_seq) % 12 + 1, 1)
        while m.MonthlyReport.objects.filter(institution=inst, period=period).exists():
            period = dt.date(period.year - 1, period.month, 1)
    return m.MonthlyReport.objects.create(
        institution=inst, period=period, status=status, **figures(**kwargs)
    )


def make_team_member(org, **kwargs):
    return m.TeamMember.objects.create(
        institution=make_institution(org), name=f"张{next(_seq)}", role="shareholder", **kwargs
    )


def make_company(org, **kwargs):
    return m.ProjectCompany.objects.create(
        institution=make_institution(org),
        name=f"南京孵化科技有限公司{next(_seq)}",
        relation="incubated",
    )


def make_warning(org, **kwargs):
    n = next(_seq)
    return m.EarlyWarning.objects.create(
        institution=make_institution(org),
        kind="missing",
        period=dt.date(2024, n % 12 + 1, 1),
        key=f"missing:{n}",
        reason=f"缺报月报{n}",
    )


def make_filing_rule(org=None, **kwargs):
    return m.FilingRule.objects.create(
        version=f"南京2020-{next(_seq)}", effective_from=dt.date(2020, 1, 1), **kwargs
    )


def make_warning_rule(org=None, **kwargs):
    return m.WarningRule.objects.create(
        version=f"预警2024-{next(_seq)}", effective_from=dt.date(2018, 1, 1), **kwargs
    )


def make_tier(org=None, **kwargs):
    n = next(_seq)
    defaults = dict(
        version=f"T{n}", effective_from=dt.date(2020, 1, 1), rule_set=f"规则{n}", name=f"培育档{n}"
    )
    defaults.update(kwargs)
    return m.Tier.objects.create(**defaults)


def make_system(org=None, **kwargs):
    n = next(_seq)
    defaults = dict(name=f"评价体系{n}", version=f"V{n}", effective_from=dt.date(2020, 1, 1))
    defaults.update(kwargs)
    return m.IndicatorSystem.objects.create(**defaults)


def make_indicator(org=None, system=None, **kwargs):
    n = next(_seq)
    defaults = dict(
        dimension="innovation",
        code=f"I{n}",
        name=f"研发投入强度{n}",
        weight=Decimal("10"),
        method="computed",
        formula="sum(rd_spend) / sum(revenue)",
    )
    defaults.update(kwargs)
    return m.Indicator.objects.create(system=system or make_system(), **defaults)


def make_park(org=None, **kwargs):
    n = next(_seq)
    defaults = dict(name=f"测试园区{n}", latitude=Decimal("32.1"), longitude=Decimal("118.9"))
    defaults.update(kwargs)
    return m.Park.objects.create(**defaults)
