"""The statistics brief (数据简报): the dashboard's figures for a period as a DOCX or a PDF in the
register of a bureau report — an overview paragraph, a year-on-year table per area, and charts
(registered 成交额 by month, records published per library, the docking funnel).

Built by a background task (``build``, queued by ``StatisticsBrief.request``). The numbers are the
dashboard's own (``figures.headline`` and ``charts.registered_by_month``, through the same cache),
so the brief, the page and the XLSX never disagree. Money is in 万元 in the text (a report's unit)
and to the fen in the tables. Both formats are laid out from one :class:`Content`, so they say
the same thing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xiake.dashboard.figures import GROUPS, headline
from xiake.dashboard.periods import Period
from xiake.dashboard.templatetags.dashboard import figure

WAN = Decimal(10000)
PDF_FONT = "STSong-Light"  # Adobe's CID font: Chinese without a font file (as the compilations)


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


def _difference(line) -> str:
    """The absolute change from the same period last year (增减), signed."""
    if line.current is None or line.last_year is None:
        return "—"
    diff = line.current - line.last_year
    unit = str(line.figure.unit)
    if unit or isinstance(diff, Decimal | float):
        return f"{Decimal(diff):+,.2f}"
    return f"{diff:+,}"


@dataclass
class Table:
    """One year-on-year table: a caption, the header row and rows of text cells (the first cell
    names the figure; the others are numbers)."""

    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    caption: str
    png: bytes


@dataclass
class Content:
    """Everything the brief says, laid out alike in the DOCX and the PDF."""

    title: str
    byline: str
    overview: str
    tables: list[Table]
    charts: list[Chart]
    note: str


def yoy_tables(lines, period: Period) -> list[Table]:
    """One table per area: figure, the period, the same period last year, 增减, 同比."""
    last_year = period.same_period_last_year()
    headers = [
        _("Figure"),
        period.label,
        last_year.label,
        pgettext("brief table", "Change"),
        pgettext("brief table", "Year on year"),
    ]
    tables = []
    for group, label in GROUPS.items():
        rows = []
        for line in lines:
            if line.figure.group != group:
                continue
            unit = str(line.figure.unit)
            change = line.vs_last_year
            rows.append(
                [
                    f"{line.figure.label}（{unit}）" if unit else str(line.figure.label),
                    figure(line.current, unit),
                    figure(line.last_year, unit),
                    _difference(line),
                    "—" if change is None else f"{change:+.1f}%",
                ]
            )
        if rows:
            n = len(tables) + 1
            tables.append(
                Table(_("Table %(n)d. %(title)s") % {"n": n, "title": label}, headers, rows)
            )
    return tables


def draw_charts(lines, period: Period, by_month) -> list[Chart]:
    from xiake.dashboard import chartimages
    from xiake.dashboard.charts import month_axis

    last_year = period.same_period_last_year()
    months, now, before = by_month
    libraries = [line for line in lines if line.figure.group == "libraries"]
    docking = [line for line in lines if line.figure.group == "docking"]
    charts = [
        (
            _("Registered contract value by month (10k yuan)"),
            chartimages.paired_bars(
                month_axis(period, months),
                now,
                before,
                period.label,
                last_year.label,
                unit=_("10k yuan"),
                labels=len(months) <= 12,
            ),
        ),
        (
            _("Records published per library"),
            chartimages.paired_bars(
                [str(line.figure.label) for line in libraries],
                [line.current for line in libraries],
                [line.last_year for line in libraries],
                period.label,
                last_year.label,
            ),
        ),
        (
            _("Docking funnel"),
            chartimages.funnel(
                [str(line.figure.label).lstrip("… ") for line in docking],
                [line.current for line in docking],
            ),
        ),
    ]
    return [
        Chart(_("Figure %(n)d. %(title)s") % {"n": n, "title": title}, png)
        for n, (title, png) in enumerate(charts, 1)
    ]


def collect(user, period: Period, org_name: str, fresh: bool = False, step=None) -> Content:
    """The brief's content for ``user`` (figures over what the user may see). ``step(name,
    percent)`` reports progress: figures, then charts."""
    from xiake.dashboard.charts import registered_by_month

    step = step or (lambda name, percent: None)
    step("figures", 5)
    lines = headline(user, period, fresh)
    by_month = registered_by_month(user, period, fresh)
    step("charts", 35)
    charts = draw_charts(lines, period, by_month)
    today = timezone.localdate()
    last_year = period.same_period_last_year()
    return Content(
        title=_("%(org)s technology transfer statistics brief (%(period)s)")
        % {"org": org_name, "period": period.label},
        byline=_("Compiled on %(day)s from the platform's records; compared with %(ly)s.")
        % {"day": today.isoformat(), "ly": last_year.label},
        overview=summary(lines, period),
        tables=yoy_tables(lines, period),
        charts=charts,
        note=_(
            "Notes: counts are numbers of records; money is in yuan unless a unit is given; "
            "year on year compares with %(ly)s; “—” means there is nothing to compare with."
        )
        % {"ly": last_year.label},
    )


# -- DOCX ------------------------------------------------------------------------------------------


def build_docx(content: Content, author: str = "") -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    # A report's fonts: 宋体 for the text, 黑体 for headings (Chinese text in a Chinese font).
    for name, east_asian, size in (
        ("Normal", "宋体", 11),
        ("Heading 1", "黑体", 18),
        ("Heading 2", "黑体", 14),
        ("Caption", "宋体", 10),
    ):
        style = doc.styles[name]
        style.font.name = "SimHei" if east_asian == "黑体" else "SimSun"
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
        if name.startswith("Heading"):
            style.font.color.rgb = RGBColor(0, 0, 0)

    def centred(paragraph):
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return paragraph

    centred(doc.add_heading(content.title, level=1))
    centred(doc.add_paragraph(content.byline))
    doc.add_heading(_("1. Overview"), level=2)
    doc.add_paragraph(content.overview).paragraph_format.first_line_indent = Pt(22)
    doc.add_heading(_("2. Main figures year on year"), level=2)
    for t in content.tables:
        centred(doc.add_paragraph(t.caption, style="Caption"))
        table = doc.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, t.headers, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].font.bold = True
        for row in t.rows:
            cells = table.add_row().cells
            for k, (cell, text) in enumerate(zip(cells, row, strict=True)):
                cell.text = text
                if k:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        doc.add_paragraph()
    doc.add_heading(_("3. Charts"), level=2)
    for chart in content.charts:
        centred(doc.add_paragraph()).add_run().add_picture(io.BytesIO(chart.png), width=Mm(160))
        centred(doc.add_paragraph(chart.caption, style="Caption"))
    doc.add_paragraph(content.note).runs[0].font.size = Pt(9)
    doc.core_properties.title = content.title
    doc.core_properties.author = author
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- PDF -------------------------------------------------------------------------------------------


def build_pdf(content: Content, author: str = "") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
    )
    from reportlab.platypus import Table as Grid

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle("t", fontName=PDF_FONT, fontSize=18, leading=26, alignment=1)
    byline = ParagraphStyle("b", fontName=PDF_FONT, fontSize=10, leading=15, alignment=1)
    h2 = ParagraphStyle("h2", fontName=PDF_FONT, fontSize=14, leading=20, spaceBefore=10)
    body = ParagraphStyle(
        "p", fontName=PDF_FONT, fontSize=11, leading=19, firstLineIndent=22, wordWrap="CJK"
    )
    caption = ParagraphStyle(
        "c", fontName=PDF_FONT, fontSize=10, leading=14, alignment=1, spaceBefore=6
    )
    cell = ParagraphStyle("cell", fontName=PDF_FONT, fontSize=9, leading=12, wordWrap="CJK")
    number = ParagraphStyle("num", parent=cell, alignment=2)
    note = ParagraphStyle("n", fontName=PDF_FONT, fontSize=9, leading=13, spaceBefore=8)
    width = A4[0] - 50 * mm

    def p(text, style):
        return Paragraph(escape(text), style)

    story = [p(content.title, title), Spacer(1, 3 * mm), p(content.byline, byline)]
    story += [p(_("1. Overview"), h2), p(content.overview, body)]
    story.append(p(_("2. Main figures year on year"), h2))
    first = 0.34 * width
    others = (width - first) / 4
    for t in content.tables:
        rows = [[p(h, number if k else cell) for k, h in enumerate(t.headers)]]
        rows += [[p(v, number if k else cell) for k, v in enumerate(r)] for r in t.rows]
        grid = Grid(rows, colWidths=[first] + [others] * 4, repeatRows=1)
        grid.setStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
        story.append(KeepTogether([p(t.caption, caption), Spacer(1, 2 * mm), grid]))
    story.append(p(_("3. Charts"), h2))
    for chart in content.charts:
        image = Image(io.BytesIO(chart.png), width=width, height=width * 3.0 / 6.4)
        story.append(KeepTogether([image, p(chart.caption, caption)]))
    story.append(p(content.note, note))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(PDF_FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=22 * mm,
        bottomMargin=22 * mm,
        title=content.title,
        author=author,
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# -- the task's body -------------------------------------------------------------------------------


def build(brief_id: int) -> dict:
    """Build the brief in the language it was asked in, reporting each step; once it is done the
    user's older copies of the same brief (and their files) are removed."""
    from xiake.core.documents import Built
    from xiake.core.documents import build as run
    from xiake.dashboard.models import StatisticsBrief
    from xiake.dashboard.periods import parse

    def make(brief, jobs) -> Built:
        def step(name, percent):
            jobs.update(step=name, progress=percent)

        user = brief.requested_by
        org = getattr(user, "organization", None)
        org_name = org.name if org else ""
        with translation.override(brief.language):
            period = parse(brief.period)
            content = collect(user, period, org_name, brief.recompute, step)
            step("layout", 70)
            maker = build_pdf if brief.format == StatisticsBrief.Format.PDF else build_docx
            data = maker(content, org_name)
        name = f"brief-{period.key}-{brief.pk}.{brief.format}"
        return Built(files={"file": (name, data)}, result={"bytes": len(data)})

    jobs = StatisticsBrief.objects.filter(pk=brief_id).select_related("requested_by__organization")
    result = run(jobs, make)
    if result.get("status") == "done":
        brief = jobs.get()
        older = StatisticsBrief.objects.filter(
            requested_by=brief.requested_by_id,
            period=brief.period,
            format=brief.format,
            language=brief.language,
            status__in=(StatisticsBrief.Status.DONE, StatisticsBrief.Status.FAILED),
            pk__lt=brief.pk,
        )
        for old in older:
            if old.file:
                old.file.delete(save=False)
        older.delete()
    return result
