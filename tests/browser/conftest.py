"""Playwright driving Debian's chromium (never a downloaded browser), headless and without sandbox."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("XIAKE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures while it
# runs are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium not found at {CHROMIUM}; `make test` installs it with apt")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    """Browser tests log in through the pages, the second step of privileged roles included."""
    settings.MFA_ENABLED = True


def login(page, username, password):
    """Log in through the form; a privileged account also passes the second step: it enrols an
    authenticator on its first login (code computed from the device, as a phone would) and gives
    the current code on later ones (a backup code when this time step's code was used already)."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    if "/accounts/mfa/setup/" in page.url:
        _enrol(page, username)
    elif "/accounts/mfa/" in page.url and page.locator("#mfa-verify-form").count():
        page.fill("input[name=code]", _code_for(username))
        with page.expect_navigation():
            page.click("#mfa-verify-form button[type=submit]")


def _enrol(page, username):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xiake.accounts.mfa import current_code

    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    page.fill("input[name=code]", current_code(device))
    with page.expect_navigation():
        page.click("#mfa-setup-form button[type=submit]")
    assert page.locator("#backup-codes li").count() > 0
    with page.expect_navigation():
        page.get_by_role("link", name="继续").click()


def _code_for(username):
    import time

    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xiake.accounts.mfa import current_code

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    if device.last_t is None or device.last_t < int(time.time() - device.t0) // device.step:
        return current_code(device)
    backup = StaticDevice.objects.get(user__username=username)
    return backup.token_set.first().token


def logout(page):
    page.goto("/")
    with page.expect_navigation():
        page.locator("form[action$='/accounts/logout/'] button").first.dispatch_event("click")
