"""Build an achievement compilation (成果汇编) as PDF and DOCX.

Both files share one page plan (:func:`plan`): page 1 is the cover, then the contents
(``TOC_ROWS_PER_PAGE`` entries a page), then one page per published achievement, then the
enterprise demand list (published, non-confidential demands only). Because every achievement
starts after a page break and is kept to one page, the page where each one starts is known before
anything is laid out, and both contents print those numbers.

PDF: reportlab with the built-in CID font STSong-Light (Chinese renders without a font file); an
achievement's content is shrunk to fit its page. DOCX: python-docx, A4 with the PDF's margins,
宋体; an achievement's texts are cut to lengths that fit one page at the sizes used here; the
contents are the cached result of a Word TOC field (Word's "update field" rebuilds it from the
Heading 1 paragraphs), and the footer carries a PAGE field, so the printed numbers and the
contents agree. Progress (step, pages laid out of pages expected, percentage) is written to the
job while it builds; the page polls it.
"""

from __future__ import annotations

import io
import time
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.db.models import Q
from django.utils import timezone

FONT = "STSong-Light"
TOC_ROWS_PER_PAGE = 30
MAX_ACHIEVEMENTS = 2000
MAX_DEMANDS = 300
# Only for the progress bar's page estimate: the demand table's rows per page.
DEMAND_ROWS_PER_PAGE = 25
# A contents entry stays on one line: longer titles are cut (a CJK character counts 2, Latin 1).
TOC_LABEL_WIDTH = 80
# The DOCX cannot shrink a page to fit as the PDF does: its texts are cut to these lengths.
DOCX_TEXT_LIMITS = {"summary": 800, "technical_indicators": 300, "application_fields": 200}
DOCX_CELL_LIMIT = 60


