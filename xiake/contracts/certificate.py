"""The registration certificate (技术合同登记证明) as PDF, in Chinese.

reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1) renders Chinese without shipping a font
file: the PDF viewer supplies the glyphs, as government PDFs have done for decades.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _yuan(value) -> str:
    return f"{value:,.2f} 元"


def render(contract, registry_name: str) -> bytes:
    font = _font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(f"技术合同登记证明 {contract.registration_no}")
    pdf.setAuthor(registry_name)
    width, height = A4
    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 40 * mm, "技术合同登记证明")
    pdf.setFont(font, 12)
    rows = [
        ("登记号", contract.registration_no or ""),
        ("项目名称", contract.title),
        ("合同类别", " / ".join(t.name for t in (contract.category, contract.subcategory) if t)),
        ("卖方（登记方）", contract.owner_org.name),
        ("买方", contract.buyer_org.name if contract.buyer_org else ""),
        ("签订日期", f"{contract.signed_on:%Y年%m月%d日}" if contract.signed_on else ""),
        ("合同成交额", _yuan(contract.total_amount)),
        ("技术交易额", _yuan(contract.tech_amount)),
        ("登记日期", f"{contract.registered_on:%Y年%m月%d日}" if contract.registered_on else ""),
        ("登记状态", contract.get_status_display()),
    ]
    y = height - 65 * mm
    for label, value in rows:
        pdf.drawString(30 * mm, y, f"{label}：")
        text = str(value)
        while text:  # wrap long titles by characters (Chinese has no spaces to break at)
            line, text = text[:32], text[32:]
            pdf.drawString(65 * mm, y, line)
            y -= 9 * mm if text else 0
        y -= 11 * mm
    pdf.drawString(30 * mm, y - 10 * mm, "经审查，该合同符合技术合同认定条件，予以登记。")
    pdf.drawRightString(width - 30 * mm, y - 35 * mm, f"{registry_name}（技术合同登记机构）")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
