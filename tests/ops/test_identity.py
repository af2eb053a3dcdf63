"""Identity controls from outside: lockout after failed logins, unlock by the security administrator, password
expiry forcing a change, password history and character classes, session idle timeout."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.base import client_for
from tests.factories import PASSWORD
from xiake.core.models import ChangeRecord
from xiake.ops.middleware import ACTIVITY_KEY
from xiake.ops.models import PasswordHistory

LOGIN = "/accounts/login/"


def form_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client) -> bool:
    return client.get(reverse("portal:my")).status_code == 200


def lock(username):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = form_login(Client(), username, "wrong-password")
    return response


def test_a_locked_user_cannot_log_in_even_with_the_right_password(users):
    user = users["university"]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert form_login(Client(), user.username, "wrong").status_code == 200
    # below the limit the right password still works, and resets the count
    client = Client()
    assert form_login(client, user.username, PASSWORD).status_code == 302 and logged_in(client)

    assert lock(user.username).status_code == 403
    client = Client()
    response = form_login(client, user.username, PASSWORD)
    assert response.status_code == 403 and b'id="account-locked"' in response.content
    assert not logged_in(client)
    # the API token endpoint is locked too
    token = Client().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert token.status_code in (400, 403) and "token" not in token.json()
    # other accounts are not affected
    other = Client()
    assert form_login(other, users["enterprise"].username, PASSWORD).status_code == 302


def test_only_the_security_admin_sees_and_unlocks_locked_accounts(users, admins):
    victim = users["enterprise"]
    lock(victim.username)
    page, unlock = reverse("ops:lockouts"), reverse("ops:unlock")

    assert Client().get(page).status_code == 302  # anonymous → login
    outsiders = [users[r] for r in ("bureau", "university", "enterprise2", "manager", "public")]
    for outsider in [*outsiders, admins["system_admin"], admins["audit_admin"]]:
        outsider = client_for(outsider)
        assert outsider.get(page).status_code == 403
        assert outsider.post(unlock, {"username": victim.username}).status_code == 403
    assert form_login(Client(), victim.username, PASSWORD).status_code == 403

    security = client_for(admins["security_admin"])
    listing = security.get(page)
    assert listing.status_code == 200 and victim.username in listing.content.decode()
    assert [row["username"] for row in listing.context["locked"]] == [victim.username]
    assert security.post(unlock, {"username": victim.username}).status_code == 302
    assert security.get(page).context["locked"] == []
    client = Client()
    assert form_login(client, victim.username, PASSWORD).status_code == 302 and logged_in(client)

    # both the lock and the unlock are in the audit log, the unlock with its actor
    trail = ChangeRecord.objects.filter(object_id=str(victim.pk)).order_by("time", "id")
    about_lock = [r for r in trail if victim.username in r.comment]
    assert about_lock[0].action == "login_failed" and about_lock[-1].action == "update"
    assert about_lock[-1].actor == admins["security_admin"]


def test_the_reset_command_unlocks(users):
    victim = users["manager"]
    lock(victim.username)
    assert form_login(Client(), victim.username, PASSWORD).status_code == 403
    call_command("axes_reset_username", victim.username, stdout=open("/dev/null", "w"))
    assert form_login(Client(), victim.username, PASSWORD).status_code == 302


def age_password(user, days):
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def test_an_expired_password_forces_the_change_page(users):
    user = users["enterprise"]
    age_password(user, settings.PASSWORD_EXPIRY_DAYS - 1)
    client = Client()
    form_login(client, user.username, PASSWORD)
    assert logged_in(client)

    age_password(user, settings.PASSWORD_EXPIRY_DAYS + 1)
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, follow=True)
    change = reverse("accounts:password_change")
    assert response.redirect_chain[-1][0] == change
    for url in (reverse("portal:my"), reverse("catalog:achievement_list")):
        assert client.get(url)["Location"] == change
    assert client.get(change).status_code == 200

    new = "Nova#Secret42"
    done = client.post(
        change, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert logged_in(client)
    assert PasswordHistory.objects.filter(user=user).count() == 2


def change_password(client, old, new):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_history_refuses_a_reused_password(users):
    user = users["university"]
    client = client_for(user)
    passwords = [PASSWORD, "Second#Pass2", "Third#Pass3"]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change_password(client, old, new).status_code == 302
    for reused in passwords:
        response = change_password(client, passwords[-1], reused)
        assert response.status_code == 200
        assert "new_password2" in response.context["form"].errors
        assert any(
            e.code == "password_reused"
            for e in response.context["form"].errors.as_data()["new_password2"]
        )
    stored = PasswordHistory.objects.filter(user=user).values_list("encoded", flat=True)
    assert all(not any(p in encoded for p in passwords) for encoded in stored)


def test_history_keeps_only_the_configured_number(users):
    user = users["manager"]
    for n in range(8):
        user.set_password(f"Rotating#{n}x")
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_character_classes_and_length(users):
    user = users["enterprise"]
    for weak in ("abcdefgh12", "ABCDEFGH12", "Sh0rt!"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("Xiake@demo1", None)  # the demo password stays valid
    validate_password("Long#enough9", user)


def test_an_idle_session_ends(users):
    client = client_for(users["enterprise"])
    assert logged_in(client)
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 120 < remaining <= settings.SESSION_COOKIE_AGE

    # activity slides the expiry: a request after a minute's idleness writes a later expiry
    data = session.get_decoded()
    data[ACTIVITY_KEY] -= 120
    Session.objects.filter(pk=session.pk).update(
        session_data=Session.objects.encode(data),
        expire_date=timezone.now() + dt.timedelta(seconds=60),
    )
    assert logged_in(client)
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert (renewed - timezone.now()).total_seconds() > settings.SESSION_COOKIE_AGE - 120

    # idle past the timeout: the session is gone and the user must log in again
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("portal:my"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
