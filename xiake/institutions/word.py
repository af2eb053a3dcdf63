"""DOCX reports (python-docx), beside the PDFs: the same content, editable by the bureau."""

import io

from django.utils.translation import gettext as _


def institution_report(result) -> bytes:
    """One institution: total, rank, grade and every indicator's raw value and score."""
    from docx import Document
    from docx.oxml.ns import qn

    from xiake.institutions.models import Indicator

    round_ = result.round
    names = dict(Indicator.objects.filter(system=round_.system).values_list("code", "name"))
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Chinese text in a Chinese font
    doc.add_heading(f"{round_.name} · {result.institution.name}", level=1)
    doc.add_paragraph(
        f"{_('Indicator system')}: {round_.system}　{_('Period')}: {round_.period_start} – "
        f"{round_.period_end}"
    )
    doc.add_paragraph(
        f"{_('Total score')}: {result.total if result.total is not None else '—'}　"
        f"{_('Rank')}: {result.rank or '—'}　{_('Grade')}: {result.get_grade_display()}　"
        f"{_('Award')}: {result.award or '—'}"
    )
    headers = [_("Code"), _("Indicator"), _("Weight (%)"), _("Raw value"), _("Score")]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = str(text)
    for code, d in sorted(result.details.items()):
        values = (
            code,
            names.get(code, code),
            d["weight"],
            "—" if d["raw"] is None else d["raw"],
            "—" if d["score"] is None else d["score"],
        )
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)
    doc.add_paragraph(f"{_('Inputs fingerprint')}: {round_.inputs_hash[:16]}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
