"""Official documents as PDF with Chinese text that needs no system fonts.

reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1) is referenced, not embedded:
every PDF reader ships it, so the file renders Chinese anywhere and text can be
extracted. The helper knows no domain: apps pass a title, lines, tables and signatures.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


@dataclass
class Document:
    title: str
    subtitle: str = ""
    number: str = ""  # e.g. 文号 or 编号, printed top right
    watermark: str = ""  # e.g. 草稿, printed large and light across every page
    blocks: list[Any] = field(default_factory=list)

    def paragraph(self, text: str) -> Document:
        self.blocks.append(("p", text))
        return self

    def heading(self, text: str) -> Document:
        self.blocks.append(("h", text))
        return self

    def facts(self, rows: Sequence[tuple[str, Any]]) -> Document:
        self.blocks.append(("facts", list(rows)))
        return self

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float] | None = None,
    ) -> Document:
        self.blocks.append(("table", (list(headers), [list(r) for r in rows], widths)))
        return self

    def signature(self, lines: Sequence[str]) -> Document:
        self.blocks.append(("sign", list(lines)))
        return self

    def boxes(self, boxes: Sequence[tuple[str, str]]) -> Document:
        """Side-by-side boxes left empty for a hand: (heading, bottom line) each, e.g.
        ("负责人签字：", "年　月　日") — a signature, a seal (盖章)."""
        self.blocks.append(("boxes", list(boxes)))
        return self


def render(doc: Document) -> bytes:
    font = _font()
    styles = {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontName=font,
            fontSize=11,
            leading=16,
            alignment=TA_CENTER,
            spaceAfter=4 * mm,
        ),
        "number": ParagraphStyle(
            "number", fontName=font, fontSize=10, leading=14, alignment=TA_RIGHT
        ),
        "h": ParagraphStyle(
            "h", fontName=font, fontSize=12.5, leading=18, spaceBefore=3 * mm, spaceAfter=2 * mm
        ),
        "p": ParagraphStyle("p", fontName=font, fontSize=11, leading=18, firstLineIndent=22),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9.5, leading=13),
        "sign": ParagraphStyle("sign", fontName=font, fontSize=11, leading=20, alignment=TA_RIGHT),
    }

    def para(text: Any, style: str) -> Paragraph:
        return Paragraph(
            escape("" if text is None else str(text)).replace("\n", "<br/>"), styles[style]
        )

    story: list[Any] = []
    if doc.number:
        story.append(para(doc.number, "number"))
    story.append(para(doc.title, "title"))
    if doc.subtitle:
        story.append(para(doc.subtitle, "subtitle"))
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
        ]
    )
    for kind, content in doc.blocks:
        if kind in ("p", "h"):
            story.append(para(content, kind))
        elif kind == "facts":
            rows = [[para(k, "cell"), para(v, "cell")] for k, v in content]
            table = Table(rows, colWidths=[40 * mm, 130 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF1F5")),
                    ]
                )
            )
            story += [table, Spacer(1, 3 * mm)]
        elif kind == "table":
            headers, rows, widths = content
            data = [[para(h, "cell") for h in headers]] + [
                [para(c, "cell") for c in row] for row in rows
            ]
            table = Table(
                data, colWidths=[w * mm for w in widths] if widths else None, repeatRows=1
            )
            table.setStyle(grid)
            story += [table, Spacer(1, 3 * mm)]
        elif kind == "sign":
            story.append(Spacer(1, 8 * mm))
            story += [para(line, "sign") for line in content]
        elif kind == "boxes":
            cells = [
                [para(heading, "cell"), Spacer(1, 28 * mm), para(bottom, "sign")]
                for heading, bottom in content
            ]
            table = Table([cells], colWidths=[170 * mm / max(len(cells), 1)] * len(cells))
            table.setStyle(
                TableStyle(
                    [
                        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                        ("INNERGRID", (0, 0), (-1, -1), 0.8, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [Spacer(1, 4 * mm), table]

    def decorate(canvas: Any, _doc: Any) -> None:
        if not doc.watermark:
            return
        canvas.saveState()
        canvas.setFont(font, 96)
        canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.25))
        width, height = A4
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -30, doc.watermark)
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=doc.title,
        author="科技项目与科普惠农兴村资金管理系统",
    ).build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


PDF_CONTENT_TYPE = "application/pdf"
