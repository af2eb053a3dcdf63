"""The second factor of privileged accounts, from outside: the login form, the pages of the second
step, the API and the token endpoint, the security administrator's reset and the demo's codes."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.base import client_for
from tests.factories import PASSWORD, make_user
from xiake.accounts.mfa import DEMO_DEVICE_NAME, current_code, provision_demo_device
from xiake.core.models import ChangeRecord

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
VERIFY, SETUP, CODES = "/accounts/mfa/", "/accounts/mfa/setup/", "/accounts/mfa/backup-codes/"


def password_login(username) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def failures(username) -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def test_a_privileged_user_without_a_device_must_enrol_before_anything_else(mfa, users):
    bureau = users["bureau"]
    client = password_login(bureau.username)
    for url in (reverse("portal:my"), reverse("accounts:profile"), "/catalog/achievements/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url
    assert client.get("/api/v1/organizations/").status_code == 403
    assert client.get(VERIFY).status_code == 302  # nothing to verify yet: to enrolment

    page = client.get(SETUP)
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'id="mfa-secret"' in html
    device = TOTPDevice.objects.get(user=bureau, confirmed=False)
    secret = re.search(r'id="mfa-secret"[^>]*>([A-Z2-7 ]+)<', html).group(1)
    assert device.config_url.split("secret=")[1].startswith(secret.replace(" ", "")[:16])
    # the same pending device across reloads: the code scanned first stays valid
    assert client.get(SETUP).status_code == 200
    assert TOTPDevice.objects.filter(user=bureau).count() == 1

    code = current_code(device)
    refused = client.post(SETUP, {"code": wrong(code)})
    assert refused.status_code == 400 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    # django-otp throttles after a failure (1 s, doubling); the test does not wait it out
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(SETUP, {"code": code, "next": "/catalog/achievements/"})
    assert response.status_code == 302 and response["Location"].startswith(CODES)
    shown = client.get(response["Location"])
    codes = re.findall(r"<li>([a-z0-9]+)</li>", shown.content.decode())
    assert len(codes) == settings.MFA_BACKUP_CODES
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=bureau).values_list("token", flat=True)
    )
    assert client.get(CODES).status_code == 302  # shown once only
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("portal:my")).status_code == 200
    assert client.get("/api/v1/organizations/").status_code == 200


def test_the_code_step_after_the_password(mfa, users):
    bureau = users["bureau"]
    device = enrolled(bureau)
    client = password_login(bureau.username)
    response = client.get(reverse("portal:my"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    # with a device, enrolment cannot replace it before the code is given
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)

    code = current_code(device)
    bad = client.post(VERIFY, {"code": wrong(code)})
    assert bad.status_code == 400 and "code" in bad.context["form"].errors
    assert failures(bureau.username) == 1  # counted towards the lockout
    assert client.get(reverse("portal:my")).status_code == 302

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    ok = client.post(VERIFY, {"code": code, "next": "/catalog/achievements/"})
    assert ok.status_code == 302 and ok["Location"] == "/catalog/achievements/"
    assert client.get(reverse("portal:my")).status_code == 200
    assert failures(bureau.username) == 0  # a success resets the count
    # the same code cannot be replayed in a second session
    other = password_login(bureau.username)
    assert other.post(VERIFY, {"code": code}).status_code == 400


def test_a_backup_code_works_once(mfa, users):
    from xiake.accounts.mfa import issue_backup_codes

    bureau = users["bureau"]
    enrolled(bureau)
    backup = issue_backup_codes(bureau)[0]
    client = password_login(bureau.username)
    assert client.post(VERIFY, {"code": backup}).status_code == 302
    assert client.get(reverse("portal:my")).status_code == 200
    again = password_login(bureau.username)
    assert again.post(VERIFY, {"code": backup}).status_code == 400


def test_wrong_codes_lock_the_account(mfa, users):
    bureau = users["bureau"]
    enrolled(bureau)
    client = password_login(bureau.username)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    locked = client.post(VERIFY, {"code": "000000"})
    assert locked.status_code == 403 and b'id="account-locked"' in locked.content
    assert client.get(reverse("portal:my")).status_code == 302  # logged out
    assert "/accounts/login/" in client.get(reverse("portal:my"))["Location"]
    refused = Client().post(LOGIN, {"username": bureau.username, "password": PASSWORD})
    assert refused.status_code == 403


def test_who_is_asked(mfa, users, admins, settings):
    # members of organisations are not asked
    client = password_login(users["university"].username)
    assert client.get(reverse("portal:my")).status_code == 200
    # each administrator role is
    for user in admins.values():
        client = password_login(user.username)
        assert client.get(reverse("accounts:profile"))["Location"].startswith(SETUP)
    # superusers always, whatever their role
    boss = make_user("t_root", "public", None, is_superuser=True)
    assert password_login(boss.username).get("/")["Location"].startswith(SETUP)
    # the roles are configurable
    settings.MFA_REQUIRED_ROLES = ["audit_admin"]
    client = password_login(users["bureau"].username)
    assert client.get(reverse("portal:my")).status_code == 200
    settings.MFA_ENABLED = False
    client = password_login(admins["audit_admin"].username)
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_the_token_endpoint_asks_privileged_users_for_the_code(mfa, users):
    bureau = users["bureau"]
    credentials = {"username": bureau.username, "password": PASSWORD}
    no_device = Client().post(TOKEN, credentials)
    assert no_device.status_code == 400 and "otp_token" in no_device.json()

    device = enrolled(bureau)
    missing = Client().post(TOKEN, credentials)
    assert missing.status_code == 400 and "token" not in missing.json()
    code = current_code(device)
    bad = Client().post(TOKEN, {**credentials, "otp_token": wrong(code)})
    assert bad.status_code == 400 and "token" not in bad.json()
    assert failures(bureau.username) == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    good = Client().post(TOKEN, {**credentials, "otp_token": code})
    assert good.status_code == 200 and good.json()["token"]
    # members of organisations need no code
    plain = Client().post(TOKEN, {"username": users["enterprise"].username, "password": PASSWORD})
    assert plain.status_code == 200 and plain.json()["token"]


def test_wrong_codes_at_the_token_endpoint_lock_the_account(mfa, users):
    bureau = users["bureau"]
    enrolled(bureau)
    credentials = {"username": bureau.username, "password": PASSWORD, "otp_token": "000000"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = Client().post(TOKEN, credentials)
    assert response.status_code == 403 and b'id="account-locked"' in response.content
    assert Client().post(LOGIN, {**credentials}).status_code == 403


def test_only_the_security_admin_resets_a_second_factor(mfa, users, admins):
    bureau = users["bureau"]
    device = enrolled(bureau)
    from xiake.accounts.mfa import issue_backup_codes

    issue_backup_codes(bureau)
    open_session = password_login(bureau.username)
    assert open_session.post(VERIFY, {"code": current_code(device)}).status_code == 302
    assert open_session.get(reverse("portal:my")).status_code == 200
    page, reset = reverse("ops:second_factors"), reverse("ops:second_factor_reset")
    settings_off = {"MFA_ENABLED": False}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings_off.items():
            patch.setattr(settings, name, value)
        assert Client().get(page).status_code == 302
        for outsider in (
            admins["system_admin"],
            admins["audit_admin"],
            bureau,
            users["university"],
        ):
            client = client_for(outsider)
            assert client.get(page).status_code == 403
            assert client.post(reset, {"user": bureau.pk}).status_code == 403
        assert TOTPDevice.objects.filter(user=bureau).exists()

        security = client_for(admins["security_admin"])
        listing = security.get(page)
        assert listing.status_code == 200 and bureau.username in listing.content.decode()
        assert security.post(reset, {"user": "x"}).status_code == 302
        assert security.post(reset, {"user": bureau.pk}).status_code == 302
    assert not TOTPDevice.objects.filter(user=bureau).exists()
    assert not StaticToken.objects.filter(device__user=bureau).exists()
    record = ChangeRecord.objects.filter(
        content_type__model="user", object_id=str(bureau.pk)
    ).latest("pk")
    assert record.actor == admins["security_admin"] and bureau.username in record.comment
    # a session verified before the reset is sent to enrolment at once, and so is the next login
    assert open_session.get(reverse("portal:my"))["Location"].startswith(SETUP)
    client = password_login(bureau.username)
    assert client.get(reverse("portal:my"))["Location"].startswith(SETUP)


def test_otp_code_prints_only_codes_of_demo_devices(db, capsys):
    from xiake.demo.accounts import create_accounts

    accounts = create_accounts({})
    assert TOTPDevice.objects.filter(user=accounts["bureau"], name=DEMO_DEVICE_NAME).exists()
    assert TOTPDevice.objects.filter(user=accounts["secadmin"], name=DEMO_DEVICE_NAME).exists()
    assert not TOTPDevice.objects.filter(user=accounts["university"]).exists()
    call_command("otp_code", "auditor")
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", printed)
    device = TOTPDevice.objects.get(user=accounts["auditor"])
    assert device.verify_token(printed)
    # a device a person enrolled is never read, nor an account outside the demo
    TOTPDevice.objects.filter(user=accounts["bureau"]).update(name="phone")
    with pytest.raises(CommandError):
        call_command("otp_code", "bureau")
    outsider = make_user("t_other", "bureau", None)
    provision_demo_device(outsider)
    with pytest.raises(CommandError):
        call_command("otp_code", "t_other")
    with pytest.raises(CommandError):
        call_command("otp_code", "nobody")


def test_a_verified_user_replaces_the_authenticator(mfa, users):
    bureau = users["bureau"]
    old = enrolled(bureau)
    client = password_login(bureau.username)
    assert client.post(VERIFY, {"code": current_code(old)}).status_code == 302
    profile = client.get(reverse("accounts:profile"))
    assert b'id="replace-authenticator"' in profile.content
    page = client.get(SETUP)
    assert page.status_code == 200 and page.context["replacing"]
    new = TOTPDevice.objects.get(user=bureau, confirmed=False)
    assert client.post(SETUP, {"code": current_code(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=bureau)) == [new]
    assert TOTPDevice.objects.get(pk=new.pk).confirmed
    # members of organisations have no second factor to replace
    member = client_for(users["university"])
    assert b'id="replace-authenticator"' not in member.get(reverse("accounts:profile")).content
    assert member.get(SETUP).status_code == 302


def test_an_account_locked_after_the_password_gets_no_second_step(mfa, users):
    bureau = users["bureau"]
    device = enrolled(bureau)
    client = password_login(bureau.username)
    for _ in range(settings.AXES_FAILURE_LIMIT):  # someone else fails with the password
        Client().post(LOGIN, {"username": bureau.username, "password": "wrong"})
    locked = client.post(VERIFY, {"code": current_code(device)})
    assert locked.status_code == 403 and b'id="account-locked"' in locked.content
    assert "/accounts/login/" in client.get(reverse("portal:my"))["Location"]


def test_demo_if_empty_adds_the_missing_administrators_and_prints_how_to_get_codes(db, orgs):
    import io

    from tests.factories import make_achievement
    from xiake.accounts.models import User
    from xiake.demo.accounts import create_accounts

    create_accounts({"bureau": orgs["bureau"]})
    User.objects.filter(username__in=["sysadmin", "secadmin", "auditor"]).delete()
    TOTPDevice.objects.filter(user__username="admin").delete()
    make_achievement(orgs["university"])
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    printed = out.getvalue()
    assert "sysadmin, secadmin, auditor" in printed
    assert User.objects.get(username="secadmin").role == "security_admin"
    for name in ("admin", "bureau", "sysadmin", "secadmin", "auditor"):
        assert TOTPDevice.objects.filter(user__username=name, name=DEMO_DEVICE_NAME).exists()
        assert f"xiake otp_code {name}" in printed
    assert "xiake otp_code university" not in printed
    assert User.objects.get(username="bureau").organization == orgs["bureau"]
