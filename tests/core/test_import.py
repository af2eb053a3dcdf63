"""Spreadsheet import: validation names row and column, a bad file writes nothing, re-import is idempotent."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.base import client_for
from xiake.catalog.models import Achievement
from xiake.core.models import ChangeRecord, ImportJob

HEADERS = [
    "成果名称",
    "所属单位",
    "关键词",
    "技术成熟度",
    "合作方式",
    "意向价格（万元）",
    "完成日期",
]


def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, data, name="成果.xlsx", publish=False):
    url = reverse("catalog:achievement_import")
    payload = {"file": SimpleUploadedFile(name, data)}
    if publish:
        payload["publish"] = "on"
    return client.post(url, payload)


@pytest.fixture
def bureau(users):
    return client_for(users["bureau"])


def good_rows(orgs, n=3):
    return [
        [
            f"高熵合金激光熔覆技术{i}",
            orgs["university"].name,
            "高熵合金,激光熔覆",
            "6",
            "转让，许可",
            80 + i,
            "2024-05-01",
        ]
        for i in range(n)
    ]


def test_the_template_has_chinese_headers(bureau):
    response = bureau.get(reverse("catalog:achievement_import_template"))
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).active[1]]
    assert "成果名称" in headers and "技术成熟度" in headers and "所属单位" in headers


def test_a_bad_row_writes_nothing_and_is_named(bureau, orgs):
    rows = good_rows(orgs)
    rows.append(["", orgs["university"].name, "", "12", "赠送", "-5", "2024-13-40"])
    response = upload(bureau, xlsx(rows))
    assert response.status_code == 200
    job = response.context["job"]
    assert job.status == ImportJob.Status.FAILED
    assert Achievement.objects.count() == 0
    problems = {(e["row"], e["column"]) for e in job.errors}
    assert {
        (5, "成果名称"),
        (5, "技术成熟度"),
        (5, "合作方式"),
        (5, "意向价格（万元）"),
        (5, "完成日期"),
    } <= problems
    page = response.content.decode()
    assert "技术成熟度" in page and "12" in page

    report = bureau.get(reverse("catalog:achievement_import_errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(report.content)).active
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    assert lines[0] == ["行号", "列", "值", "原因"]
    assert any(line[0] == 5 and line[1] == "技术成熟度" and line[2] == "12" for line in lines)

    # Importing all rows is refused while errors exist…
    bureau.post(reverse("catalog:achievement_import"), {"job": job.pk})
    assert Achievement.objects.count() == 0
    # …and the valid rows alone only when asked explicitly.
    bureau.post(reverse("catalog:achievement_import"), {"job": job.pk, "valid_only": "1"})
    assert Achievement.objects.count() == 3


def test_importing_the_same_file_twice_creates_no_duplicates(bureau, orgs):
    data = xlsx(good_rows(orgs, 4))
    for _ in range(2):
        job = upload(bureau, data, publish=True).context["job"]
        assert not job.errors
        bureau.post(reverse("catalog:achievement_import"), {"job": job.pk, "publish": "on"})
    assert Achievement.objects.count() == 4
    job.refresh_from_db()
    assert (job.created_count, job.updated_count) == (0, 0)  # nothing changed, nothing written
    ach = Achievement.objects.get(title="高熵合金激光熔覆技术1")
    assert ach.status == "published"
    assert ach.trl.code == "6"
    assert sorted(ach.cooperation_modes.values_list("code", flat=True)) == ["license", "transfer"]
    assert ChangeRecord.objects.filter(action="import", object_id=str(ach.pk)).count() == 1

    # A corrected sheet updates only the rows it changes, and logs what changed.
    rows = good_rows(orgs, 4)
    rows[1][3], rows[1][4] = "8", "转让"
    job = upload(bureau, xlsx(rows)).context["job"]
    bureau.post(reverse("catalog:achievement_import"), {"job": job.pk})
    job.refresh_from_db()
    assert (job.created_count, job.updated_count) == (0, 1)
    ach.refresh_from_db()
    assert ach.trl.code == "8" and ach.status == "published"
    assert list(ach.cooperation_modes.values_list("code", flat=True)) == ["transfer"]
    record = ChangeRecord.objects.filter(action="import", object_id=str(ach.pk)).first()
    assert record.before["trl_id"] != record.after["trl_id"]


def test_duplicates_inside_the_file_are_errors(bureau, orgs):
    rows = good_rows(orgs, 2) + [good_rows(orgs, 1)[0]]
    job = upload(bureau, xlsx(rows)).context["job"]
    assert any(e["row"] == 4 and "2" in e["message"] for e in job.errors)


def test_unknown_and_missing_columns_are_reported(bureau, orgs):
    job = upload(bureau, xlsx([["x"]], headers=["成果名称", "奇怪的列"])).context["job"]
    messages = {(e["row"], e["column"]) for e in job.errors}
    assert (1, "奇怪的列") in messages and (1, "所属单位") in messages


def test_members_import_only_for_their_own_organisation(users, orgs):
    client = client_for(users["university"])
    rows = good_rows(orgs, 1) + [["别家成果", orgs["university2"].name, "", "5", "", "", ""]]
    job = upload(client, xlsx(rows)).context["job"]
    assert [e["row"] for e in job.errors] == [3]
    client.post(reverse("catalog:achievement_import"), {"job": job.pk, "valid_only": "1"})
    assert list(Achievement.objects.values_list("owner_org", "status")) == [
        (orgs["university"].pk, "draft")
    ]


def test_a_record_of_another_organisation_cannot_be_overwritten(users, orgs):
    from tests.factories import make_achievement

    make_achievement(orgs["university2"], title="已有成果")
    client = client_for(users["university"])
    # Same title, own organisation: a new record, not an update of the other one.
    job = upload(client, xlsx([["已有成果", "", "", "5", "", "", ""]])).context["job"]
    assert not job.errors


@pytest.mark.parametrize("name", ["宏.xlsm", "表.xls", "a.exe"])
def test_other_file_types_are_refused(bureau, name):
    response = upload(bureau, b"PK\x03\x04junk", name=name)
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()


def test_a_workbook_with_macros_is_refused(bureau, orgs):
    data = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx(good_rows(orgs, 1)))) as src,
        zipfile.ZipFile(data, "w") as dst,
    ):
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    response = upload(bureau, data.getvalue())
    assert response.status_code == 400 and Achievement.objects.count() == 0


def test_an_oversized_file_is_refused(bureau, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(bureau, b"x" * 2048, name="big.csv")
    assert response.status_code == 400


def test_a_gbk_csv_imports(bureau, orgs):
    text = "成果名称,所属单位,技术成熟度\n石墨烯导热膜,{},7\n".format(orgs["university"].name)
    job = upload(bureau, text.encode("gb18030"), name="成果.csv").context["job"]
    assert not job.errors and job.valid_rows == 1


def test_export_neutralises_formulas(users, orgs):
    from tests.factories import make_achievement

    make_achievement(orgs["university"], title='=HYPERLINK("http://x")')
    response = client_for(users["bureau"]).get(
        reverse("catalog:achievement_list"), {"export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert titles == ['\'=HYPERLINK("http://x")']


def test_export_round_trips_through_import(users, orgs):
    from tests.factories import make_achievement

    make_achievement(orgs["university"], title="可往返的成果")
    client = client_for(users["bureau"])
    exported = client.get(reverse("catalog:achievement_list"), {"export": "xlsx"}).content
    job = upload(client, exported).context["job"]
    assert not job.errors and job.valid_rows == 1
