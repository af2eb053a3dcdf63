"""PDF reports with Chinese text: reportlab's built-in CID font STSong-Light (no font file)."""

import io

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ]
)


def _doc(story) -> bytes:
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title="xiake evaluation"
    ).build(story)
    return out.getvalue()


def institution_report(result) -> bytes:
    """One institution: total, rank, grade and every indicator's raw value and score."""
    from xiake.institutions.models import Indicator

    round_ = result.round
    names = dict(Indicator.objects.filter(system=round_.system).values_list("code", "name"))
    story = [
        Paragraph(f"{round_.name} · {result.institution.name}", TITLE),
        Paragraph(
            f"{_('Indicator system')}: {round_.system}　{_('Period')}: {round_.period_start} – "
            f"{round_.period_end}",
            BODY,
        ),
        Paragraph(
            f"{_('Total score')}: {result.total if result.total is not None else '—'}　"
            f"{_('Rank')}: {result.rank or '—'}　{_('Grade')}: {result.get_grade_display()}　"
            f"{_('Award')}: {result.award or '—'}",
            BODY,
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [[_("Code"), _("Indicator"), _("Weight (%)"), _("Raw value"), _("Score")]]
    for code, d in sorted(result.details.items()):
        rows.append(
            [
                code,
                names.get(code, code),
                d["weight"],
                "—" if d["raw"] is None else d["raw"],
                "—" if d["score"] is None else d["score"],
            ]
        )
    table = Table(rows, repeatRows=1, colWidths=[18 * mm, 70 * mm, 22 * mm, 30 * mm, 22 * mm])
    table.setStyle(TABLE_STYLE)
    story += [
        table,
        Spacer(1, 4 * mm),
        Paragraph(f"{_('Inputs fingerprint')}: {round_.inputs_hash[:16]}", BODY),
    ]
    return _doc(story)


def summary_report(round_) -> bytes:
    """The round: ranking with totals and grades of every institution."""
    story = [
        Paragraph(f"{round_.name} · {_('Summary')}", TITLE),
        Paragraph(f"{_('Indicator system')}: {round_.system}", BODY),
        Spacer(1, 4 * mm),
    ]
    rows = [[_("Rank"), _("Institution"), _("Total score"), _("Grade"), _("Award")]]
    for r in round_.results.select_related("institution").order_by("rank", "institution__name"):
        rows.append(
            [
                r.rank or "—",
                Paragraph(r.institution.name, BODY),
                r.total if r.total is not None else "—",
                r.get_grade_display(),
                r.award or "",
            ]
        )
    table = Table(rows, repeatRows=1, colWidths=[14 * mm, 90 * mm, 22 * mm, 22 * mm, 24 * mm])
    table.setStyle(TABLE_STYLE)
    return _doc([*story, table])
