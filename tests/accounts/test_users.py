"""The system administrator's user management, from outside: who reaches it, creating an account,
changing role and organisation (audited before/after), deactivating, and its limits."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from tests.base import api_for, client_for
from tests.factories import PASSWORD, make_achievement, make_user
from xiake.accounts.models import Organization, User
from xiake.core.models import ChangeAction, ChangeRecord

NEW = {
    "username": "t_newcomer",
    "last_name": "林",
    "first_name": "新",
    "email": "new@example.com",
    "phone": "",
    "job_title": "",
    "role": "university",
    "organization": "",
    "password1": "Newcomer#2026",
    "password2": "Newcomer#2026",
}


def account_records(user):
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    )


def form_of(user, **changes):
    data = {
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "phone": user.phone,
        "job_title": user.job_title,
        "role": user.role,
        "organization": user.organization_id or "",
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_only_the_system_admin_manages_accounts(users, admins):
    target = users["university"]
    pages = [
        reverse("accounts:user_list"),
        reverse("accounts:user_add"),
        reverse("accounts:user_edit", args=[target.pk]),
    ]
    for url in pages:
        assert Client().get(url).status_code == 302
        for outsider in (
            users["bureau"],
            users["university"],
            admins["security_admin"],
            admins["audit_admin"],
        ):
            assert client_for(outsider).get(url).status_code == 403, (url, outsider)
        assert client_for(admins["system_admin"]).get(url).status_code == 200
    outsider = client_for(users["bureau"])
    assert outsider.post(pages[1], NEW).status_code == 403
    assert outsider.post(pages[2], form_of(target, role="bureau")).status_code == 403
    assert not User.objects.filter(username="t_newcomer").exists()
    assert User.objects.get(pk=target.pk).role == "university"


def test_creating_an_account_checks_the_password_and_is_audited(orgs, admins):
    client = client_for(admins["system_admin"])
    url = reverse("accounts:user_add")
    weak = client.post(url, {**NEW, "password1": "abc", "password2": "abc"})
    assert weak.status_code == 400 and "password1" in weak.context["form"].errors
    differ = client.post(url, {**NEW, "password2": "Other#2026x"})
    assert differ.status_code == 400 and "password2" in differ.context["form"].errors
    assert not User.objects.filter(username="t_newcomer").exists()

    data = {**NEW, "organization": orgs["university"].pk}
    assert client.post(url, data).status_code == 302
    user = User.objects.get(username="t_newcomer")
    assert user.role == "university" and user.organization == orgs["university"]
    assert user.check_password(NEW["password1"]) and not user.is_superuser
    record = account_records(user).get(action=ChangeAction.CREATE)
    assert record.actor == admins["system_admin"] and record.before is None
    assert record.after["role"] == "university"
    assert "password" not in str(record.after)


def test_role_and_organisation_changes_are_audited_before_and_after(orgs, users, admins):
    target = users["university"]
    client = client_for(admins["system_admin"])
    url = reverse("accounts:user_edit", args=[target.pk])
    data = form_of(target, role="manager", organization=orgs["enterprise"].pk)
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.role == "manager" and target.organization == orgs["enterprise"]
    record = account_records(target).filter(action=ChangeAction.UPDATE).latest("pk")
    assert record.actor == admins["system_admin"]
    assert record.before["role"] == "university" and record.after["role"] == "manager"
    assert record.before["organization_id"] == orgs["university"].pk
    assert record.after["organization_id"] == orgs["enterprise"].pk
    # an unchanged save writes nothing
    count = ChangeRecord.objects.count()
    assert client.post(url, form_of(target)).status_code == 302
    assert ChangeRecord.objects.count() == count


def test_a_deactivated_account_cannot_log_in(users, admins):
    target = users["enterprise"]
    session, api = client_for(target), api_for(target)
    assert api.get("/api/v1/organizations/").status_code == 200
    client = client_for(admins["system_admin"])
    url = reverse("accounts:user_edit", args=[target.pk])
    assert client.post(url, form_of(target, is_active="")).status_code == 302
    assert not User.objects.get(pk=target.pk).is_active
    assert session.get(reverse("portal:my")).status_code == 302  # the open session ends
    assert api.get("/api/v1/organizations/").status_code == 401  # and the API token
    login = Client().post("/accounts/login/", {"username": target.username, "password": PASSWORD})
    assert login.status_code == 200 and not login.wsgi_request.user.is_authenticated
    record = account_records(target).latest("pk")
    assert record.before["is_active"] is True and record.after["is_active"] is False


def test_the_system_admin_cannot_raise_or_disable_itself_nor_touch_superusers(admins):
    me = admins["system_admin"]
    client = client_for(me)
    url = reverse("accounts:user_edit", args=[me.pk])
    assert client.post(url, form_of(me, role="security_admin", is_active="")).status_code == 302
    me.refresh_from_db()
    assert me.role == "system_admin" and me.is_active
    root = make_user("t_root", "bureau", None, is_superuser=True)
    assert client.get(reverse("accounts:user_edit", args=[root.pk])).status_code == 404
    assert root.username not in client.get(reverse("accounts:user_list")).content.decode()


def test_the_system_admin_manages_organisations_but_sees_no_business_record(orgs, users, admins):
    sysadmin = admins["system_admin"]
    client = client_for(sysadmin)
    assert client.get(reverse("accounts:organization_add")).status_code == 200
    edit = reverse("accounts:organization_edit", args=[orgs["university"].pk])
    assert client.get(edit).status_code == 200
    # members still edit only their own organisation
    assert client_for(users["enterprise"]).get(edit).status_code == 403
    assert Organization.policy.can_create(sysadmin)

    published = make_achievement(orgs["university"])

    def ids(user):
        return {r["id"] for r in api_for(user).get("/api/v1/achievements/").json()["results"]}

    assert published.pk in ids(None)  # the public sees it…
    for admin in admins.values():  # …no administrator does
        assert ids(admin) == set()
        detail = client_for(admin).get(reverse("catalog:achievement_detail", args=[published.pk]))
        assert detail.status_code == 404


@pytest.mark.parametrize(
    "role,home",
    [
        ("system_admin", "accounts:user_list"),
        ("security_admin", "ops:lockouts"),
        ("audit_admin", "core:changerecord_list"),
    ],
)
def test_each_administrator_lands_on_its_own_page(admins, role, home):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": admins[role].username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse(home)
