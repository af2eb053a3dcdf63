"""The issue's "done when" in a browser: an anonymous visitor searches the portal, opens a
published achievement (no raw phone number on it), opens the events calendar, registers for an
event and sees the confirmation with a reference; then the bureau finds the registration in the
event's list. And the portal at a phone's width (375 px): no horizontal scrolling on the home
page, the event page and the form with its error messages; the skip link works by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import PASSWORD, make_achievement
from tests.liaison import factories as lf
from xiake.liaison.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RAW_PHONE = "13912345678"


@pytest.fixture
def portal_data(orgs):
    achievement = make_achievement(
        orgs["university"],
        title="激光焊接在线监测方法",
        summary="基于等离子体光谱的激光焊接质量在线监测方法，可实时识别气孔和未熔合缺陷。",
        contact_phone=RAW_PHONE,
    )
    event = lf.make_event(
        orgs["university"],
        title="公益大讲堂：激光焊接技术与成果转化",
        venue="仙林大学城科技创新园报告厅",
        capacity=40,
        description="邀请高校专家介绍激光焊接在线监测技术，并解读成果转化政策。",
    )
    return achievement, event


def go(page, action):
    with page.expect_navigation():
        action()


def test_a_visitor_searches_registers_and_the_bureau_sees_it(page, portal_data, users):
    achievement, event = portal_data
    page.goto("/portal/")
    page.get_by_label("检索科技成果、技术需求、专家和科研平台").fill("焊接")
    go(page, lambda: page.locator("form[role=search] button[type=submit]").click())
    results = page.locator("[data-library=achievement]")
    assert "激光焊接在线监测方法" in results.inner_text()
    go(page, lambda: results.get_by_role("link", name="激光焊接在线监测方法").click())
    assert page.url.endswith(achievement.get_absolute_url())
    assert "激光焊接在线监测方法" in page.locator("main").inner_text()
    assert RAW_PHONE not in page.content()

    go(page, lambda: page.goto("/portal/"))
    nav = page.get_by_role("navigation", name="门户栏目")
    go(page, lambda: nav.get_by_role("link", name="活动日历").click())
    go(page, lambda: page.get_by_role("link", name=event.title).click())
    assert "共 40 个名额，剩余 40 个" in page.get_by_test_id("places-left").inner_text()

    # a first try without consent and with a short number: both fields say what is wrong
    page.get_by_label("姓名").fill("王晓东")
    page.get_by_label("单位").fill("南京汇智新材料科技有限公司")
    page.get_by_label("电话").fill("12345")
    go(page, lambda: page.get_by_role("button", name="提交报名").click())
    assert page.locator("#id_phone").get_attribute("aria-invalid") == "true"
    assert "11位手机号码" in page.locator("#id_phone_error").inner_text()
    assert "同意隐私声明" in page.locator("#id_consent_error").inner_text()
    assert Registration.objects.count() == 0

    page.get_by_label("电话").fill("139 1234 5678")
    page.get_by_label("电子邮箱（选填）").fill("wang@example.com")
    page.get_by_label("我已阅读隐私声明").check()
    go(page, lambda: page.get_by_role("button", name="提交报名").click())
    assert "报名成功" in page.locator("h1").inner_text()
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", reference)
    assert RAW_PHONE not in page.content() and "139****5678" in page.content()
    reg = Registration.objects.get(event=event)
    assert reg.reference == reference.replace("-", "") and reg.kind == "visitor"

    # the bureau sees it in the event's registration list, phone in full
    page.context.clear_cookies()
    login(page, "t_bureau", PASSWORD)
    page.goto(f"/liaison/registrations/?event={event.pk}")
    table = page.locator("main table")
    assert "王晓东" in table.inner_text() and RAW_PHONE in table.inner_text()
    assert "南京汇智新材料科技有限公司" in table.inner_text()
    page.goto(event.get_absolute_url())
    assert (
        "共 40 个名额，剩余 39 个" in page.content()
        or "39" in page.get_by_test_id("places-left").inner_text()
    )


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_portal_fits_a_phone_and_works_by_keyboard(browser, live_server, portal_data):
    _achievement, event = portal_data
    context = browser.new_context(
        locale="zh-CN",
        base_url=live_server.url,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for url in ("/portal/", "/portal/events/", f"/portal/events/{event.pk}/"):
            page.goto(url)
            assert no_horizontal_scroll(page), url
        # the form with every error message shown still fits
        go(page, lambda: page.get_by_role("button", name="提交报名").click())
        assert page.locator(".xk-field-errors").count() >= 4
        assert no_horizontal_scroll(page)
        # keyboard: the first Tab reaches the skip link, Enter moves focus into the main area
        page.goto("/portal/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "xk-skip-link"
        # it slides into view (a 0.1 s transition)
        # (expect, not wait_for_function: its string predicate needs eval, refused by the CSP)
        expect(page.locator(".xk-skip-link")).to_be_in_viewport()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # a focused field shows an outline or a focus ring
        page.goto(f"/portal/events/{event.pk}/")
        page.focus("#id_attendee_name")
        ring = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle + '|' + s.boxShadow; })()"
        )
        assert ring.split("|")[0] != "none" or ring.split("|")[1] != "none"
        # the honeypot cannot be reached with the keyboard
        assert page.locator("input[name=website]").get_attribute("tabindex") == "-1"
    finally:
        context.close()