@dataclass(frozen=True)
class Plan:
    """Where everything goes: the page numbers both contents print."""

    achievements: int
    demands: int
    toc_pages: int

    @property
    def first_page(self) -> int:
        return 2 + self.toc_pages  # the cover is page 1

    def page_of(self, index: int) -> int:
        """The page where achievement ``index`` (0-based) starts."""
        return self.first_page + index

    @property
    def demand_page(self) -> int | None:
        return self.first_page + self.achievements if self.demands else None

    @property
    def pages_expected(self) -> int:
        demand_pages = -(-self.demands // DEMAND_ROWS_PER_PAGE) if self.demands else 0
        return self.first_page - 1 + self.achievements + demand_pages


def plan(achievements, demands) -> Plan:
    entries = len(achievements) + (1 if demands else 0)
    return Plan(len(achievements), len(demands), max(1, -(-entries // TOC_ROWS_PER_PAGE)))


def contents(achievements, demands, layout: Plan) -> list[tuple[str, int]]:
    """The contents' entries: (label, page where it starts)."""
    entries = [
        (short(f"{i + 1}. {a.title}"), layout.page_of(i)) for i, a in enumerate(achievements)
    ]
    if demands:
        entries.append(("企业技术需求清单", layout.demand_page))
    return entries


def short(text: str, width: int = TOC_LABEL_WIDTH) -> str:
    """``text`` cut to ``width`` display columns (wide characters count two), with an ellipsis."""
    text = " ".join((text or "").split())
    used = 0
    for k, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > width:
            return text[: max(0, k - 1)] + "…"
    return text


class Progress:
    """Writes the job's step, pages laid out and percentage with UPDATEs (so the job's ``save()``
    does not queue another build), at most every ``interval`` seconds. The PDF takes 2–45 %, the
    DOCX 45–99 %: their shares of the time for 557 achievements (≈ 9 s and 10 s)."""

    SPANS = {"pdf": (2, 45), "docx": (45, 99)}

    def __init__(self, jobs, total: int, interval: float = 0.3):
        self.jobs, self.total, self.interval = jobs, max(1, total), interval
        self.last = 0.0

    def __call__(self, phase: str, pages: int, force: bool = False):
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        pages = min(pages, self.total)
        low, high = self.SPANS[phase]
        self.jobs.update(
            phase=phase,
            pages_done=pages,
            pages_total=self.total,
            progress=low + (high - low) * pages // self.total,
        )


def achievements_for(job):
    """Published achievements in the job's scope, oldest first within the owner."""
    from xiake.catalog.models import Achievement

    qs = Achievement.objects.filter(status="published")
    if job.university_id:
        qs = qs.filter(owner_org_id=job.university.owner_org_id)
    if job.field_id:
        qs = qs.filter(
            Q(hightech_field_id=job.field_id) | Q(hightech_field__parent_id=job.field_id)
        )
    if job.period_from:
        qs = qs.filter(completion_date__gte=job.period_from)
    if job.period_to:
        qs = qs.filter(completion_date__lte=job.period_to)
    return qs.select_related(
        "owner_org", "hightech_field", "stage", "trl", "ip_type", "achievement_type"
    ).order_by("owner_org__name", "-completion_date", "id")[:MAX_ACHIEVEMENTS]


def demands_for(job):
    """Published demands that are not confidential (the public list), still valid."""
    from xiake.catalog.models import Demand

    if not job.include_demands:
        return []
    today = timezone.localdate()
    qs = Demand.objects.filter(status="published", is_confidential=False).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    return list(
        qs.select_related("owner_org", "demand_type").order_by("-created_at", "id")[:MAX_DEMANDS]
    )


def scope_text(job) -> str:
    parts = []
    if job.university_id:
        parts.append(job.university.name)
    if job.field_id:
        parts.append(f"{job.field.name}领域")
    if job.period_from or job.period_to:
        start = f"{job.period_from:%Y年%m月}" if job.period_from else "此前"
        end = f"{job.period_to:%Y年%m月}" if job.period_to else "至今"
        parts.append(f"{start}—{end}完成")
    return "　".join(parts) or "全部已发布科技成果"


def _label(value) -> str:
    return "" if value is None else str(value)


def achievement_rows(a) -> list[tuple[str, str]]:
    price = f"{a.asking_price} 万元" if a.asking_price is not None else "面议"
    return [
        ("完成单位", _label(a.owner_org)),
        ("完成人", a.completers),
        ("成果类型", _label(a.achievement_type)),
        ("技术领域", _label(a.hightech_field)),
        ("成熟度", f"{_label(a.stage)}　{_label(a.trl)}".strip()),
        ("知识产权", f"{_label(a.ip_type)}　{a.ip_numbers}".strip()),
        ("完成时间", f"{a.completion_date:%Y年%m月}" if a.completion_date else ""),
        ("参考价格", price),
        ("关键词", a.keywords),
    ]


# -- PDF -------------------------------------------------------------------------------------------


def build_pdf(job, achievements, demands, progress) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        KeepInFrame,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    cover_title = ParagraphStyle("ct", fontName=FONT, fontSize=26, leading=36, alignment=1)
    cover_sub = ParagraphStyle("cs", fontName=FONT, fontSize=14, leading=22, alignment=1)
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=15, leading=21, spaceAfter=8)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=11, leading=16, spaceBefore=6)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10, leading=15)
    small = ParagraphStyle("s", fontName=FONT, fontSize=9, leading=13)
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    width, height = A4
    frame_w, frame_h = width - 36 * mm, height - 40 * mm

    def p(text, style=body):
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    n = len(achievements)
    layout = plan(achievements, demands)
    toc_entries = contents(achievements, demands, layout)
    story = [
        Spacer(1, 60 * mm),
        p("科技成果汇编", cover_title),
        Spacer(1, 10 * mm),
        p(job.title, cover_sub),
        p(scope_text(job), cover_sub),
        Spacer(1, 40 * mm),
        p(
            f"收录科技成果 {n} 项" + (f"　企业技术需求 {len(demands)} 项" if demands else ""),
            cover_sub,
        ),
        p("栖霞区科学技术局　编", cover_sub),
        p(f"{timezone.localdate():%Y年%m月}", cover_sub),
        PageBreak(),
    ]
    for page in range(layout.toc_pages):
        story.append(p("目　录", h1))
        rows = [
            [p(label, small), p(str(number), small)]
            for label, number in toc_entries[
                page * TOC_ROWS_PER_PAGE : (page + 1) * TOC_ROWS_PER_PAGE
            ]
        ]
        table = Table(rows, colWidths=[frame_w - 20 * mm, 20 * mm])
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT)]))
        story += [table, PageBreak()]
    for i, a in enumerate(achievements):
        content = [
            p(f"{i + 1}. {a.title}", h1),
            Table(
                [[p(k, small), p(v, small)] for k, v in achievement_rows(a)],
                colWidths=[25 * mm, frame_w - 25 * mm],
                style=grid,
            ),
            p("成果简介", h2),
            p(a.summary[:1200]),
            p("技术指标", h2),
            p(a.technical_indicators[:600] or "—"),
            p("应用领域", h2),
            p(a.application_fields[:400] or "—"),
        ]
        story += [KeepInFrame(frame_w, frame_h - 2 * mm, content, mode="shrink"), PageBreak()]
    if demands:
        story.append(p("企业技术需求清单", h1))
        rows = [[p(h, small) for h in ("序号", "需求名称", "企业", "需求类型", "预算（万元）")]]
        for k, d in enumerate(demands, 1):
            rows.append(
                [
                    p(str(k), small),
                    p(d.title, small),
                    p(_label(d.owner_org), small),
                    p(_label(d.demand_type), small),
                    p(_label(d.budget) or "面议", small),
                ]
            )
        story.append(
            Table(
                rows,
                colWidths=[12 * mm, 70 * mm, 50 * mm, 24 * mm, frame_w - 156 * mm],
                repeatRows=1,
                style=grid,
            )
        )

    def footer(canvas, doc):
        # Called once per page as reportlab lays it out: the build's progress.
        progress("pdf", doc.page)
        if doc.page == 1:
            return
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(18 * mm, 12 * mm, job.title[:60])
        canvas.drawRightString(width - 18 * mm, 12 * mm, f"— {doc.page} —")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=job.title,
        author="栖霞区科学技术局",
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# -- DOCX ------------------------------------------------------------------------------------------


