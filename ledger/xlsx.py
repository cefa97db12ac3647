"""The 银行流水 (bank statement) workbook: template, parsing and validation.

Columns (DESIGN §7): 交易日期, 金额, 收付方向 (收/付), 对方户名, 对方账号, 摘要, 流水号; the
English code names (txn_date, amount, direction, counterparty_name, counterparty_account,
memo, bank_reference) are accepted as headers too. Every row is parsed into a
``StatementRow`` and every problem is collected with its row number, column and reason;
the import (``services.statement_import``) runs only when there is none.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from core.xlsx import table_to_xlsx

from .errors import LedgerError
from .models import BankAccount, StatementLine
from .money import yuan_to_fen
from .services import StatementRow

COLUMNS: list[tuple[str, str]] = [
    ("txn_date", "交易日期"),
    ("amount", "金额"),
    ("direction", "收付方向"),
    ("counterparty_name", "对方户名"),
    ("counterparty_account", "对方账号"),
    ("memo", "摘要"),
    ("bank_reference", "流水号"),
]
REQUIRED = {"txn_date", "amount", "direction", "bank_reference"}
_HEADER_TO_CODE = {**{zh: code for code, zh in COLUMNS}, **{code: code for code, _zh in COLUMNS}}
_LABEL = dict(COLUMNS)

_IN = {"收", "收入", "入", "存入", "转入", "贷", "in", "credit"}
_OUT = {"付", "支出", "出", "支取", "转出", "借", "out", "debit"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return _("Row %(row)d, column %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class ParsedStatement:
    rows: list[StatementRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def received_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows if r.direction == StatementLine.Direction.IN)

    @property
    def paid_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows if r.direction == StatementLine.Direction.OUT)


def template() -> bytes:
    """The downloadable template with one example row."""
    return table_to_xlsx(
        "银行流水",
        [zh for _code, zh in COLUMNS],
        [
            [
                "2026-03-05",
                "180,000.00",
                "付",
                "杭州西湖智慧农业科技有限公司",
                "3301040012345678",
                "拨付 BF20260000001",
                "ICBC202603050001",
            ]
        ],
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_date(value: Any) -> dt.date:
    """2026-03-05, 2026/3/5, 2026年3月5日, 20260305, or an Excel date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 20000 < value < 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        text = _text(value)
    else:
        text = re.sub(r"\s+", "", _text(value))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise LedgerError(_("「%(value)s」 is not a date (use 2026-03-05).") % {"value": text})


def parse_direction(value: Any) -> str:
    text = _text(value).lower()
    if text in _IN:
        return StatementLine.Direction.IN
    if text in _OUT:
        return StatementLine.Direction.OUT
    raise LedgerError(_("「%(value)s」 is neither 收 nor 付.") % {"value": _text(value)})


def _header_map(header: tuple[Any, ...]) -> tuple[dict[str, int], dict[str, str]]:
    """Column code → index, and code → the header text as written in the file."""
    found: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, cell in enumerate(header):
        text = re.sub(r"[\s]|[（(].*[)）]", "", _text(cell))
        code = _HEADER_TO_CODE.get(text) or _HEADER_TO_CODE.get(text.lower())
        if code and code not in found:
            found[code] = index
            written[code] = _text(cell)
    return found, written


def parse_statement(file: IO[bytes], *, bank_account: BankAccount | None = None) -> ParsedStatement:
    """Reads the first sheet. Nothing is written; the result lists every good row and
    every problem (row number as Excel shows it, the column's header, the reason)."""
    result = ParsedStatement()
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        result.errors.append(RowError(0, "—", _("The file is not an .xlsx workbook.")))
        return result
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = 0
    header: tuple[Any, ...] = ()
    for values in rows:
        header_row += 1
        if any(_text(v) for v in values):
            header = values
            break
    columns, written = _header_map(header)
    missing = [code for code, _zh in COLUMNS if code in REQUIRED and code not in columns]
    if missing:
        for code in missing:
            result.errors.append(
                RowError(header_row or 1, _LABEL[code], _("This column is missing."))
            )
        book.close()
        return result
    seen: dict[str, int] = {}
    for row_no, values in enumerate(rows, start=header_row + 1):
        if not any(_text(v) for v in values):
            continue

        def cell(code: str, values: tuple[Any, ...] = values) -> Any:
            index = columns.get(code)
            return values[index] if index is not None and index < len(values) else None

        errors_before = len(result.errors)

        def fail(code: str, reason: str, row_no: int = row_no) -> None:
            result.errors.append(RowError(row_no, written.get(code, _LABEL[code]), reason))

        txn_date = amount_fen = direction = None
        try:
            txn_date = parse_date(cell("txn_date"))
        except LedgerError as error:
            fail("txn_date", error.message)
        try:
            raw_amount = cell("amount")
            if isinstance(raw_amount, str) or raw_amount is None:
                amount_fen = yuan_to_fen(_text(raw_amount))
            else:
                amount_fen = yuan_to_fen(raw_amount)
            if amount_fen <= 0:
                amount_fen = None
                fail("amount", _("The amount must be greater than zero; 收付方向 gives the sign."))
        except LedgerError as error:
            fail("amount", error.message)
        try:
            direction = parse_direction(cell("direction"))
        except LedgerError as error:
            fail("direction", error.message)
        reference = re.sub(r"\s+", "", _text(cell("bank_reference")))
        if not reference:
            fail("bank_reference", _("The bank reference (流水号) is required."))
        elif reference in seen:
            fail(
                "bank_reference",
                _("The same 流水号 is already on row %(row)d.") % {"row": seen[reference]},
            )
        else:
            seen[reference] = row_no
        name = _text(cell("counterparty_name"))
        account = re.sub(r"[\s-]+", "", _text(cell("counterparty_account")))
        memo = _text(cell("memo"))
        for code, text, limit in (
            ("counterparty_name", name, 200),
            ("counterparty_account", account, 40),
            ("memo", memo, 300),
            ("bank_reference", reference, 60),
        ):
            if len(text) > limit:
                fail(code, _("Too long (at most %(n)d characters).") % {"n": limit})
        if len(result.errors) == errors_before:
            assert txn_date is not None and amount_fen is not None and direction is not None
            result.rows.append(
                StatementRow(
                    row_no=row_no,
                    txn_date=txn_date,
                    amount_fen=amount_fen,
                    direction=direction,
                    counterparty_name=name,
                    counterparty_account=account,
                    memo=memo,
                    bank_reference=reference,
                )
            )
    book.close()
    if bank_account is not None and seen:
        imported = set(
            StatementLine.objects.filter(
                bank_account=bank_account, bank_reference__in=list(seen)
            ).values_list("bank_reference", flat=True)
        )
        for reference in sorted(imported, key=lambda r: seen[r]):
            result.errors.append(
                RowError(
                    seen[reference],
                    written.get("bank_reference", _LABEL["bank_reference"]),
                    _("This 流水号 has already been imported."),
                )
            )
        result.rows = [r for r in result.rows if r.bank_reference not in imported]
    if not result.rows and not result.errors:
        result.errors.append(RowError(header_row + 1, "—", _("The file has no rows.")))
    result.errors.sort(key=lambda e: e.row)
    return result
