"""Records of the liaison app for tests, built with the real models."""

import datetime as dt
import itertools

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
