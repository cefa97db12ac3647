"""Errors, text helpers and cell parsers of the import framework."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .. import clock
from ..money import MoneyError, parse_yuan, yuan_to_fen
from .base import (
    Parser,
    T,
)

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
