"""The Content Security Policy in a real browser: the main pages of every role run with no
``securitypolicyviolation`` event and no console error, and charts, htmx panels and tabs, the
import flow, search and the API documentation still work under the policy."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.conftest import login, logout
from tests.factories import PASSWORD, make_achievement, make_demand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it through the DevTools protocol, which the
# policy does not govern) and reports every violation as a console error.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page, settings, tmp_path):
    """The page, with every CSP violation and console error recorded; asserted empty at the end."""
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    problems = []
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None,
    )
    page.problems = problems
    yield page
    assert not problems, problems


def visit(page, path):
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    assert "Content-Security-Policy" in response.headers or "content-security-policy" in (
        response.headers
    )
    page.wait_for_load_state("load")


def test_bureau_pages_work_under_the_policy(watched, users, orgs, tmp_path):
    page = watched
    achievement = make_achievement(
        orgs["university"],
        title="双相不锈钢焊缝耐海水腐蚀焊接工艺",
        keywords="不锈钢,焊缝,腐蚀",
        summary="不锈钢管焊缝在海水环境中的防腐蚀焊接工艺。",
    )
    demand = make_demand(orgs["enterprise"], title="不锈钢焊缝防腐蚀技术需求")
    login(page, "t_bureau", PASSWORD)

    # dashboard: ECharts draws (canvas), and its HTML tooltip shows on hover
    visit(page, "/dashboard/")
    chart = page.locator("[data-chart][data-chart-ready]").first
    chart.wait_for()
    assert chart.locator("canvas").count() >= 1
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)

    # a list with its filter form, then a record's detail with the htmx matches panel and tabs
    visit(page, "/catalog/achievements/")
    page.locator("form [name=q]").first.fill("不锈钢")
    with page.expect_navigation():
        page.locator("form [name=q]").first.press("Enter")
    assert "不锈钢" in page.url or "q=" in page.url
    assert page.get_by_text(achievement.title).count() >= 1

    visit(page, demand.get_absolute_url())
    body = page.locator("#matches-body")
    body.wait_for()
    # (expect polls from Playwright's own script world; wait_for_function would need eval,
    # which the policy refuses)
    expect(body).not_to_contain_text("…")
    tabs = page.locator("[data-tab-activate]")
    assert tabs.count() > 1
    with page.expect_response(lambda r: "/matching/matches/" in r.url):
        tabs.nth(1).click()
    assert "active" in tabs.nth(1).get_attribute("class")
    assert "active" not in tabs.nth(0).get_attribute("class")

    # import flow: upload, the validation report renders
    wb = Workbook()
    wb.active.append(["成果名称", "所属单位", "技术成熟度"])
    wb.active.append(["船用焊缝耐点蚀涂层", "测试大学", "十二"])
    wb.save(tmp_path / "成果.xlsx")
    visit(page, "/catalog/achievements/import/")
    page.set_input_files("input[name=file]", str(tmp_path / "成果.xlsx"))
    with page.expect_navigation():
        page.click("form.xk-form button[type=submit]")
    assert page.locator("[data-testid=import-errors] tbody tr").count() == 1

    # matching search, and the API documentation (Swagger UI from our static files)
    visit(page, "/matching/search/?q=不锈钢焊缝")
    assert page.locator("main").inner_text()
    visit(page, "/api/v1/docs/")
    page.locator(".swagger-ui .info").wait_for()


@pytest.mark.parametrize(
    "persona", ["university", "enterprise", "manager", "institution", "evaluator", "public"]
)
def test_every_role_home_runs_under_the_policy(watched, users, orgs, persona):
    page = watched
    login(page, f"t_{persona}", PASSWORD)
    visit(page, "/my/")
    assert page.locator("main").inner_text()
    visit(page, "/catalog/achievements/")
    logout(page)


def test_visitors_portal_runs_under_the_policy(watched, orgs):
    page = watched
    make_achievement(orgs["university"], title="石墨烯导热膜制备技术", keywords="石墨烯")
    visit(page, "/portal/")
    visit(page, "/portal/search/?q=石墨烯")
    visit(page, "/accounts/login/")
    # the demo-login buttons and every other behaviour come from app.js, not inline handlers
    assert page.locator("[onclick], [onload], [onsubmit]").count() == 0
