"""The statistics brief (数据简报): the dashboard's figures for a period as an editable DOCX in the
register of a bureau report — a summary paragraph, then one year-on-year table per area.

The numbers are the dashboard's own (``figures.headline``), so the brief, the page and the XLSX
never disagree. Money is shown in 万元 in the text (a report's unit) and to the fen in the tables.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.dashboard.figures import GROUPS, headline
from xiake.dashboard.periods import Period
from xiake.dashboard.templatetags.dashboard import figure

WAN = Decimal(10000)


def _wan(value) -> str:
    return f"{Decimal(value or 0) / WAN:,.2f}"


def _trend(change) -> str:
    if change is None:
        return ""
    if abs(change) < 0.05:
        return _("level with the same period last year")
    if change > 0:
        return _("up %(p)s year on year") % {"p": f"{change:.1f}%"}
    return _("down %(p)s year on year") % {"p": f"{-change:.1f}%"}


def summary(lines, period: Period) -> str:
    """The opening paragraph: the figures a report quotes, each with its year-on-year change."""
    by_key = {line.figure.key: line for line in lines}

    def part(key, text):
        line = by_key[key]
        trend = _trend(line.vs_last_year)
        return f"{text}（{trend}）" if trend else text

    parts = [
        part(
            "achievements",
            _("%(n)s achievements published") % {"n": figure(by_key["achievements"].current)},
        ),
        part(
            "funnel_published",
            _("%(n)s enterprise technology demands published, %(m)s of them with pushed matches")
            % {
                "n": figure(by_key["funnel_published"].current),
                "m": figure(by_key["funnel_matched"].current),
            },
        ),
        part(
            "registered_count",
            _(
                "%(n)s technology contracts registered, with a contract value of %(v)s (10k "
                "yuan) and a technology transaction value of %(t)s (10k yuan)"
            )
            % {
                "n": figure(by_key["registered_count"].current),
                "v": _wan(by_key["registered_total"].current),
                "t": _wan(by_key["registered_tech"].current),
            },
        ),
        part(
            "served",
            _("%(e)s events held, serving %(n)s distinct enterprises")
            % {"e": figure(by_key["events"].current), "n": figure(by_key["served"].current)},
        ),
        part(
            "inst_revenue",
            _("new R&D institutions reported a revenue of %(v)s (10k yuan)")
            % {"v": figure(by_key["inst_revenue"].current, "wan")},
        ),
    ]
    return _("In %(period)s, the district: %(parts)s.") % {
        "period": period.label,
        "parts": "；".join(parts),
    }


def build_docx(user, period: Period, org_name: str = "") -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    lines = headline(user, period)
    last_year = period.same_period_last_year()
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Chinese text in a Chinese font
    title = doc.add_heading(
        _("%(org)s technology transfer statistics brief (%(period)s)")
        % {"org": org_name, "period": period.label},
        level=1,
    )
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        _("Compiled on %(day)s from the platform's records; compared with %(ly)s.")
        % {"day": timezone.localdate().isoformat(), "ly": last_year.label}
    )
    doc.add_paragraph(summary(lines, period))
    for group, label in GROUPS.items():
        rows = [line for line in lines if line.figure.group == group]
        if not rows:
            continue
        doc.add_heading(str(label), level=2)
        headers = [_("Figure"), period.label, last_year.label, _("Year on year")]
        table = doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = str(text)
        for line in rows:
            unit = str(line.figure.unit)
            name = f"{line.figure.label}（{unit}）" if unit else str(line.figure.label)
            change = line.vs_last_year
            values = (
                name,
                figure(line.current, unit),
                figure(line.last_year, unit),
                "—" if change is None else f"{change:+.1f}%",
            )
            for cell, value in zip(table.add_row().cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
