"""专家劳务费发放表: the payroll sheet of an expert fee sheet, for finance.

One row per expert: 姓名, 身份证号 (masked as on every page: ``accounts.identifiers``),
工作单位, 开户账号 (where known), 件数 or 半天数, 应发金额, 应纳税所得额, 代扣个人所得税,
实发金额 and an empty 签名 column; a 合计 row. Amounts are numbers formatted
``#,##0.00`` (the totals are written as numbers, not formulas, so every reader shows
them); text is written as text, never as a formula.
"""

from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter
from django.utils.translation import gettext as _

from accounts.identifiers import mask_id_number
from core import clock
from core.money import fen_to_yuan
from core.xlsx import add_formats, write_cell

from .fee_models import ExpertFeeSheet, FeeBasis

HEADER_ROW = 3


def _yuan(fen: int) -> Decimal:
    return fen_to_yuan(fen)


def fee_sheet_xlsx(sheet: ExpertFeeSheet) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    formats = add_formats(book)
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    ws = book.add_worksheet("专家劳务费发放表")
    units = "件数" if sheet.basis == FeeBasis.PER_ITEM else "半天数"
    headers = [
        "序号",
        "姓名",
        "身份证号",
        "工作单位",
        "开户账号",
        units,
        "应发金额（元）",
        "应纳税所得额（元）",
        "代扣个人所得税（元）",
        "实发金额（元）",
        "签名",
    ]
    ws.merge_range(0, 0, 0, len(headers) - 1, "专家劳务费发放表", title)
    ws.write_string(
        1,
        0,
        _("%(panel)s · %(programme)s · No. %(number)s · budget line %(line)s · rate %(rate)s yuan")
        % {
            "panel": sheet.panel.name,
            "programme": sheet.panel.call.programme.name,
            "number": sheet.number,
            "line": sheet.budget_line.name,
            "rate": f"{_yuan(sheet.rate_fen):,.2f}",
        },
    )
    ws.write_string(2, 0, _("Prepared %(day)s") % {"day": clock.iso_date(sheet.made_at)})
    for col, header in enumerate(headers):
        ws.write_string(HEADER_ROW, col, header, formats["header"])
    row = HEADER_ROW
    lines = sheet.lines.select_related("expert__person__organisation").order_by("pk")
    for n, line in enumerate(lines, start=1):
        row = HEADER_ROW + n
        person = line.expert.person
        values = [
            n,
            person.name,
            mask_id_number(person.id_number),
            person.organisation.name if person.organisation else "",
            line.payee_account,
            line.units,
            _yuan(line.gross_fen),
            _yuan(line.taxable_fen),
            _yuan(line.tax_fen),
            _yuan(line.net_fen),
            "",
        ]
        for col, value in enumerate(values):
            write_cell(ws, row, col, value, formats)
    total = row + 1
    ws.write_string(total, 0, "合计", formats["header"])
    ws.write_number(total, 5, sum(line.units for line in lines))
    for col, fen in (
        (6, sheet.gross_fen),
        (7, sum(line.taxable_fen for line in lines)),
        (8, sheet.tax_fen),
        (9, sheet.net_fen),
    ):
        ws.write_number(total, col, float(_yuan(fen)), formats["total"])
    widths = [6, 10, 22, 30, 24, 8, 16, 18, 20, 16, 14]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    book.close()
    return buffer.getvalue()
