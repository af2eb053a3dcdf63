"""The bureau imports a sheet, fixes the bad row from the report, imports, and finds the record via API."""

import pytest
from openpyxl import Workbook

from tests.base import api_for
from tests.browser.conftest import login
from tests.factories import PASSWORD
from xiake.catalog.models import Achievement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sheet(path, trl):
    wb = Workbook()
    ws = wb.active
    ws.append(["成果名称", "所属单位", "关键词", "技术成熟度"])
    ws.append(["海洋工程用双相不锈钢焊接工艺", "测试大学", "双相不锈钢,焊接", "6"])
    ws.append(["船用焊缝耐点蚀涂层", "测试大学", "涂层,点蚀", trl])
    wb.save(path)
    return path


def test_bureau_fixes_a_bad_row_and_imports(page, users, orgs, tmp_path):
    login(page, "t_bureau", PASSWORD)
    page.goto("/catalog/achievements/import/")
    page.set_input_files("input[name=file]", str(sheet(tmp_path / "成果.xlsx", "十二")))
    with page.expect_navigation():
        page.click("form.xk-form button[type=submit]")
    errors = page.locator("[data-testid=import-errors] tbody tr")
    assert errors.count() == 1
    assert errors.first.inner_text().split("\t")[:2] == ["3", "技术成熟度"]
    with page.expect_download() as download:
        page.click("text=下载错误报告")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Achievement.objects.count() == 0

    page.set_input_files("input[name=file]", str(sheet(tmp_path / "成果-修正.xlsx", "7")))
    page.check("input[name=publish]")
    with page.expect_navigation():
        page.click("form.xk-form button[type=submit]")
    page.click("[data-testid=import-result] button[type=submit]")
    page.wait_for_url("**/catalog/achievements/")
    assert Achievement.objects.filter(status="published").count() == 2

    found = api_for().get("/api/v1/achievements/", {"q": "耐点蚀", "trl": "7"}).json()
    assert [r["title"] for r in found["results"]] == ["船用焊缝耐点蚀涂层"]
