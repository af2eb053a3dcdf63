"""有用 / 无关 in a real browser: htmx posts the clicked button's value, swaps the buttons with the
new state, and a second click removes the mark (under the site's Content Security Policy)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import PASSWORD, make_achievement, make_demand
from xiake.matching.models import MatchFeedback

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mark_a_match_useful_then_remove_it(page, settings, tmp_path, orgs, users):
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    demand = make_demand(orgs["enterprise"])
    achievement = make_achievement(orgs["university"])
    login(page, users["enterprise"].username, PASSWORD)
    page.goto(demand.get_absolute_url())
    form = page.locator(f'[data-testid=feedback][data-target="achievement:{achievement.pk}"]')
    form.wait_for()
    with page.expect_response(lambda r: "/matching/feedback/" in r.url and r.status == 200):
        form.get_by_role("button", name="有用").click()
    expect(form).to_have_attribute("data-mark", "useful")
    expect(form.get_by_role("button", name="有用")).to_have_attribute("aria-pressed", "true")
    assert MatchFeedback.objects.get().value == "useful"
    form.locator("[name=reason]").fill("不相关的方向")
    with page.expect_response(lambda r: "/matching/feedback/" in r.url and r.status == 200):
        form.get_by_role("button", name="无关").click()
    expect(form).to_have_attribute("data-mark", "not_useful")
    assert list(MatchFeedback.objects.values_list("value", "reason")) == [
        ("not_useful", "不相关的方向")
    ]
    with page.expect_response(lambda r: "/matching/feedback/" in r.url and r.status == 200):
        form.get_by_role("button", name="无关").click()
    expect(form).to_have_attribute("data-mark", "")
    assert not MatchFeedback.objects.exists()


def test_an_enterprise_sees_and_marks_what_could_answer_its_demands(
    page, settings, tmp_path, orgs, users
):
    """The enterprise's own page: the matches panel loads by htmx, its tabs switch the list, and
    a mark made there is stored with the enterprise as its source."""
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    make_demand(orgs["enterprise"])  # 海水环境下不锈钢管焊缝防腐…: the enterprise's profile
    achievement = make_achievement(orgs["university"])
    login(page, users["enterprise"].username, PASSWORD)
    page.goto(orgs["enterprise"].get_absolute_url())
    form = page.locator(f'[data-testid=feedback][data-target="achievement:{achievement.pk}"]')
    form.wait_for()
    tabs = page.locator("#matches-body").locator("xpath=..").get_by_role("tab")
    expect(tabs).to_have_count(3)
    with page.expect_response(lambda r: "type=expert" in r.url and r.status == 200):
        tabs.nth(1).click()
    expect(form).to_have_count(0)
    with page.expect_response(lambda r: "type=achievement" in r.url and r.status == 200):
        tabs.nth(0).click()
    with page.expect_response(lambda r: "/matching/feedback/" in r.url and r.status == 200):
        form.get_by_role("button", name="有用").click()
    expect(form).to_have_attribute("data-mark", "useful")
    mark = MatchFeedback.objects.get()
    assert (mark.source_kind, mark.source_id, mark.value) == (
        "enterprise",
        orgs["enterprise"].pk,
        "useful",
    )
