"""Upload scanning rules (xiake/core/uploads.py), from outside: crafted files through the attachment
and import pages are refused with a message naming the field, and nothing is stored; genuine
files pass; names are sanitised; every file field of the platform applies the rules."""

import importlib
import io
import zipfile
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from openpyxl import Workbook

from tests import factories as f
from tests.base import client_for
from xiake.core import uploads
from xiake.core.models import Attachment, ImportJob
from xiake.core.resources import registry
from xiake.core.uploads import sanitise_filename

PDF = b"%PDF-1.4\n% test\n"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def workbook_bytes(rows=(("成果名称",), ("石墨烯导热膜",))) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def repack(data: bytes, extra=(), compression=zipfile.ZIP_DEFLATED) -> bytes:
    """The package ``data`` with ``extra`` members ((ZipInfo or name, bytes)) added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        for name, content in extra:
            dst.writestr(name, content, compress_type=compression)
    return out.getvalue()


def mark_encrypted(data: bytes, name: str) -> bytes:
    """``data`` with the encryption flag set on member ``name`` (zipfile cannot write encrypted
    members): bit 0 of the flags in its central directory record."""
    record = 0
    while True:
        record = data.index(b"PK\x01\x02", record)
        name_length = int.from_bytes(data[record + 28 : record + 30], "little")
        if data[record + 46 : record + 46 + name_length] == name.encode():
            break
        record += 4
    flags = int.from_bytes(data[record + 8 : record + 10], "little") | 0x1
    return data[: record + 8] + flags.to_bytes(2, "little") + data[record + 10 :]


def zip_bomb_member(size: int):
    """A member that is tiny compressed and ``size`` bytes once uncompressed, streamed so the test
    never holds it in memory."""

    def write(dst: zipfile.ZipFile, name: str):
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)

    return write


def with_bomb(data: bytes, name: str, size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        dst.compression = zipfile.ZIP_DEFLATED
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        zip_bomb_member(size)(dst, name)
    return out.getvalue()


# -- attachments ---------------------------------------------------------------------------------


@pytest.fixture
def attach(orgs, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    record = f.make_achievement(orgs["university"])
    client = client_for(users["university"])
    url = reverse("catalog:achievement_attachment_add", args=[record.pk])

    def post(name, content):
        response = client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)
        assert response.status_code == 200
        return [str(m) for m in response.context["messages"]]

    post.record, post.root = record, tmp_path
    return post


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("合同.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64, "不符"),  # an .exe renamed .pdf
        ("setup.exe", b"MZ\x90\x00", "允许的文件类型"),
        ("报告.pdf.exe", PDF, "允许的文件类型"),  # the last suffix counts
        ("图.png", b"GIF89a....", "不符"),
        ("说明.docx", b"PK\x03\x04 but not a zip at all", "不是有效"),
        ("说明.docx", workbook_bytes(), "不是有效"),  # a workbook renamed .docx
        ("说明.txt", b"text\x00with NUL", "不符"),
        ("宏.xlsm", workbook_bytes(), "允许的文件类型"),
    ],
)
def test_attachments_refuse_bad_files_naming_the_field(attach, name, content, reason):
    messages = attach(name, content)
    assert any(m.startswith("附件：") and reason in m for m in messages), messages
    assert Attachment.objects.count() == 0
    assert stored_files(attach.root) == []


def test_an_oversized_attachment_is_refused_before_it_is_stored(attach, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    messages = attach("大.pdf", PDF + b"x" * 2048)
    assert any("附件" in m and "1 MB" in m for m in messages), messages
    assert Attachment.objects.count() == 0 and stored_files(attach.root) == []


def test_genuine_files_are_accepted_and_names_sanitised(attach):
    from docx import Document

    doc = io.BytesIO()
    Document().save(doc)
    attach("../../etc/说明书.docx", doc.getvalue())
    attach("C:\\Users\\a\\专利\x07证书 .PDF", PDF)
    attach("表.xlsx", workbook_bytes())
    names = sorted(attach.record.attachments.values_list("name", flat=True))
    assert names == ["专利证书.pdf", "表.xlsx", "说明书.docx"]
    for path in stored_files(attach.root):
        assert path.resolve().is_relative_to(attach.root.resolve() / "attachments")


def test_an_office_embedding_is_allowed_in_an_attachment_but_not_in_an_import(attach, users):
    from docx import Document

    doc = io.BytesIO()
    Document().save(doc)
    with_chart = repack(doc.getvalue(), [("word/embeddings/chart_data.xlsx", workbook_bytes())])
    assert attach("带图表.docx", with_chart) == ["已上传“带图表.docx”。"]
    refused = import_post(users["bureau"], "成果.xlsx", repack(
        workbook_bytes(), [("xl/embeddings/inner.xlsx", workbook_bytes())]
    ))  # fmt: skip
    assert "另一个压缩" in refused.content.decode()


# -- imports -------------------------------------------------------------------------------------


def import_post(user, name, content):
    return client_for(user).post(
        reverse("catalog:achievement_import"), {"file": SimpleUploadedFile(name, content)}
    )


@pytest.fixture
def importing(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    def post(name, content):
        response = import_post(users["bureau"], name, content)
        assert response.status_code == 400
        assert ImportJob.objects.count() == 0 and stored_files(tmp_path) == []
        errors = response.context["form"].errors["file"]
        body = response.content.decode()
        assert "表格文件" in body  # the page shows the error under the field's label
        return " ".join(errors)

    return post


def test_an_xlsx_that_is_not_a_zip_is_refused(importing):
    assert "不符" in importing("成果.xlsx", b"this is not a workbook at all")
    assert "不是有效" in importing("成果.xlsx", b"PK\x03\x04 and then no zip at all")
    assert "不符" in importing("成果.xlsx", b"MZ\x90\x00" + b"\0" * 100)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(importing):
    # 64 MB of zeros in 64 KB: a member compressed ~1000 times
    bomb = with_bomb(workbook_bytes(), "xl/worksheets/sheet2.xml", 64 * 1024 * 1024)
    assert len(bomb) < 200 * 1024
    assert "压缩比" in importing("成果.xlsx", bomb)


def test_a_workbook_too_large_once_uncompressed_is_refused(importing, monkeypatch):
    # many members, each under the per-member floor, together over the total
    monkeypatch.setattr(uploads, "MAX_UNCOMPRESSED", 8 * 1024 * 1024)
    parts = [(f"xl/media/part{n}.xml", b"<a/>" * (256 * 1024 // 4)) for n in range(40)]
    assert "解压后" in importing("成果.xlsx", repack(workbook_bytes(), parts))


def test_too_many_members_nested_archives_and_encryption_are_refused(importing):
    many = [(f"xl/x{n}.xml", b"<a/>") for n in range(uploads.MAX_ENTRIES + 1)]
    assert "部件" in importing("成果.xlsx", repack(workbook_bytes(), many))
    # an archive renamed as an image is found by its first bytes
    nested = repack(workbook_bytes(), [("xl/media/image1.png", workbook_bytes())])
    assert "另一个压缩" in importing("成果.xlsx", nested)
    assert "加密" in importing("成果.xlsx", mark_encrypted(workbook_bytes(), "xl/workbook.xml"))
    climbing = repack(workbook_bytes(), [("../../evil.xml", b"<a/>")])
    assert "不是有效" in importing("成果.xlsx", climbing)


def test_a_csv_must_be_text(importing):
    assert "不符" in importing("成果.csv", b"\x89PNG\r\n\x1a\n\0\0\0")


def test_the_import_command_applies_the_same_rules(tmp_path):
    from xiake.core import importer

    bomb = with_bomb(workbook_bytes(), "xl/worksheets/sheet2.xml", 16 * 1024 * 1024)
    with pytest.raises(importer.ImportRejected, match="压缩比|compressed"):
        importer.read_table("成果.xlsx", bomb)
    header, rows = importer.read_table("成果.xlsx", workbook_bytes())
    assert header == ["成果名称"] and rows == [["石墨烯导热膜"]]


def test_a_month_sheet_upload_applies_the_rules(users, orgs):
    from xiake.institutions.views import UploadForm

    form = UploadForm(files={"file": SimpleUploadedFile("月报.xlsx", b"MZ\x90\x00")}, data={})
    assert not form.is_valid() and "不符" in form.errors["file"][0]


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\temp\\报告.PDF", "报告.pdf"),
        ('a<b>:"c|d?*.txt', "a_b_c_d_.txt"),
        ("\u202eevil\u202dfdp.exe", "evilfdp.exe"),  # right-to-left override removed
        ("名" * 300 + ".docx", "名" * 115 + ".docx"),
        ("...", "file"),
        ("", "file"),
        ("ｆｕｌｌ．ｐｄｆ", "full.pdf"),  # full-width forms normalised
    ],
)
def test_names_are_sanitised(raw, clean):
    assert sanitise_filename(raw) == clean


# -- coverage of every file field ----------------------------------------------------------------


def _all_form_classes():
    for config in apps.get_app_configs():
        if config.name.startswith("xiake."):
            for module in ("views", "forms", "attachments", "public"):
                try:
                    importlib.import_module(f"{config.name}.{module}")
                except ModuleNotFoundError:
                    pass
    seen, stack = set(), [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return [c for c in seen if c.__module__.startswith("xiake.")]


def test_every_upload_field_of_the_platform_scans():
    forms_with_files = []
    for form_class in _all_form_classes():
        for name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, forms.FileField):
                forms_with_files.append(form_class.__name__)
                assert isinstance(field, uploads.ScannedFileField), f"{form_class}.{name}"
    assert {"AttachmentForm", "ImportForm", "UploadForm"} <= set(forms_with_files)
    # model file fields reach no generic edit form, no admin: uploads go through the forms above
    resource_models = {r.model for r in registry().values()}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and field.editable:
                assert model not in resource_models, f"{model.__name__}.{field.name}"
                assert model not in admin.site._registry, f"{model.__name__}.{field.name}"
