"""An enterprise posts a demand and submits it; the bureau publishes it; the public then sees it."""

import pytest
from django.utils import translation

from tests.browser.conftest import login, logout
from tests.factories import PASSWORD
from xiake.catalog.models import Demand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enterprise_posts_and_bureau_publishes(page, users, orgs):
    login(page, "t_enterprise", PASSWORD)
    page.goto("/catalog/demands/add/")
    page.fill("input[name=title]", "不锈钢管焊缝海水腐蚀求解")
    page.fill(
        "textarea[name=description]",
        "我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀，希望找到耐蚀焊接工艺。",
    )
    page.fill("input[name=budget]", "80")
    page.click("form.xk-form button[type=submit]")
    page.wait_for_url("**/catalog/demands/*/")
    demand = Demand.objects.get(title="不锈钢管焊缝海水腐蚀求解")
    assert demand.owner_org == orgs["enterprise"] and demand.status == "draft"

    with page.expect_navigation():
        page.click("button[name=action][value=submit]")
    demand.refresh_from_db()
    assert demand.status == "pending"
    with translation.override("zh-hans"):
        assert page.locator("[data-testid=status]").inner_text() == demand.get_status_display()
    logout(page)

    # Not yet public.
    page.goto(f"/catalog/demands/{demand.pk}/")
    assert "不锈钢管焊缝海水腐蚀求解" not in page.content()

    login(page, "t_bureau", PASSWORD)
    page.goto(f"/catalog/demands/{demand.pk}/")
    page.fill("textarea[name=comment]", "需求清晰，同意发布")
    with page.expect_navigation():
        page.click("button[name=action][value=publish]")
    demand.refresh_from_db()
    assert demand.status == "published" and demand.reviewed_by == users["bureau"]
    logout(page)

    page.goto("/catalog/demands/")
    assert "不锈钢管焊缝海水腐蚀求解" in page.content()
