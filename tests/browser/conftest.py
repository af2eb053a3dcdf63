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


def login(page, username, password):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def logout(page):
    page.goto("/")
    with page.expect_navigation():
        page.locator("form[action$='/accounts/logout/'] button").first.dispatch_event("click")
