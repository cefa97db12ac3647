"""Columns, rows, results and the importer that reads a sheet."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .. import xlsx_guard
from .base import (
    FILE_COLUMN,
    Parser,
    Progress,
    T,
)
from .cells import (
    CellError,
    RowError,
    RowsRejected,
    cell_text,
    compact,
    is_blank,
    text,
    to_simplified,
)

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

        from ..xlsx import add_formats, write_cell

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
