"""Spreadsheet imports people can trust (DESIGN §7), without knowing any domain.

An *import kind* (``organisations``, ``experts``, ``bank_statement`` …) is an
:class:`Importer` registered under its name with :func:`register`, from the owning
app's ``AppConfig.ready()``. It declares

* ``permission`` — the permission string a web user needs (``user.has_perm``);
* ``columns`` — :class:`Column` specs: code name, Chinese header, cell parser, required;
* ``example`` — the example row(s) of the downloadable template;
* ``check(rows, actor=, options=)`` — the checks that need the database or several
  rows (scope, existing records), adding :class:`RowError` s;
* ``commit(rows, actor=, options=)`` — the writes: service calls, inside the one
  transaction that :func:`import_file` opens.

The life of a file, the same on the web and from ``manage.py import_xlsx``:

1. :meth:`Importer.read` maps the header row (Chinese headers or the code names,
   stray spaces, full-width characters, traditional characters) and parses every
   cell; every problem becomes a :class:`RowError` with the row number Excel shows,
   the column's header and a reason (translated, Chinese by default).
2. :meth:`Importer.check` looks at the well-formed rows as a whole.
3. :func:`dry_run` stops there. :func:`import_file` reads outside any transaction,
   then, inside one ``atomic(durable=True)`` block, checks again and commits — all
   or nothing: any row error, any ``ValidationError`` or ``IntegrityError`` raised
   by a service rolls everything back and comes back as errors, never as a 500.

Cells are parsed by small factories (:func:`text`, :func:`date`, :func:`money`,
:func:`choice`, :func:`identifier`, :func:`number`, :func:`email`, :func:`phone`);
a parser takes a non-blank cell value and returns the parsed value or raises
:class:`CellError` with the reason. Money is integer fen through ``core.money``;
Excel's binary numbers are read through their shortest decimal ``repr`` and then
must be exact to the fen — no float arithmetic, no rounding.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clock, xlsx_guard
from .money import MoneyError, parse_yuan, yuan_to_fen

T = TypeVar("T")
Parser = Callable[[Any], Any]
# progress(stage, done, total): stage is "read", "check" or "import"; total may be 0
# when unknown.
Progress = Callable[[str, int, int], None]

FILE_COLUMN = "—"
"""The column shown for a problem of the whole file (not of one cell)."""

# The kinds of DESIGN §7 (and the expert scores). Apps register the ones they own;
# the rest answer "not available yet".
PLANNED_KINDS: dict[str, Promise] = {
    "organisations": gettext_lazy("Organisations"),
    "experts": gettext_lazy("Experts"),
    "bank_statement": gettext_lazy("Bank statement"),
    "repayments": gettext_lazy("Repayments"),
    "scores": gettext_lazy("Expert scores"),
}


# --- errors -----------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as Excel numbers it (0 for the whole file), the column's
    header as written in the file, and the reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row <= 0:
            return self.reason
        return _("Row %(row)d, column %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


class RowsRejected(Exception):
    """Raised inside :meth:`Importer.commit` to roll the whole import back."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


class NotAvailable(LookupError):
    """A planned kind that no app has registered yet, or an unknown kind."""


# --- text helpers -----------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Traditional → simplified characters (餘杭區 → 余杭区), script only."""
    import zhconv

    return str(zhconv.convert(text, "zh-hans"))


@functools.lru_cache(maxsize=4096)
def to_traditional(text: str) -> tuple[str, ...]:
    """The traditional forms of ``text`` (general, Taiwan, Hong Kong usage)."""
    import zhconv

    return tuple(dict.fromkeys(str(zhconv.convert(text, v)) for v in ("zh-hant", "zh-tw", "zh-hk")))


def cell_text(value: Any) -> str:
    """A cell as text: stray spaces (also full-width and non-breaking) trimmed and
    runs of spaces inside collapsed; numbers Excel stored as whole floats lose the
    ``.0``; dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, dt.datetime):
        # (an Excel cell has no zone: its wall-clock time is Beijing's)
        text = clock.iso_date(value) if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = _INVISIBLE.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


def compact(text: str) -> str:
    """No spaces at all, full-width letters and digits made ASCII (NFKC)."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)))