def _field(paragraph, kind: str, instruction: str = ""):
    """Append a complex-field mark (``begin``/``separate``/``end``) or its instruction."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    if instruction:
        element = OxmlElement("w:instrText")
        element.set(qn("xml:space"), "preserve")
        element.text = instruction
    else:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
    run._r.append(element)
    return run


def build_docx(job, achievements, demands, progress) -> bytes:
    from docx import Document
    from docx.enum.section import WD_SECTION_START
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(20)
    section.different_first_page_header_footer = True  # no page number on the cover
    text_width = section.page_width - section.left_margin - section.right_margin

    sizes = {"Normal": 10, "Title": 26, "Heading 1": 15, "Heading 2": 11}
    for name, size in sizes.items():
        style = doc.styles[name]
        style.font.name = "SimSun"
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    doc.styles["Normal"].paragraph_format.space_after = Pt(2)
    doc.styles["Heading 1"].paragraph_format.space_before = Pt(0)
    doc.styles["Heading 2"].paragraph_format.space_before = Pt(6)
    toc_style = doc.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
    toc_style.base_style = doc.styles["Normal"]
    toc_style.paragraph_format.space_after = Pt(0)
    toc_style.paragraph_format.tab_stops.add_tab_stop(
        text_width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )

    # python-docx resolves a style given by name with a scan of every style, per paragraph (half
    # of the build's time for 557 achievements): paragraphs get the style id directly.
    style_ids = {name: doc.styles[name].style_id for name in ("Heading 1", "Heading 2", "TOC 1")}
    table_style = doc.styles["Table Grid"].style_id

    def para(text="", style=None):
        paragraph = doc.add_paragraph(text)
        if style:
            paragraph._p.style = style_ids[style]
        return paragraph

    def grid(rows, cols):
        table = doc.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = table_style
        return table

    def centred(text, size, bold=False):
        paragraph = para()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size, run.font.bold = Pt(size), bold
        return paragraph

    def page_break():
        para().add_run().add_break(WD_BREAK.PAGE)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    _field(footer, "begin")
    _field(footer, "", " PAGE ")
    _field(footer, "separate")
    footer.add_run("1")
    _field(footer, "end")
    footer.add_run(" —")

    n = len(achievements)
    layout = plan(achievements, demands)
    for _ in range(6):
        para()
    centred("科技成果汇编", 28)
    centred(job.title, 16)
    centred(scope_text(job), 14)
    for _ in range(6):
        para()
    centred(f"收录科技成果 {n} 项" + (f"　企业技术需求 {len(demands)} 项" if demands else ""), 12)
    centred("栖霞区科学技术局　编", 12)
    centred(f"{timezone.localdate():%Y年%m月}", 12)
    page_break()

    # The contents: a TOC field whose cached result is the computed list, one page per
    # TOC_ROWS_PER_PAGE entries like the PDF. Word's "update field" rebuilds it from the headings.
    entries = contents(achievements, demands, layout)
    centred("目　录", 15, bold=True)
    for k, (label, number) in enumerate(entries):
        entry = para(style="TOC 1")
        if k == 0:
            _field(entry, "begin")
            _field(entry, "", ' TOC \\o "1-1" \\z \\u ')
            _field(entry, "separate")
        elif k % TOC_ROWS_PER_PAGE == 0:
            entry.paragraph_format.page_break_before = True
        entry.add_run(f"{label}\t{number}")
        if k == len(entries) - 1:
            _field(entry, "end")
    page_break()
    progress("docx", layout.first_page - 1, force=True)

    for i, a in enumerate(achievements):
        para(f"{i + 1}. {short(a.title, 2 * TOC_LABEL_WIDTH)}", "Heading 1")
        table = grid(0, 2)
        for k, v in achievement_rows(a):
            cells = table.add_row().cells
            cells[0].text, cells[1].text = k, short(v, DOCX_CELL_LIMIT)
        for heading, field in (
            ("成果简介", "summary"),
            ("技术指标", "technical_indicators"),
            ("应用领域", "application_fields"),
        ):
            para(heading, "Heading 2")
            text = " ".join((getattr(a, field) or "").split())
            limit = DOCX_TEXT_LIMITS[field]
            para((text[:limit] + "…" if len(text) > limit else text) or "—")
        page_break()
        progress("docx", layout.page_of(i))
    if demands:
        para("企业技术需求清单", "Heading 1")
        table = grid(1, 5)
        for cell, h in zip(
            table.rows[0].cells,
            ("序号", "需求名称", "企业", "需求类型", "预算（万元）"),
            strict=True,
        ):
            cell.text = h
        for k, d in enumerate(demands, 1):
            cells = table.add_row().cells
            values = (str(k), d.title, _label(d.owner_org), _label(d.demand_type))
            for cell, v in zip(cells, (*values, _label(d.budget) or "面议"), strict=True):
                cell.text = v
    doc.core_properties.title = job.title
    doc.core_properties.author = "栖霞区科学技术局"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- the task's body -------------------------------------------------------------------------------


def build(job_id: int) -> dict:
    """Build both files for the job, writing progress as it goes (``core.documents.build`` marks
    it running, stores the files and marks it done or failed)."""
    from xiake.core.documents import Built
    from xiake.core.documents import build as run
    from xiake.liaison.models import CompilationJob

    def make(job, jobs) -> Built:
        achievements = list(achievements_for(job))
        demands = demands_for(job)
        layout = plan(achievements, demands)
        jobs.update(achievement_count=len(achievements), demand_count=len(demands))
        progress = Progress(jobs, layout.pages_expected)
        progress("pdf", 0, force=True)
        pdf = build_pdf(job, achievements, demands, progress)
        progress("pdf", layout.pages_expected, force=True)
        docx = build_docx(job, achievements, demands, progress)
        name = f"compilation-{job.pk}-{timezone.now():%Y%m%d%H%M%S}"
        return Built(
            files={"pdf_file": (f"{name}.pdf", pdf), "docx_file": (f"{name}.docx", docx)},
            fields={"pages_done": layout.pages_expected},
            result={"achievements": len(achievements), "demands": len(demands)},
        )

    return run(CompilationJob.objects.filter(pk=job_id).select_related("university", "field"), make)
