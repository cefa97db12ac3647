"""The district's 推荐汇总表 as .xlsx (read through selectors; names masked nowhere —
it goes to the city, not the public — but ID numbers never appear)."""

from __future__ import annotations

import io

import xlsxwriter

from core import clock
from core.money import fen_to_yuan
from core.xlsx import add_formats, write_cell

from . import selectors
from .models import RecommendationList

HEADERS = [
    "序号",
    "申报编号",
    "类别",
    "推荐对象",
    "申报单位",
    "所属区县",
    "联系人",
    "联系电话",
    "申请金额（元）",
    "公示期",
    "状态",
]


def recommendation_list_xlsx(rec: RecommendationList) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    formats = add_formats(book)
    sheet = book.add_worksheet("推荐汇总表")
    title = book.add_format({"bold": True, "font_size": 14})
    sheet.write_string(0, 0, f"{rec.call.title} — {rec.district.name} 推荐汇总表", title)
    cosign = (
        f"区县财政局会签：{rec.cosigned_by} {clock.iso_date(rec.cosigned_at)}"
        if rec.cosigned_at
        else "区县财政局会签：未会签"
    )
    sheet.write_string(1, 0, cosign)
    header_row = 3
    for col, header in enumerate(HEADERS):
        sheet.write_string(header_row, col, header, formats["header"])
    row = header_row
    total = 0
    for n, entry in enumerate(selectors.recommendation_entries(rec), start=1):
        a = entry.application
        notices = [x for x in a.notices.all() if x.level == "district"]
        period = (
            f"{clock.iso_date(notices[-1].starts_on)} 至 {clock.iso_date(notices[-1].ends_on)}"
            if notices
            else ""
        )
        row += 1
        values = [
            n,
            a.number,
            a.category.name,
            a.applicant_name,
            a.organisation.name if a.organisation else "",
            a.district.name,
            a.contact_name,
            a.contact_phone,
            fen_to_yuan(a.amount_requested_fen),
            period,
            a.get_status_display(),
        ]
        for col, value in enumerate(values):
            write_cell(sheet, row, col, value, formats)
        total += a.amount_requested_fen
    row += 1
    sheet.write_string(row, 0, "合计", formats["header"])
    sheet.write_number(row, 8, float(fen_to_yuan(total) or 0), formats["total"])
    widths = [6, 18, 18, 28, 28, 10, 10, 16, 16, 26, 10]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.autofilter(header_row, 0, max(row - 1, header_row + 1), len(HEADERS) - 1)
    book.close()
    return buffer.getvalue()
