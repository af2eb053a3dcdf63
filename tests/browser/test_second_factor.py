"""The bureau's first login enrols an authenticator (QR code drawn on the server, secret as text,
backup codes shown once); the next login asks for the code; the security administrator resets it
and the login after that enrols again."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import login, logout
from tests.factories import PASSWORD
from xiake.accounts.mfa import current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_verify_and_reset(page, users, admins):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "t_bureau")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert "/accounts/mfa/setup/" in page.url
    assert page.locator("#mfa-qr svg").is_visible()
    assert len(page.locator("#mfa-secret").inner_text().replace(" ", "")) == 32
    # the rest of the way is the helper's: confirm a code, see the backup codes, continue
    device = TOTPDevice.objects.get(user=users["bureau"], confirmed=False)
    page.fill("input[name=code]", current_code(device))
    with page.expect_navigation():
        page.click("#mfa-setup-form button[type=submit]")
    assert page.locator("#backup-codes li").count() == 10
    with page.expect_navigation():
        page.get_by_role("link", name="继续").click()
    assert page.url.endswith("/my/")
    page.reload()
    assert page.url.endswith("/my/")
    logout(page)

    login(page, "t_bureau", PASSWORD)  # now the code step
    assert page.url.endswith("/my/")
    logout(page)

    login(page, admins["security_admin"].username, PASSWORD)
    assert "/ops/lockouts/" in page.url
    page.goto("/ops/second-factors/")
    row = page.locator("#second-factor-table tr", has_text="t_bureau")
    with page.expect_navigation():
        row.get_by_role("button", name="重置").click()
    assert not TOTPDevice.objects.filter(user=users["bureau"]).exists()
    logout(page)

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "t_bureau")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert "/accounts/mfa/setup/" in page.url
