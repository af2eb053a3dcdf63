"""``xiake demo`` at a small scale: counts, accounts, text, taxonomy, credit codes, --if-empty.

The data is generated once for the module inside a transaction that is rolled back at the end.
"""

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from xiake.accounts.models import Organization, OrgType, User
from xiake.catalog.models import (
    Achievement,
    Agency,
    AllianceMember,
    Demand,
    Expert,
    Faculty,
    Platform,
    SubCentre,
    TransferStaff,
    University,
)
from xiake.core.models import ChangeRecord
from xiake.core.review import ReviewStatus
from xiake.demo import creditcode
from xiake.demo.accounts import DEMO_ACCOUNTS

CJK = re.compile(r"[\u4e00-\u9fff]")
N = 300


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("demo", "--achievements", str(N), stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_it_writes_the_seed_scale(demo):
    assert Achievement.objects.filter(is_demo=True).count() == N
    assert Demand.objects.filter(is_demo=True).count() == 117
    assert Expert.objects.filter(is_demo=True).count() == 782
    assert Platform.objects.filter(is_demo=True).count() == 118
    assert Agency.objects.filter(is_demo=True).count() == 54
    assert Organization.objects.filter(org_type=OrgType.INTERMEDIARY, is_demo=True).count() == 54
    assert TransferStaff.objects.filter(is_demo=True).count() == 500
    assert University.objects.filter(is_demo=True).count() == 22
    assert 95 <= Faculty.objects.filter(university__is_demo=True).count() <= 105
    assert SubCentre.objects.count() == 12
    assert AllianceMember.objects.count() == 38
    assert Organization.objects.filter(org_type=OrgType.NRI, is_demo=True).count() == 53
    assert Organization.objects.filter(org_type=OrgType.ENTERPRISE, is_demo=True).count() >= 200
    assert Organization.objects.get(name="栖霞区科学技术局").org_type == OrgType.GOVERNMENT
    assert Organization.objects.filter(org_type=OrgType.EVALUATOR, is_demo=True).exists()
    assert not Organization.objects.filter(is_demo=False).exists()
    assert "achievements" in demo and "Xiake@demo1" in demo and "/accounts/login/" in demo


def test_it_marks_the_local_universities():
    local = set(University.objects.filter(is_local=True).values_list("name", flat=True))
    assert {"南京大学", "南京邮电大学", "南京师范大学", "南京财经大学"} <= local
    assert "东南大学" not in local
    assert all(u.owner_org.is_local == u.is_local for u in University.objects.all())


def test_every_demo_account_logs_in_with_the_demo_password(demo):
    for username, _role in DEMO_ACCOUNTS:
        assert Client().login(username=username, password=settings.XIAKE_DEMO_PASSWORD), username
    assert not Client().login(username="bureau", password="wrong")


def test_demo_accounts_have_the_right_roles_and_organisations(demo):
    users = {u.username: u for u in User.objects.filter(username__in=[u for u, _ in DEMO_ACCOUNTS])}
    assert {u: users[u].role for u, _ in DEMO_ACCOUNTS} == dict(DEMO_ACCOUNTS)
    assert users["admin"].is_superuser and not users["bureau"].is_superuser
    assert users["bureau"].organization.name == "栖霞区科学技术局"
    assert users["university"].organization.org_type == OrgType.UNIVERSITY
    assert users["university"].organization.university.is_local
    ent = users["enterprise"].organization
    assert ent.org_type == OrgType.ENTERPRISE
    assert Demand.objects.filter(owner_org=ent).count() >= 3
    assert users["institution"].organization.org_type == OrgType.NRI
    assert users["evaluator"].organization.org_type == OrgType.EVALUATOR
    staff = users["manager"].transfer_staff
    assert (staff.kind, staff.level) == (TransferStaff.Kind.MANAGER, TransferStaff.Level.SENIOR)
    assert staff.certificate_no and staff.certificate_expires
    assigned = users["manager"].assigned_demands.all()
    assert assigned.exists() and assigned.filter(is_confidential=True).exists()
    assert Demand.objects.filter(is_confidential=True).count() >= 1


def test_text_is_chinese_and_not_empty(demo):
    for a in Achievement.objects.all():
        assert CJK.search(a.title) and CJK.search(a.summary), a.pk
        assert 150 <= len(a.summary) <= 400
        assert 3 <= len(a.keywords.split(",")) <= 6
        assert a.technical_indicators and a.completers and a.application_fields
    for d in Demand.objects.all():
        assert d.description.startswith("我司") and CJK.search(d.title)
        assert d.budget is not None and d.budget.as_tuple().exponent == -2
    for e in Expert.objects.all()[:200]:
        assert CJK.search(e.name) and e.title and e.research_fields and e.bio
    for p in Platform.objects.all():
        assert p.equipment and CJK.search(p.name)


def test_terms_belong_to_the_right_schemes(demo):
    from xiake.catalog.models import Achievement as A

    fks = {
        "achievement_type": "achievement_type",
        "discipline": "gbt13745",
        "industry": "gbt4754",
        "emerging_industry": "sei2018",
        "hightech_field": "hightech8",
        "chain": "chain",
        "trl": "trl",
        "stage": "stage",
        "ip_type": "ip_type",
    }
    rows = A.objects.values_list(*[f"{f}__scheme__code" for f in fks])
    for row in rows:
        for (field, scheme), got in zip(fks.items(), row, strict=True):
            assert got in (scheme, None), (field, got)
    assert A.objects.filter(discipline__isnull=True).count() == 0
    assert A.objects.filter(industry__isnull=True).count() == 0
    modes = A.cooperation_modes.through.objects.values_list("term__scheme__code", flat=True)
    assert set(modes) == {"coop_mode"}
    assert set(Expert.disciplines.through.objects.values_list("term__scheme__code", flat=True)) == {
        "gbt13745"
    }
    assert set(Platform.objects.values_list("platform_type__scheme__code", flat=True)) == {
        "platform_type"
    }
    assert set(Platform.objects.values_list("level__scheme__code", flat=True)) == {"platform_level"}
    assert set(Demand.objects.values_list("demand_type__scheme__code", flat=True)) == {
        "demand_type"
    }


def test_about_half_the_demands_declare_a_discipline_of_a_demo_domain(demo):
    from xiake.demo.vocab import DOMAINS

    codes = {c for d in DOMAINS for c in d.disciplines}
    rows = list(Demand.objects.values_list("discipline__scheme__code", "discipline__code"))
    declared = [code for scheme, code in rows if scheme is not None]
    assert {scheme for scheme, _code in rows} <= {"gbt13745", None}
    assert 0.3 < len(declared) / len(rows) < 0.7
    # a domain's code, or its parent where the built-in taxonomy stops one level higher
    assert all(any(c.startswith(code) for c in codes) for code in declared)


def test_domains_agree_between_title_and_classification(demo):
    # Soft science aside, the stage and the TRL agree (GB/T 22900 levels by stage).
    for code, trl in Achievement.objects.exclude(stage=None).values_list(
        "stage__code", "trl__code"
    ):
        assert (
            int(trl) in {"early": range(1, 5), "middle": range(5, 7), "mature": range(7, 10)}[code]
        )


def test_each_expert_has_3_to_30_achievements_of_their_organisation(demo):
    for e in Expert.objects.prefetch_related("achievements"):
        orgs = {a.owner_org_id for a in e.achievements.all()}
        assert 3 <= len(e.achievements.all()) <= 30, e.pk
        assert orgs == {e.owner_org_id}


def test_review_statuses_are_mixed_with_comments(demo):
    statuses = set(Achievement.objects.values_list("status", flat=True))
    assert ReviewStatus.PUBLISHED in statuses and len(statuses) >= 4
    published = Achievement.objects.filter(status=ReviewStatus.PUBLISHED).count()
    assert published > 0.75 * N
    for a in Achievement.objects.filter(status__in=[ReviewStatus.RETURNED, ReviewStatus.REJECTED]):
        assert a.review_comment and a.reviewed_by is not None


def test_credit_codes_pass_the_gb32100_check(demo):
    codes = list(Organization.objects.values_list("credit_code", flat=True))
    assert all(creditcode.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)


def test_staff_mix_managers_brokers_and_commissioners(demo):
    kinds = dict.fromkeys(TransferStaff.Kind.values, 0)
    for s in TransferStaff.objects.all():
        kinds[s.kind] += 1
        if s.kind == TransferStaff.Kind.COMMISSIONER:
            assert s.owner_org.org_type == OrgType.ENTERPRISE and not s.certificate_no
        else:
            assert s.certificate_no and s.certificate_issuer and s.certificate_expires and s.level
    assert all(v >= 50 for v in kinds.values())
    levels = set(TransferStaff.objects.filter(kind="manager").values_list("level", flat=True))
    assert levels == {"junior", "intermediate", "senior"}


def test_one_summary_change_record_instead_of_one_per_row(demo):
    records = ChangeRecord.objects.all()
    assert records.filter(action="import").count() == 1
    assert records.filter(action="create").count() == 0


def test_if_empty_is_a_no_op_on_a_filled_database(demo):
    before = Achievement.objects.count(), Organization.objects.count()
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert (Achievement.objects.count(), Organization.objects.count()) == before
    assert "unchanged" in out.getvalue()


def test_a_second_run_without_flush_refuses(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--flush-demo"):
        call_command("demo", "--achievements", "10", stdout=io.StringIO())
