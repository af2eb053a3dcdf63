"""The whole path from a demand to a registered contract, in the browser.

Enterprise posts a demand → the bureau publishes it → matches are pushed (the manager's
notification) → the manager opens a case from the 推荐 list and takes it to 签约 → the university
creates the contract from the case → the pre-check finds the missing scan → the scan is uploaded
→ submitted → ≥ 500万元 goes to expert review → registered → the certificate PDF holds the number.
"""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.browser.conftest import login, logout
from tests.factories import PASSWORD, make_achievement, term
from xiake.brokerage.models import DockingCase, MatchOffer, Notification
from xiake.catalog.models import Demand
from xiake.contracts.models import RegistrationRuleSet, TechContract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(settings, tmp_path, orgs, users):
    """Rules (a transactional test empties the tables data migrations filled), an index of its
    own, an achievement that fits, and a seller with a credit code."""
    from xiake.contracts.rules import load_rule_sets

    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    if not RegistrationRuleSet.objects.exists():
        load_rule_sets()
    uni = orgs["university"]
    uni.credit_code = "12320000466007287K"
    uni.save()
    return make_achievement(
        uni,
        title="双相不锈钢焊缝耐海水腐蚀焊接工艺",
        keywords="不锈钢,焊缝,腐蚀,海水",
        summary="不锈钢管焊缝在海水环境中的防腐蚀焊接工艺，焊缝耐点蚀性能提高30%。",
    )


def click_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def move(page, stage):
    click_and_wait(page, f"form:has(input[name=to][value={stage}]) button")
    assert page.locator("[data-testid=case-stage]").count() == 1


def test_from_demand_to_registered_contract(page, market, orgs, users, tmp_path):
    achievement = market
    # 1. the enterprise posts a demand and submits it
    login(page, "t_enterprise", PASSWORD)
    page.goto("/catalog/demands/add/")
    page.fill("input[name=title]", "不锈钢管焊缝海水腐蚀求解")
    page.fill("input[name=keywords]", "不锈钢,焊缝,腐蚀")
    page.fill(
        "textarea[name=description]",
        "我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀，希望找到耐蚀焊接工艺。",
    )
    page.fill("input[name=budget]", "800")
    click_and_wait(page, "form.xk-form button[type=submit]")
    demand = Demand.objects.get(title="不锈钢管焊缝海水腐蚀求解")
    click_and_wait(page, "button[name=action][value=submit]")
    logout(page)

    # 2. the bureau publishes it: the matches are pushed
    login(page, "t_bureau", PASSWORD)
    page.goto(demand.get_absolute_url())
    page.fill("textarea[name=comment]", "需求清晰，同意发布")
    click_and_wait(page, "button[name=action][value=publish]")
    logout(page)
    assert MatchOffer.objects.filter(demand=demand, achievement=achievement).exists()

    # 3. the manager finds the notification, opens the demand and a case from its 推荐 list
    login(page, "t_manager", PASSWORD)
    page.goto("/notifications/")
    note = page.locator("a", has_text="不锈钢管焊缝海水腐蚀求解")
    assert note.count() == 1 and page.locator("[data-testid=unread]").inner_text() == "1"
    click_and_wait(page, "a:has-text('不锈钢管焊缝海水腐蚀求解')")
    offers = page.locator("[data-testid=offer]")
    assert offers.first.inner_text().find(achievement.title) >= 0
    click_and_wait(page, "[data-testid=open-case]")
    case = DockingCase.objects.get(demand=demand)
    assert list(case.achievements.all()) == [achievement]
    for stage in ("contact", "negotiation", "signed"):
        move(page, stage)
    case.refresh_from_db()
    assert case.stage == "signed"
    logout(page)

    # 4. the university (the seller) creates the contract from the case and completes it
    login(page, "t_university", PASSWORD)
    page.goto(case.get_absolute_url())
    page.select_option("select[name=category]", "development")
    click_and_wait(page, "[data-testid=create-contract]")
    contract = TechContract.objects.get(docking_case=case)
    page.select_option(
        "select[name=subcategory]", str(term("contract_type", "development_commissioned").pk)
    )
    page.select_option(
        "select[name=technical_field]", str(term("contract_field", "manufacturing").pk)
    )
    page.fill("input[name=seller_region]", "320113")
    page.fill("input[name=buyer_region]", "320113")
    page.fill("input[name=signed_on]", (dt.date.today() - dt.timedelta(days=3)).isoformat())
    page.fill("input[name=total_amount]", "6000000.00")
    page.fill("input[name=non_technical_amount]", "0")
    click_and_wait(page, "form.xk-form button[type=submit]")

    # 5. the pre-check finds the missing scan; the scan is uploaded; the pre-check is clean
    problems = page.locator("[data-testid=precheck-problems] li")
    assert problems.count() == 1
    assert problems.first.get_attribute("data-field") == "attachments"
    scan = tmp_path / "技术开发合同扫描件.pdf"
    scan.write_bytes(b"%PDF-1.4\n% scan\n%%EOF\n")
    page.set_input_files("#attachment-file", str(scan))
    click_and_wait(page, "form[action$='/attachments/'] button[type=submit]")
    assert page.locator("[data-testid=precheck-ok]").count() == 1
    click_and_wait(page, "button[data-action=submit]")
    contract.refresh_from_db()
    assert contract.status == "submitted" and contract.tech_amount == 6_000_000
    logout(page)

    # 6. the registrar accepts and reviews: ≥ 500万元 goes to the experts; then registers
    login(page, "t_bureau", PASSWORD)
    page.goto(contract.get_absolute_url())
    click_and_wait(page, "button[data-action=accept]")
    click_and_wait(page, "button[data-action=review]")
    contract.refresh_from_db()
    assert contract.status == "expert_review"
    page.fill("form:has(button[data-action=register]) input[name=comment]", "专家评审通过")
    click_and_wait(page, "button[data-action=register]")
    contract.refresh_from_db()
    assert contract.status == "registered" and contract.registration_no
    number = page.locator("[data-testid=registration-no]").inner_text()
    assert number == contract.registration_no
    logout(page)

    # 7. the seller downloads the certificate; it holds the registration number
    login(page, "t_university", PASSWORD)
    page.goto(contract.get_absolute_url())
    with page.expect_download() as download:
        page.click("[data-testid=certificate]")
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert contract.registration_no in text
    assert Notification.objects.filter(user=users["university"]).exists()  # the pushes reached it
