"""Permission changes (role, organisation, active/staff/superuser flags, groups, permissions) are
audited with before and after, whoever makes them and from whichever side of the relation."""

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests import factories as f
from xiake.core.context import acting_as
from xiake.core.models import ChangeRecord


def _permission_records(user):
    return ChangeRecord.objects.filter(
        action="permission", object_id=str(user.pk), content_type__model="user"
    ).order_by("time", "id")


def test_a_new_account_records_the_rights_it_starts_with(orgs):
    with acting_as(None, request_id="create-1"):
        user = f.make_user("t_new", "enterprise", orgs["enterprise"])
    record = _permission_records(user).get()
    assert record.before is None and record.request_id == "create-1"
    assert record.after["role"] == "enterprise"
    assert record.after["organization_id"] == orgs["enterprise"].pk


def test_role_organisation_and_flags_are_recorded_before_and_after(orgs, users):
    target = users["enterprise"]
    with acting_as(users["bureau"], ip="10.1.2.3", request_id="perm-1"):
        target.role = "university"
        target.organization = orgs["university"]
        target.is_staff = True
        target.save()
        target.is_active = False
        target.is_superuser = True
        target.save()
    first, second = _permission_records(target).filter(request_id="perm-1")
    assert first.before == {
        "role": "enterprise",
        "organization_id": orgs["enterprise"].pk,
        "is_staff": False,
    }
    assert first.after == {
        "role": "university",
        "organization_id": orgs["university"].pk,
        "is_staff": True,
    }
    assert second.before == {"is_active": True, "is_superuser": False}
    assert second.after == {"is_active": False, "is_superuser": True}
    assert first.actor == users["bureau"] and first.ip == "10.1.2.3"


def test_saves_that_change_no_right_write_no_permission_record(users, client):
    target = users["university"]
    before = _permission_records(target).count()
    target.phone = "0571-1234"
    target.save()
    client.post(reverse("accounts:login"), {"username": "t_university", "password": f.PASSWORD})
    assert _permission_records(target).count() == before


def test_groups_and_permissions_are_recorded_from_either_side(users):
    target = users["university"]
    reviewers = Group.objects.create(name="reviewers")
    perm = Permission.objects.get(codename="change_user")
    with acting_as(users["bureau"], request_id="grp"):
        target.groups.add(reviewers)
        reviewers.permissions.add(perm)
        target.user_permissions.add(perm)
        reviewers.user_set.remove(target)
        perm.user_set.clear()
    records = ChangeRecord.objects.filter(action="permission", request_id="grp").order_by("id")
    seen = [(r.object_repr, r.before, r.after) for r in records]
    assert seen == [
        ("t_university", {"groups": []}, {"groups": [reviewers.pk]}),
        ("reviewers", {"permissions": []}, {"permissions": [perm.pk]}),
        ("t_university", {"user_permissions": []}, {"user_permissions": [perm.pk]}),
        ("t_university", {"groups": [reviewers.pk]}, {"groups": []}),
        ("t_university", {"user_permissions": [perm.pk]}, {"user_permissions": []}),
    ]
    assert all(r.actor == users["bureau"] for r in records)