def name_key(value: Any) -> str:
    """The key to match names by: compact, simplified characters, lower case."""
    return to_simplified(compact(cell_text(value))).lower()


def name_keys(name: str) -> set[str]:
    """Every key under which a stored name may be looked up: its own, and those of
    its traditional forms — some characters have no way back (慈谿市 is 慈溪市, yet
    no traditional→simplified table turns 谿 into 溪)."""
    return {name_key(name), *(name_key(t) for t in to_traditional(name))}


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    return not value.strip() and not cell_text(value)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- cell parsers -----------------------------------------------------------------


def text(
    max_length: int | None = None,
    *,
    pattern: str | None = None,
    pattern_message: str | Promise = "",
    no_spaces: bool = False,
) -> Parser:
    """Free text, spaces trimmed (``no_spaces``: all spaces removed, for names like
    张 三 and codes)."""
    regex = re.compile(pattern) if pattern else None

    def parse(value: Any) -> str:
        result = cell_text(value)
        if no_spaces:
            result = _WHITESPACE.sub("", result)
        if max_length is not None and len(result) > max_length:
            raise CellError(
                _("Too long: at most %(max)d characters (this has %(n)d).")
                % {"max": max_length, "n": len(result)}
            )
        if regex is not None and not regex.fullmatch(result):
            raise CellError(
                str(pattern_message)
                or _("“%(value)s” is not in the expected format.") % {"value": _short(result)}
            )
        return result

    return parse


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_TIME_SUFFIX = re.compile(r"(?:T|\s)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def parse_date(value: Any) -> dt.date:
    """A date cell, an Excel serial number, or 2026-03-05, 2026/3/5, 2026.3.5,
    2026年3月5日, 20260305 (a time of day after it is ignored)."""
    if isinstance(value, dt.datetime):
        return clock.local_date(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        # Excel serial days (1954–2119); a fraction is a time of day.
        if 20000 <= value < 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(_("“%(value)s” is not a date (write 2026-03-05).") % {"value": value})
    raw = cell_text(value)
    candidate = _TIME_SUFFIX.sub("", unicodedata.normalize("NFKC", raw).strip())
    candidate = _WHITESPACE.sub("", candidate)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(candidate)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                parsed = dt.date(year, month, day)
            except ValueError:
                raise CellError(
                    _("“%(value)s” is not a real date.") % {"value": _short(raw)}
                ) from None
            if not 1900 <= parsed.year <= 2100:
                raise CellError(
                    _("“%(value)s”: the year must be between 1900 and 2100.")
                    % {"value": _short(raw)}
                )
            return parsed
    raise CellError(_("“%(value)s” is not a date (write 2026-03-05).") % {"value": _short(raw)})


def date() -> Parser:
    return parse_date


def parse_fen(value: Any) -> int:
    """An amount in yuan → integer fen, exact (``core.money.parse_yuan``): "1,234.50",
    "1234.5元", "￥1 234", full-width digits, or an Excel number."""
    if isinstance(value, str):
        value = cell_text(value)
    try:
        return yuan_to_fen(parse_yuan(value))
    except MoneyError as error:
        raise CellError(str(error)) from None


def money(*, allow_zero: bool = False, allow_negative: bool = False) -> Parser:
    """Yuan → integer fen (see :func:`parse_fen`); positive unless told otherwise."""

    def parse(value: Any) -> int:
        fen = parse_fen(value)
        if fen < 0 and not allow_negative:
            raise CellError(_("The amount may not be negative."))
        if fen == 0 and not allow_zero:
            raise CellError(_("The amount must be greater than zero."))
        return fen

    return parse


def number(
    *,
    max_places: int = 0,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
) -> Parser:
    """A Decimal (scores, counts): at most ``max_places`` decimals, never rounded."""

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("“%(value)s” is not a number.") % {"value": value})
        raw = repr(value) if isinstance(value, float) else compact(cell_text(value))
        try:
            result = Decimal(raw)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number.") % {"value": _short(raw)}) from None
        if not result.is_finite():
            raise CellError(_("“%(value)s” is not a number.") % {"value": _short(raw)})
        exponent = result.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > max_places and result != result.to_integral():
            raise CellError(
                _("“%(value)s” has more than %(n)d decimal places.")
                % {"value": _short(raw), "n": max_places}
            )
        if min_value is not None and result < min_value:
            raise CellError(_("The value may not be less than %(min)s.") % {"min": min_value})
        if max_value is not None and result > max_value:
            raise CellError(_("The value may not be more than %(max)s.") % {"max": max_value})
        return result

    return parse


def choice(options: Mapping[str, T], *, shown: Iterable[str] | None = None) -> Parser:
    """One of a set of labels (matched compact, simplified, case-insensitive) → value.
    ``shown`` are the labels named in the error message (default: every key)."""
    table = {name_key(label): value for label, value in options.items()}
    listed = "、".join(shown if shown is not None else options)

    def parse(value: Any) -> T:
        key = name_key(value)
        if key in table:
            return table[key]
        raise CellError(
            _("“%(value)s” is not one of: %(options)s.")
            % {"value": _short(cell_text(value)), "options": listed}
        )

    return parse


def identifier(normalise: Callable[[str], str], validate: Callable[[str], None]) -> Parser:
    """A checked code (统一社会信用代码, 身份证号): ``normalise`` it, then ``validate``
    (which raises Django's ``ValidationError``). A long code that Excel turned into a
    number has lost digits, and is refused with a hint."""

    def parse(value: Any) -> str:
        if isinstance(value, float) and not (value.is_integer() and abs(value) < 1e15):
            raise CellError(
                _(
                    "Excel stored this code as a number and lost digits; format the "
                    "column as text and type the code again."
                )
            )
        code = normalise(cell_text(value))
        try:
            validate(code)
        except ValidationError as error:
            raise CellError(" ".join(error.messages)) from None
        return code

    return parse


def email(max_length: int = 254) -> Parser:
    def parse(value: Any) -> str:
        address = compact(cell_text(value))
        if len(address) > max_length:
            raise CellError(
                _("Too long: at most %(max)d characters (this has %(n)d).")
                % {"max": max_length, "n": len(address)}
            )
        try:
            validate_email(address)
        except ValidationError:
            raise CellError(
                _("“%(value)s” is not an email address.") % {"value": _short(address)}
            ) from None
        return address

    return parse


_PHONE = re.compile(r"\+?[0-9][0-9()\-]{4,24}([转#][0-9]{1,6})?")


def phone(max_length: int = 30) -> Parser:
    """A telephone number: digits with hyphens or brackets, an extension after 转."""

    def parse(value: Any) -> str:
        number_ = compact(cell_text(value))
        if len(number_) > max_length or not _PHONE.fullmatch(number_):
            raise CellError(
                _("“%(value)s” is not a telephone number.") % {"value": _short(cell_text(value))}
            )
        return number_

    return parse


# --- columns, rows, results -------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template.

    ``header`` is the Chinese header of DESIGN §7; ``code`` the English code name
    (accepted as a header too, as are ``aliases``). ``parse`` gets non-blank cells
    only; a blank cell is ``None`` unless the column is ``required``. ``as_text``
    formats the template column as text (identifiers, phone numbers), ``help`` is
    shown on the template's 说明 sheet.
    """

    code: str
    header: str
    parse: Parser = field(default_factory=text)
    required: bool = False
    help: str | Promise = ""
    as_text: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class Row:
    """A well-formed data row: ``number`` as Excel shows it, parsed values by code."""

    number: int
    values: dict[str, Any]

    def __getitem__(self, code: str) -> Any:
        return self.values.get(code)


@dataclass
class ParseResult:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # code → header as written
    row_count: int = 0  # data rows in the file, good and bad
    columns: Sequence[Column] = ()  # the columns the file was read with

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row > 0})

    def header_of(self, code: str, columns: Sequence[Column] = ()) -> str:
        if code in self.headers:
            return self.headers[code]
        return next((c.header for c in columns if c.code == code), code or FILE_COLUMN)

    def add_error(self, row: Row | int, column: str, reason: str) -> None:
        """``column`` is a column code (its header as written is shown) or text."""
        number_ = row.number if isinstance(row, Row) else row
        self.errors.append(RowError(number_, self.headers.get(column, column), reason))

    def sort(self, columns: Sequence[Column] = ()) -> None:
        columns = columns or self.columns
        order = {h: i for i, h in enumerate(self.headers.values())}
        order.update({c.header: i for i, c in enumerate(columns) if c.header not in order})
        self.errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))


@dataclass(frozen=True)
class CommitSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def chunked(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the importer -----------------------------------------------------------------


def _header_key(value: Any) -> str:
    """Headers compare without spaces, stars and notes in brackets: "* 单位名称（必填）"."""
    key = compact(cell_text(value))
    key = re.sub(r"[(\[【（].*?[)\]】）]", "", key).strip("*＊")
    return to_simplified(key).lower()


class Importer:
    """One import kind. Subclass, set the class attributes, implement :meth:`commit`
    (and :meth:`check` / :meth:`parsers` / :meth:`options_form` where needed)."""

    kind: str = ""
    label: str | Promise = ""
    description: str | Promise = ""
    permission: str = ""
    sheet_name: str = ""
    columns: Sequence[Column] = ()
    example: Sequence[Mapping[str, Any]] = ()
    # Duplicates of this column within one file are row errors (the natural key).
    key: str | None = None
    max_rows: int = 100_000
    # A file with more problems stops being read (a list nobody reads, and memory).
    max_errors: int = 1_000
    # Model field → column code, to place a service's ValidationError on its column.
    field_columns: Mapping[str, str] = {}
    # True: the dry run runs check() *and* commit() inside a transaction that is then
    # rolled back, so it reports every error the services would raise (for kinds whose
    # services hold rules that check() cannot repeat: states, balances, deadlines).
    dry_run_rehearses_commit: bool = False

    # -- hooks ------------------------------------------------------------------

    def columns_for(self, options: Mapping[str, Any]) -> Sequence[Column]:
        """The columns of a file with these options (scores: one column per criterion
        of the panel's rubric). Default: ``columns``."""
        return self.columns

    def parsers(self, *, actor: Any, options: Mapping[str, Any]) -> Mapping[str, Parser]:
        """Cell parsers that depend on the database or the user (a district within
        the user's area), by column code; they replace the columns' own."""
        return {}

    def options_form(
        self, data: Mapping[str, Any] | None = None, *, actor: Any
    ) -> forms.Form | None:
        """A form for what the whole file needs besides its rows (the bank account of a
        statement, the panel of scores). Its ``cleaned_data`` arrive as ``options``."""
        return None

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        """Checks of the well-formed rows that need the database or several rows;
        call ``result.add_error``. It may resolve values in ``row.values``."""

    def commit_row(self, row: Row, *, actor: Any, options: Mapping[str, Any]) -> str:
        """One service call for one row; returns ``"created"``, ``"updated"`` or
        ``"unchanged"``. Raise ``ValidationError`` (or ``CellError``) for a bad row."""
        raise NotImplementedError

    def commit(
        self,
        rows: Sequence[Row],
        *,
        actor: Any,
        options: Mapping[str, Any],
        progress: Progress | None = None,
    ) -> CommitSummary:
        """Write every row inside the caller's transaction; raise ``RowsRejected`` to
        roll everything back. By default: :meth:`commit_row` for each row, every bad
        row's errors collected (each service call is atomic, so a failed row leaves
        nothing behind), then ``RowsRejected`` if there was any."""
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[RowError] = []
        columns = self.columns_for(options)
        for done, row in enumerate(rows, start=1):
            try:
                outcome = self.commit_row(row, actor=actor, options=options)
            except ValidationError as error:
                errors.extend(self.row_errors(row, error, columns))
            except CellError as error:
                errors.append(RowError(row.number, self._key_header(columns), error.reason))
            else:
                counts[outcome] += 1
            if progress is not None and (done % 100 == 0 or done == len(rows)):
                progress("import", done, len(rows))
        if errors:
            raise RowsRejected(errors)
        return CommitSummary(**counts)

    # -- mapping a service's ValidationError onto the row ---------------------

    def _key_header(self, columns: Sequence[Column] = ()) -> str:
        columns = columns or self.columns
        column = next((c for c in columns if c.code == self.key), None)
        if column is None and columns:
            column = columns[0]
        return column.header if column is not None else FILE_COLUMN

    def row_errors(
        self, row: Row, error: ValidationError, columns: Sequence[Column] = ()
    ) -> list[RowError]:
        """A service's ``ValidationError`` for ``row`` as row errors: field errors on
        their column (``field_columns``, or the column of the same code), the rest on
        the key column."""
        columns = columns or self.columns
        headers = {c.code: c.header for c in columns}
        if not hasattr(error, "error_dict"):
            return [RowError(row.number, self._key_header(columns), m) for m in error.messages]
        found: list[RowError] = []
        for name, messages in error.message_dict.items():
            code = self.field_columns.get(name, name)
            header = headers.get(code) or self._key_header(columns)
            found.extend(RowError(row.number, header, m) for m in messages)
        return found

    # -- template ---------------------------------------------------------------

    def template(self, options: Mapping[str, Any] | None = None) -> bytes:
        """The downloadable .xlsx: the header row and the example row(s), identifier
        columns formatted as text, and a 说明 sheet describing every column."""
        import io

        import xlsxwriter

        from .xlsx import add_formats, write_cell

        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        formats = add_formats(book)
        text_format = book.add_format({"num_format": "@"})
        sheet = book.add_worksheet(self.sheet_name or str(self.label)[:31] or "Sheet1")
        columns = self.columns_for(options or {})
        for col, column in enumerate(columns):
            width = max(len(column.header) * 2 + 4, 14)
            sheet.set_column(col, col, width, text_format if column.as_text else None)
            sheet.write_string(0, col, column.header, formats["header"])
            for row_no, example in enumerate(self.example, start=1):
                value = example.get(column.code, "")
                if column.as_text and value not in (None, ""):
                    sheet.write_string(row_no, col, str(value), text_format)
                else:
                    write_cell(sheet, row_no, col, value, formats)
        sheet.freeze_panes(1, 0)
        notes = book.add_worksheet(_("Notes")[:31])
        for col, title in enumerate((_("Column"), _("Code name"), _("Required"), _("How to fill"))):
            notes.write_string(0, col, title, formats["header"])
        for row_no, column in enumerate(columns, start=1):
            notes.write_string(row_no, 0, column.header)
            notes.write_string(row_no, 1, column.code)
            notes.write_string(row_no, 2, _("yes") if column.required else _("no"))
            notes.write_string(row_no, 3, str(column.help))
        notes.set_column(0, 1, 18)
        notes.set_column(3, 3, 90)
        book.close()
        return buffer.getvalue()

    # -- reading ----------------------------------------------------------------

    def _header_table(self, columns: Sequence[Column]) -> dict[str, str]:
        table: dict[str, str] = {}
        for column in columns:
            for name in (column.header, column.code, *column.aliases):
                table[_header_key(name)] = column.code
        return table

    def read(
        self,
        file: IO[bytes],
        *,
        actor: Any = None,
        options: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> ParseResult:
        """Map the header and parse every cell. Reads the database only through
        :meth:`parsers`; writes nothing."""
        from openpyxl import load_workbook

        options = options or {}
        result = ParseResult(columns=list(self.columns_for(options)))
        try:
            inspection = xlsx_guard.inspect(file)
        except xlsx_guard.Refused as refusal:
            result.errors.append(RowError(0, FILE_COLUMN, refusal.message))
            return result
        try:
            book = load_workbook(file, read_only=True, data_only=True, keep_links=False)
        except Exception:  # any unreadable upload gets the same answer
            result.errors.append(
                RowError(0, FILE_COLUMN, _("The file is not an Excel workbook (.xlsx)."))
            )
            return result
        try:
            names = book.sheetnames
            sheet = book[self.sheet_name] if self.sheet_name in names else book.worksheets[0]
            self._read_sheet(
                sheet,
                result,
                actor=actor,
                options=options,
                progress=progress,
                max_columns=inspection.limits.columns,
            )
        except _Unreadable:
            result.rows.clear()
            result.errors = [
                RowError(
                    0,
                    FILE_COLUMN,
                    _("The file is damaged and cannot be read; save it again in Excel."),
                )
            ]
        finally:
            book.close()
        result.sort()
        return result

    def _read_sheet(
        self,
        sheet: Any,
        result: ParseResult,
        *,
        actor: Any,
        options: Mapping[str, Any],
        progress: Progress | None,
        max_columns: int,
    ) -> None:
        """Streams the rows (openpyxl's read-only mode); the guard has bounded them. The
        declared dimension is ignored (a missing row is no row) and no row is read wider
        than the widest allowed plus one column, so that a value beyond it is shown."""
        declared_rows = sheet.max_row or 0
        sheet.reset_dimensions()
        rows = _guarded(sheet.iter_rows(values_only=True, max_col=max_columns + 1))
        columns = result.columns
        table = self._header_table(columns)
        by_code = {c.code: c for c in columns}

        # The header is the first row (of the first ten non-empty ones) naming a column.
        header_row = 0
        header: tuple[Any, ...] = ()
        first_nonempty: tuple[int, tuple[Any, ...]] | None = None
        seen_nonempty = 0
        for number_, values in enumerate(rows, start=1):
            if _blank_row(values):
                continue
            first_nonempty = first_nonempty or (number_, values)
            if any(_header_key(v) in table for v in values if not is_blank(v)):
                header_row, header = number_, values
                break
            seen_nonempty += 1
            if seen_nonempty >= 10:
                break
        if not header_row:
            found_row = first_nonempty[0] if first_nonempty else 1
            result.errors.append(
                RowError(
                    found_row,
                    FILE_COLUMN,
                    _("No header row found; the columns of this template are: %(columns)s.")
                    % {"columns": "、".join(c.header for c in columns)},
                )
            )
            return

        index_of: dict[str, int] = {}
        header_problem = False
        for index, value in enumerate(header):
            if is_blank(value):
                continue
            written = cell_text(value)
            code = table.get(_header_key(value))
            if code is None:
                header_problem = True
                result.errors.append(
                    RowError(
                        header_row,
                        written,
                        _("Unknown column; the columns of this template are: %(columns)s.")
                        % {"columns": "、".join(c.header for c in columns)},
                    )
                )
            elif code in index_of:
                header_problem = True
                result.errors.append(RowError(header_row, written, _("This column appears twice.")))
            else:
                index_of[code] = index
                result.headers[code] = written
        for column in columns:
            if column.required and column.code not in index_of:
                header_problem = True
                result.errors.append(
                    RowError(header_row, column.header, _("This required column is missing."))
                )
        if header_problem:
            return

        parsers = {c.code: c.parse for c in columns}
        parsers.update(self.parsers(actor=actor, options=options))
        width = max(index_of.values()) + 1
        total = max(declared_rows - header_row, 0)
        key_seen: dict[Any, int] = {}
        for number_, values in enumerate(rows, start=header_row + 1):
            if _blank_row(values):
                continue
            if len(result.errors) >= self.max_errors:
                result.rows.clear()
                result.errors.append(
                    RowError(
                        0,
                        FILE_COLUMN,
                        _(
                            "More than %(n)d problems: the first %(n)d are listed and the "
                            "rest of the file was not checked. Correct them and try again."
                        )
                        % {"n": self.max_errors},
                    )
                )
                return
            result.row_count += 1
            if result.row_count > self.max_rows:
                result.rows.clear()
                result.errors.append(
                    RowError(
                        0,
                        FILE_COLUMN,
                        _("The file has more than %(n)d rows; split it into smaller files.")
                        % {"n": self.max_rows},
                    )
                )
                return
            errors_before = len(result.errors)
            beyond = values[width:]
            if not _blank_row(beyond):
                offset = next(i for i, v in enumerate(beyond) if not is_blank(v))
                result.errors.append(
                    RowError(
                        number_,
                        _column_letter(width + offset),
                        _("A value in a column without a header."),
                    )
                )
            parsed: dict[str, Any] = {}
            for code, index in index_of.items():
                raw = values[index] if index < len(values) else None
                column = by_code[code]
                if is_blank(raw):
                    if column.required:
                        result.add_error(number_, code, _("This column is required."))
                    parsed[code] = None
                    continue
                try:
                    parsed[code] = parsers[code](raw)
                except CellError as error:
                    result.add_error(number_, code, error.reason)
            for code in by_code:
                parsed.setdefault(code, None)
            if self.key and len(result.errors) == errors_before:
                key_value = parsed.get(self.key)
                if key_value is not None:
                    if key_value in key_seen:
                        result.add_error(
                            number_,
                            self.key,
                            _("The same value is already on row %(row)d.")
                            % {"row": key_seen[key_value]},
                        )
                    else:
                        key_seen[key_value] = number_
            if len(result.errors) == errors_before:
                result.rows.append(Row(number_, parsed))
            if progress is not None and result.row_count % 500 == 0:
                progress("read", result.row_count, total)
        if progress is not None:
            progress("read", result.row_count, result.row_count)
        if result.row_count == 0:
            result.errors.append(RowError(header_row + 1, FILE_COLUMN, _("The file has no rows.")))

    def parse(
        self,
        file: IO[bytes],
        *,
        actor: Any = None,
        options: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> ParseResult:
        """Everything a dry run does: read, then check the well-formed rows."""
        options = options or {}
        result = self.read(file, actor=actor, options=options, progress=progress)
        if result.rows:
            self.check(result, actor=actor, options=options)
            result.sort()
        return result


def _blank_row(values: Sequence[Any]) -> bool:
    # count(None) runs in C: rows are read as wide as the widest allowed.
    return values.count(None) == len(values) or not any(not is_blank(v) for v in values)


class _Unreadable(Exception):
    """The workbook broke while its rows were being read (a damaged file)."""


def _guarded(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """openpyxl reads lazily: a damaged file fails while iterating, not when opened."""
    iterator = iter(rows)
    while True:
        try:
            values = next(iterator)
        except StopIteration:
            return
        except Exception as error:  # zip, XML or openpyxl errors of a damaged file
            raise _Unreadable from error
        yield values


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- the registry -----------------------------------------------------------------

_registry: dict[str, Importer] = {}


def register(kind: str, importer: Importer) -> None:
    """Called from the owning app's ``AppConfig.ready()``; registering again replaces."""
    importer.kind = kind
    _registry[kind] = importer


def unregister(kind: str) -> None:
    _registry.pop(kind, None)


def get_importer(kind: str) -> Importer:
    try:
        return _registry[kind]
    except KeyError:
        if kind in PLANNED_KINDS:
            raise NotAvailable(
                _("The import “%(kind)s” is not available yet.") % {"kind": kind}
            ) from None
        raise NotAvailable(_("There is no import “%(kind)s”.") % {"kind": kind}) from None


def all_kinds() -> list[str]:
    """The planned kinds, then any other registered one."""
    return [*PLANNED_KINDS, *(k for k in _registry if k not in PLANNED_KINDS)]


def registered() -> list[Importer]:
    return [_registry[k] for k in all_kinds() if k in _registry]


def label_of(kind: str) -> str:
    if kind in _registry and _registry[kind].label:
        return str(_registry[kind].label)
    return str(PLANNED_KINDS.get(kind, kind))


# --- running an import ------------------------------------------------------------


@dataclass
class ImportOutcome:
    result: ParseResult
    summary: CommitSummary | None = None

    @property
    def committed(self) -> bool:
        return self.summary is not None

    @property
    def errors(self) -> list[RowError]:
        return self.result.errors


def clean_options(
    importer: Importer, data: Mapping[str, Any] | None, *, actor: Any
) -> tuple[dict[str, Any], list[RowError]]:
    """Validate the importer's options (if it has any) → (cleaned options, errors)."""
    form = importer.options_form(data or {}, actor=actor)
    if form is None:
        return {}, []
    if form.is_valid():
        return dict(form.cleaned_data), []
    errors = [
        RowError(
            0, FILE_COLUMN, f"{form.fields[name].label if name in form.fields else ''} {m}".strip()
        )
        for name, messages in form.errors.items()
        for m in messages
    ]
    return {}, errors


def dry_run(
    importer: Importer,
    file: IO[bytes],
    *,
    actor: Any,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read and check; nothing is written. For an importer that rehearses its commit,
    the well-formed rows are also committed inside a transaction that is always
    rolled back, and whatever the services refuse is reported."""
    options = options or {}
    if not importer.dry_run_rehearses_commit:
        return ImportOutcome(importer.parse(file, actor=actor, options=options, progress=progress))
    result = importer.read(file, actor=actor, options=options, progress=progress)
    if not result.rows:
        return ImportOutcome(result)
    try:
        with transaction.atomic(durable=True):
            importer.check(result, actor=actor, options=options)
            bad = set(result.bad_rows)
            good = [r for r in result.rows if r.number not in bad]
            rehearsal = (
                None
                if progress is None
                else lambda _stage, done, total: progress("check", done, total)
            )
            try:
                importer.commit(good, actor=actor, options=options, progress=rehearsal)
            except RowsRejected as rejected:
                result.errors.extend(rejected.errors)
            except ValidationError as error:
                result.errors.extend(RowError(0, FILE_COLUMN, m) for m in error.messages)
            raise _Rehearsed
    except _Rehearsed:
        pass
    except IntegrityError:
        result.errors.append(RowError(0, FILE_COLUMN, _changed_meanwhile()))
    result.sort()
    return ImportOutcome(result)


class _Rehearsed(Exception):
    """Leaves the rehearsal's transaction, rolling it back."""


def _changed_meanwhile() -> str:
    return _(
        "The records changed while the file was being imported; nothing was "
        "imported. Please try again."
    )


def import_file(
    importer: Importer,
    file: IO[bytes],
    *,
    actor: Any,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """All or nothing: the file is read outside the transaction; the checks and every
    write run inside one ``atomic(durable=True)`` block, so the checks see what the
    writes will see, and any problem leaves the database as it was."""
    options = options or {}
    result = importer.read(file, actor=actor, options=options, progress=progress)
    if not result.ok:
        return ImportOutcome(result)
    try:
        with transaction.atomic(durable=True):
            importer.check(result, actor=actor, options=options)
            if result.errors:
                result.sort()
                raise RowsRejected(result.errors)
            summary = importer.commit(result.rows, actor=actor, options=options, progress=progress)
    except RowsRejected as rejected:
        result.errors = list(rejected.errors)
        result.sort()
        return ImportOutcome(result)
    except ValidationError as error:
        result.errors = [RowError(0, FILE_COLUMN, m) for m in error.messages]
        return ImportOutcome(result)
    except IntegrityError:
        result.errors = [RowError(0, FILE_COLUMN, _changed_meanwhile())]
        return ImportOutcome(result)
    return ImportOutcome(result, summary)
