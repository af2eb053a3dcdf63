"""CSV and XLSX export of a filtered list, with spreadsheet formula injection neutralised."""

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from xiake.core import downloads
from xiake.core.columns import columns_for
from xiake.core.masking import identity_revealed, masked_values, page_contact_grants

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell starting like a formula is prefixed with ' so no spreadsheet evaluates it."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_rows(resource, queryset, user, revealed: list | None = None):
    """Header and rows as the user may see them; ``revealed`` collects the pks of rows whose
    identity numbers are exported in full (for the export's audit record)."""
    columns = columns_for(resource)
    yield [c.header for c in columns]
    select, prefetch = resource.related_for([c.name for c in columns])
    qs = queryset.select_related(*select).prefetch_related(*prefetch)
    # which rows a docking case grants, for the whole export in one query per kind of record
    granted = page_contact_grants(user, queryset.model, queryset.values("pk"))
    for obj in qs.iterator(chunk_size=2000) if not prefetch else qs:
        values = {c.name: c.format(obj) for c in columns}
        values = masked_values(obj, user, values, granted)
        if revealed is not None and identity_revealed(obj, user, values):
            revealed.append(obj.pk)
        yield [neutralise(values[c.name]) for c in columns]


def export_response(resource, queryset, user, fmt: str, what: str = "") -> HttpResponse:
    """The filtered list as CSV or XLSX, recorded in the audit log with ``what`` (the filters)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{resource.model_name}-{stamp}.{fmt}"
    revealed: list = []
    rows = export_rows(resource, queryset, user, revealed)
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(row)
        content, content_type = buffer.getvalue(), downloads.CSV
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(str(resource.verbose_name_plural)[:31])
        for row in rows:
            ws.append(row)
        buffer = io.BytesIO()
        wb.save(buffer)
        content, content_type = buffer.getvalue(), downloads.XLSX
    if revealed:
        # the audit administrator finds exports of identity numbers by this text
        what = f"{what} 含证件号码明文 {len(revealed)} 条 (id: {_ids(revealed)})".strip()
    return downloads.file_response(content, filename, content_type, export=True, what=what)


def _ids(pks, limit: int = 200) -> str:
    shown = ",".join(str(pk) for pk in pks[:limit])
    return shown if len(pks) <= limit else f"{shown},…"


def template_response(resource) -> HttpResponse:
    """An empty workbook with the Chinese headers, a notes row per column, ready to fill in."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = str(resource.verbose_name_plural)[:31]
    for idx, col in enumerate(columns_for(resource), start=1):
        cell = ws.cell(row=1, column=idx, value=col.header)
        if col.required:
            cell.font = Font(bold=True, color="C00000")
        hint = col.model_field.help_text or ""
        if col.kind in {"term", "terms"}:
            hint = f"{hint} 填写代码或名称{'，多个用逗号分隔' if col.kind == 'terms' else ''}"
        if col.kind == "date":
            hint = f"{hint} 日期格式 2024-05-01"
        if hint.strip():
            cell.comment = Comment(str(hint).strip(), "xiake")
        ws.column_dimensions[cell.column_letter].width = max(12, len(col.header) * 2 + 4)
    buffer = io.BytesIO()
    wb.save(buffer)
    return downloads.file_response(
        buffer.getvalue(), f"{resource.model_name}-template.xlsx", downloads.XLSX
    )
