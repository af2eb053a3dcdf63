"""The bureau lands on its home page, opens the district dashboard, drills from 合同成交额 to the
contracts behind it and exports them, then asks for last year's statistics brief as DOCX and as
PDF, waits for each build and downloads it; an anonymous visitor searches the portal."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.browser.conftest import login
from tests.contracts.factories import make_contract
from tests.factories import PASSWORD, make_achievement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bureau_drills_to_the_contracts_exports_them_and_downloads_last_years_brief(
    page, users, orgs, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    year = timezone.localdate().year - 1
    for n, amount in enumerate(("300000.00", "1250000.00"), 1):
        make_contract(
            orgs["university"],
            orgs["enterprise"],
            title=f"高温合金焊接工艺技术开发合同{n}",
            status="submitted",
            signed_on=dt.date(year, 5, 20),
            total_amount=Decimal(amount),
            created_by=users["bureau"],
        )
    make_contract(
        orgs["university"],
        orgs["enterprise"],
        title="前年签订的合同",
        status="submitted",
        signed_on=dt.date(year - 1, 5, 20),
        total_amount=Decimal("500000.00"),
        created_by=users["bureau"],
    )

    login(page, "t_bureau", PASSWORD)
    assert page.url.endswith("/my/")
    assert page.locator("[data-panel=district_figures]").is_visible()

    # the dashboard for last year: 合同成交额 → the contracts behind it → XLSX
    page.goto(f"/dashboard/?p={year}")
    page.wait_for_selector("[data-chart=chart-contracts][data-chart-ready]")
    cell = page.locator("tr[data-figure=contracts_total] a")
    assert cell.inner_text() == "1,550,000.00"
    with page.expect_navigation():
        cell.click()
    assert f"/dashboard/drill/contracts_total/?p={year}" in page.url
    body = page.content()
    assert "高温合金焊接工艺技术开发合同1" in body and "高温合金焊接工艺技术开发合同2" in body
    assert "前年签订的合同" not in body
    assert page.get_by_test_id("figure-value").inner_text() == "1,550,000.00"
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    header, records = rows[0], rows[1:]
    titles = {row[0] for row in records}
    assert titles == {"高温合金焊接工艺技术开发合同1", "高温合金焊接工艺技术开发合同2"}
    amount = header.index("合同成交额（元）")
    assert sum(Decimal(str(row[amount])) for row in records) == Decimal("1550000.00")

    # last year's brief, asked for from the dashboard in each format, waited for, downloaded
    files = {}
    for fmt in ("docx", "pdf"):
        page.goto(f"/dashboard/?p={year}")
        page.get_by_label("数据简报格式").select_option(fmt)
        # The ImmediateBackend builds the brief inside the POST (after its commit), so the
        # redirect waits for the build: up to a minute on a loaded machine.
        with page.expect_navigation(timeout=90_000):
            page.get_by_role("button", name="数据简报").click(timeout=90_000)
        assert "/dashboard/briefs/" in page.url
        page.wait_for_selector("[data-testid=brief-status][data-status=done]")
        with page.expect_download() as download:
            page.get_by_test_id("brief-download").click()
        assert download.value.suggested_filename == f"brief-{year}.{fmt}"
        files[fmt] = download.value.path()

    headline = ["合同成交额（元）", "1,550,000.00", "500,000.00", "+1,050,000.00", "+210.0%"]
    doc = Document(files["docx"])
    assert f"{year}年" in doc.paragraphs[0].text and "数据简报" in doc.paragraphs[0].text
    assert headline in [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert [c.text for c in doc.tables[0].rows[0].cells][3:] == ["增减", "同比"]
    assert len(doc.inline_shapes) == 3
    reader = PdfReader(files["pdf"])
    lines = [line.strip() for p in reader.pages for line in p.extract_text().splitlines()]
    assert f"{year}年" in lines[1] and "数据简报" in lines[1]
    at = lines.index(headline[0])
    assert lines[at : at + 5] == headline
    assert sum(len(p.images) for p in reader.pages) == 3

    # both are listed on the user's briefs page
    page.goto("/dashboard/briefs/")
    assert page.locator("tr[data-brief]").count() == 2


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
