"""Every export and download is audited: all of them are built by ``core.downloads`` (no view
makes an attachment answer by itself), and walking every export/download URL leaves, for each
file handed out, a record with that request's id."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f
from tests.base import client_for
from tests.ops.test_least_privilege import argument_free_urls
from xiake.core.models import ChangeRecord, ImportJob

PACKAGE = Path(__file__).resolve().parents[2] / "xiake"
HELPER = PACKAGE / "core" / "downloads.py"
BYPASSES = re.compile(
    r"Content-Disposition|FileResponse\(|\bas_attachment\s*=|StreamingHttpResponse\("
)


def test_no_view_builds_a_download_without_the_recording_helper():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == HELPER or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BYPASSES.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not offenders, offenders


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    settings.MEDIA_ROOT = tmp_path / "media"


def _audited(client, url, params=None):
    """GET url; when a file comes back, the record of that very request must exist."""
    response = client.get(url, params or {})
    disposition = response.get("Content-Disposition", "")
    if not disposition:
        return None
    request_id = response["X-Request-ID"]
    records = ChangeRecord.objects.filter(request_id=request_id, action__in=["export", "download"])
    assert records.count() == 1, (url, params, disposition)
    record = records.get()
    assert record.actor_id == response.wsgi_request.user.pk and record.ip == "127.0.0.1"
    return record


@pytest.mark.parametrize("persona", ["bureau", "university"])
def test_every_argument_free_export_and_download_is_recorded(users, persona):
    client = client_for(users[persona])
    files = []
    for name, url in argument_free_urls().items():
        if url.startswith("/api/"):
            continue
        for params in ({}, {"export": "csv"}, {"export": "xlsx"}):
            record = _audited(client, url, params)
            if record is not None:
                files.append((name, params.get("export", "")))
    names = {n for n, _fmt in files}
    # the walk really met the exports: library lists, the dashboard, import templates
    assert "catalog:achievement_list" in names and "catalog:achievement_import_template" in names
    if persona == "bureau":
        assert {"dashboard:export", "contracts:statistics"} <= names


def test_downloads_of_stored_and_generated_files_are_recorded(orgs, users):
    from tests.institutions import factories as inst_f
    from xiake.institutions import models as m

    owner = client_for(users["university"])
    ach = f.make_achievement(orgs["university"])
    owner.post(
        reverse("catalog:achievement_attachment_add", args=[ach.pk]),
        {"file": SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n")},
    )
    item = ach.attachments.get()
    record = _audited(
        client_for(), reverse("catalog:achievement_attachment", args=[ach.pk, item.pk])
    )
    assert record.action == "download" and record.object_id == str(ach.pk)
    assert "证书.pdf" in record.comment and record.actor_id is None

    job = ImportJob.objects.create(
        resource="catalog.achievement",
        file_name="x.xlsx",
        status="failed",
        errors=[{"row": 2, "column": "标题", "value": "", "message": "必填"}],
        user=users["university"],
    )
    record = _audited(owner, reverse("catalog:achievement_import_errors", args=[job.pk]))
    assert record.action == "download"

    inst = inst_f.make_institution(orgs["institution"])
    reporter = client_for(users["institution"])
    url = reverse("institutions:report_template", args=[inst.pk, "2026-01"])
    assert _audited(reporter, url).object_id == str(inst.pk)

    round_ = m.EvaluationRound.objects.create(
        name="2025年度",
        year=2025,
        system=inst_f.make_system(),
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 1),
    )
    url = reverse("institutions:round_pdf", args=[round_.pk])
    assert _audited(client_for(users["bureau"]), url).object_id == str(round_.pk)

    # a statistics brief built in the background leaves through the same helper
    from django.core.files.base import ContentFile

    from xiake.dashboard.models import StatisticsBrief

    brief = StatisticsBrief.objects.create(
        requested_by=users["bureau"], period="2025", format="pdf", language="zh-hans"
    )
    brief.file.save("brief.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    StatisticsBrief.objects.filter(pk=brief.pk).update(status="done", file=brief.file.name)
    url = reverse("dashboard:brief_download", args=[brief.pk])
    record = _audited(client_for(users["bureau"]), url)
    assert record.action in ("download", "export") and record.object_id == str(brief.pk)
