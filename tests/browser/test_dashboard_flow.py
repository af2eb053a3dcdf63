"""The bureau lands on its home page, opens the district dashboard, downloads last year's
statistics brief, drills from 合同成交额 to the contracts behind it and exports them; an anonymous
visitor searches the portal."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from tests.browser.conftest import login
from tests.contracts.factories import make_contract
from tests.factories import PASSWORD, make_achievement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bureau_drills_from_contract_value_to_the_contracts_and_exports_them(page, users, orgs):
    year = timezone.localdate().year - 1
    signed = dt.date(year, 5, 20)
    for n, amount in enumerate(("300000.00", "1250000.00"), 1):
        make_contract(
            orgs["university"],
            orgs["enterprise"],
            title=f"高温合金焊接工艺技术开发合同{n}",
            status="submitted",
            signed_on=signed,
            total_amount=Decimal(amount),
            created_by=users["bureau"],
        )
    make_contract(
        orgs["university"],
        orgs["enterprise"],
        title="前年签订的合同",
        status="submitted",
        signed_on=dt.date(year - 1, 5, 20),
        created_by=users["bureau"],
    )

    login(page, "t_bureau", PASSWORD)
    assert page.url.endswith("/my/")
    assert page.locator("[data-panel=district_figures]").is_visible()

    page.goto(f"/dashboard/?p={year}")
    page.wait_for_selector("[data-chart=chart-contracts][data-chart-ready]")
    with page.expect_download() as brief:
        page.get_by_role("link", name="数据简报（DOCX）").click()
    doc = Document(brief.value.path())
    assert f"{year}年" in doc.paragraphs[0].text
    assert "1,550,000.00" in [c.text for t in doc.tables for row in t.rows for c in row.cells]
    cell = page.locator("tr[data-figure=contracts_total] a")
    assert cell.inner_text() == "1,550,000.00"
    with page.expect_navigation():
        cell.click()
    assert f"/dashboard/drill/contracts_total/?p={year}" in page.url
    body = page.content()
    assert "高温合金焊接工艺技术开发合同1" in body and "高温合金焊接工艺技术开发合同2" in body
    assert "前年签订的合同" not in body

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    titles = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"高温合金焊接工艺技术开发合同1", "高温合金焊接工艺技术开发合同2"}


def test_visitor_searches_the_portal(page, orgs):
    make_achievement(orgs["university"], title="激光焊接在线监测方法")
    make_achievement(orgs["university"], status="draft", title="未发布的焊接方法")
    page.goto("/portal/")
    page.get_by_label("检索科技成果、技术需求、专家和科研平台").fill("焊接")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/portal/search/?q=" in page.url
    results = page.locator("[data-library=achievement]")
    assert "激光焊接在线监测方法" in results.inner_text()
    assert "未发布的焊接方法" not in page.content()
