"""Build an achievement compilation (成果汇编) as PDF and DOCX.

PDF: reportlab with the built-in CID font STSong-Light (Chinese renders without a font file).
Layout: a cover, a table of contents with page numbers, one page per published achievement (its
content is shrunk to fit one page, which keeps the page numbers in the contents exact without a
second layout pass), then the enterprise demand list (published, non-confidential demands only).
DOCX: python-docx with the same parts; headings use Word's Heading styles so the navigation pane
lists every achievement.
"""

from __future__ import annotations

import io
import logging
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

FONT = "STSong-Light"
TOC_ROWS_PER_PAGE = 30
MAX_ACHIEVEMENTS = 2000
MAX_DEMANDS = 300


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
    toc_entries = [(f"{i + 1}. {a.title}", i) for i, a in enumerate(achievements)]
    if demands:
        toc_entries.append(("企业技术需求清单", n))
    toc_pages = max(1, -(-len(toc_entries) // TOC_ROWS_PER_PAGE))
    first_page = 2 + toc_pages  # cover is page 1

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
    for page in range(toc_pages):
        story.append(p("目　录", h1))
        rows = [
            [p(label, small), p(str(first_page + i), small)]
            for label, i in toc_entries[page * TOC_ROWS_PER_PAGE : (page + 1) * TOC_ROWS_PER_PAGE]
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
        if i % 25 == 0:
            progress(5 + 50 * i // max(1, n))
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


def build_docx(job, achievements, demands, progress) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = "SimSun"
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    def centred(text, size):
        para = doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(text)
        run.font.size = Pt(size)
        return para

    def page_break():
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    n = len(achievements)
    for _ in range(6):
        doc.add_paragraph()
    centred("科技成果汇编", 28)
    centred(job.title, 16)
    centred(scope_text(job), 14)
    for _ in range(6):
        doc.add_paragraph()
    centred(f"收录科技成果 {n} 项" + (f"　企业技术需求 {len(demands)} 项" if demands else ""), 12)
    centred("栖霞区科学技术局　编", 12)
    centred(f"{timezone.localdate():%Y年%m月}", 12)
    page_break()

    doc.add_heading("目　录", level=1)
    for i, a in enumerate(achievements):
        doc.add_paragraph(f"{i + 1}. {a.title}")
    if demands:
        doc.add_paragraph("企业技术需求清单")
    page_break()

    for i, a in enumerate(achievements):
        doc.add_heading(f"{i + 1}. {a.title}", level=1)
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for k, v in achievement_rows(a):
            cells = table.add_row().cells
            cells[0].text, cells[1].text = k, v
        for heading, text in (
            ("成果简介", a.summary),
            ("技术指标", a.technical_indicators),
            ("应用领域", a.application_fields),
        ):
            doc.add_heading(heading, level=2)
            doc.add_paragraph(text or "—")
        page_break()
        if i % 25 == 0:
            progress(60 + 35 * i // max(1, n))
    if demands:
        doc.add_heading("企业技术需求清单", level=1)
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
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
    """Build both files for the job, writing status and progress as it goes (UPDATE statements,
    so that the job's ``save()`` does not queue another build)."""
    from xiake.liaison.models import CompilationJob

    jobs = CompilationJob.objects.filter(pk=job_id)
    job = jobs.select_related("university", "field").first()
    if job is None:
        return {}

    def progress(value):
        jobs.update(progress=min(99, value))

    jobs.update(status=CompilationJob.Status.RUNNING, progress=1, message="")
    try:
        achievements = list(achievements_for(job))
        demands = demands_for(job)
        jobs.update(achievement_count=len(achievements), demand_count=len(demands))
        pdf = build_pdf(job, achievements, demands, progress)
        progress(58)
        docx = build_docx(job, achievements, demands, progress)
        stamp = timezone.now()
        name = f"compilation-{job.pk}-{stamp:%Y%m%d%H%M%S}"
        for field, data, ext in (("pdf_file", pdf, "pdf"), ("docx_file", docx, "docx")):
            old = getattr(job, field)
            if old:
                old.delete(save=False)
            getattr(job, field).save(f"{name}.{ext}", ContentFile(data), save=False)
        jobs.update(
            status=CompilationJob.Status.DONE,
            progress=100,
            pdf_file=job.pdf_file.name,
            docx_file=job.docx_file.name,
            finished_at=stamp,
        )
    except Exception as exc:  # the page shows why; the log keeps the traceback
        logger.exception("compilation %s failed", job_id)
        jobs.update(status=CompilationJob.Status.FAILED, message=str(exc)[:2000])
        return {"status": "failed"}
    return {"status": "done", "achievements": len(achievements), "demands": len(demands)}
