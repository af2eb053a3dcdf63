"""Minimal valid records for tests, built with the real models and taxonomies."""

import itertools
from decimal import Decimal

from xiake.accounts.models import Organization, User
from xiake.taxonomy.api import resolve

PASSWORD = "Test@pass1"
_seq = itertools.count(1)


def make_org(name, org_type, **kwargs):
    return Organization.objects.create(name=name, org_type=org_type, **kwargs)


def make_user(username, role, org, **kwargs):
    return User.objects.create_user(
        username, password=PASSWORD, role=role, organization=org, **kwargs
    )


def term(scheme, value):
    found = resolve(scheme, value)
    assert found is not None, f"{scheme} {value} missing from the built-in taxonomy"
    return found


def make_achievement(org, status="published", **kwargs):
    from xiake.catalog.models import Achievement

    n = next(_seq)
    defaults = dict(
        title=f"双相不锈钢焊接接头耐点蚀技术{n}",
        keywords="双相不锈钢,焊接,耐点蚀",
        summary="提出一种双相不锈钢焊接工艺，焊接接头在海水中的耐点蚀性能提高30%。",
        trl=term("trl", "6"),
        industry=term("gbt4754", "33"),
        asking_price=Decimal("120.00"),
        contact_phone="13912345678",
        contact_email="li@example.edu.cn",
    )
    defaults.update(kwargs)
    return Achievement.objects.create(owner_org=org, status=status, **defaults)


def make_demand(org, status="published", **kwargs):
    from xiake.catalog.models import Demand

    n = next(_seq)
    defaults = dict(
        title=f"海水环境下不锈钢管焊缝防腐需求{n}",
        description="我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀。",
        budget=Decimal("50"),
    )
    defaults.update(kwargs)
    return Demand.objects.create(owner_org=org, status=status, **defaults)


def make_expert(org, status="published", **kwargs):
    from xiake.catalog.models import Expert

    n = next(_seq)
    defaults = dict(
        name=f"李明{n}",
        title="教授",
        research_fields="焊接冶金",
        phone="13800001111",
        email="liming@example.edu.cn",
    )
    defaults.update(kwargs)
    return Expert.objects.create(owner_org=org, status=status, **defaults)


def make_platform(org, status="published", **kwargs):
    from xiake.catalog.models import Platform

    n = next(_seq)
    defaults = dict(name=f"材料腐蚀与防护重点实验室{n}", services="盐雾试验、电化学测试")
    defaults.update(kwargs)
    return Platform.objects.create(owner_org=org, status=status, **defaults)


def make_agency(org, status="published", **kwargs):
    from xiake.catalog.models import Agency

    n = next(_seq)
    defaults = dict(name=f"知识产权代理事务所{n}", service_types="专利代理")
    defaults.update(kwargs)
    return Agency.objects.create(owner_org=org, status=status, **defaults)


def make_transferstaff(org, status="published", **kwargs):
    from xiake.catalog.models import TransferStaff

    n = next(_seq)
    defaults = dict(
        name=f"王芳{n}",
        kind="manager",
        level="senior",
        certificate_no=f"JSJL-{n:05d}",
        phone="13700002222",
    )
    defaults.update(kwargs)
    return TransferStaff.objects.create(owner_org=org, status=status, **defaults)


def make_university(org, status="published", **kwargs):
    """A university profile for ``org``; an older profile of ``org`` moves to a new organisation
    (a university organisation has exactly one profile)."""
    from xiake.catalog.models import University

    for old in University.objects.filter(owner_org=org):
        old.owner_org = make_org(f"{org.name}旧档{next(_seq)}", "university")
        old.save()
    n = next(_seq)
    defaults = dict(name=f"{org.name}（{n}）", code=f"1{n:09d}")
    defaults.update(kwargs)
    return University.objects.create(owner_org=org, status=status, **defaults)


def make_faculty(org, **kwargs):
    from xiake.catalog.models import Faculty, University

    uni = University.objects.filter(owner_org=org).first() or make_university(org)
    return Faculty.objects.create(university=uni, name=kwargs.get("name", f"材料学院{next(_seq)}"))


def make_subcentre(org, **kwargs):
    from xiake.catalog.models import SubCentre, University

    uni = University.objects.filter(owner_org=org).first() or make_university(org)
    return SubCentre.objects.create(university=uni, name=f"技术转移分中心{next(_seq)}")


def make_alliancemember(org, **kwargs):
    from xiake.catalog.models import AllianceMember

    return AllianceMember.objects.create(owner_org=org, member_role="member")
