"""Money at the edges: ``Decimal`` yuan in Python, integer fen (分) in the database.

Parsing is strict: "1,234.50", "1234.5元", "￥1 234.50", full-width digits and Excel
numbers are read; "12.345", "1,23.4", "abc" and floats that are not exact to the fen are
refused, never rounded. The one rounding rule, for amounts the system computes (usage
fees, overdue penalties), is ``ROUND_HALF_UP`` to the fen: see :func:`round_to_fen`.
This module knows no domain; the ledger re-raises its refusals as ledger errors.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import overload

from django.db import models
from django.utils.translation import gettext as _

FEN_PER_YUAN = 100
_CENT = Decimal("0.01")

# The one domain maximum for an amount of money (100 亿元): no grant, payment, repayment,
# budget line or bank statement figure of a science bureau comes near it, and every
# amount column stays far inside the database's 64-bit integers (sums of many included).
# The parser refuses anything larger; the database has a CHECK on every amount column.
MAX_YUAN = Decimal("10000000000.00")
MAX_FEN = int(MAX_YUAN * FEN_PER_YUAN)
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_GROUPED = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_PLAIN = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class MoneyError(ValueError):
    """An amount that cannot be read exactly (the message is for the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def parse_yuan(value: object) -> Decimal:
    """A yuan amount from text, a Decimal, an int or an Excel number; exact to the fen."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(_("An amount is required."))
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # Excel stores numbers as binary floats; their shortest repr is what the user
        # typed ("1234.5"), and it must still be exact to the fen.
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        # A Chinese input method in full-width mode types １２３，４５６．７８: read as ASCII.
        # No other compatibility form is (NFKC would read "1²" as 12 and "①" as 1).
        text = _SPACES.sub("", value.translate(_FULL_WIDTH))
        if any(not c.isascii() and (c.isdigit() or c.isnumeric()) for c in text):
            raise MoneyError(
                _("「%(value)s」 is not an amount: write the digits 0–9.")
                % {"value": value.strip()}
            )
        for prefix in ("¥", "￥", "RMB", "CNY"):
            text = text.removeprefix(prefix)
        text = text.removesuffix("元").removesuffix("人民币")
        if not text:
            raise MoneyError(_("An amount is required."))
        if _GROUPED.match(text):
            text = text.replace(",", "")
        elif "," in text and _PLAIN.match(text.replace(",", "")):
            raise MoneyError(
                _("「%(value)s」: the thousands separators are in the wrong place.")
                % {"value": value.strip()}
            )
        elif not _PLAIN.match(text):
            raise MoneyError(_("「%(value)s」 is not an amount.") % {"value": value.strip()})
        try:
            amount = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the regexes above prevent it
            raise MoneyError(_("「%(value)s」 is not an amount.") % {"value": value}) from error
    else:
        raise MoneyError(_("「%(value)s」 is not an amount.") % {"value": value})
    if not amount.is_finite():
        raise MoneyError(_("「%(value)s」 is not an amount.") % {"value": value})
    if abs(amount) > MAX_YUAN:
        raise MoneyError(
            _("%(value)s yuan is more than the largest amount accepted, %(max)s yuan (100 亿元).")
            % {"value": _shown(value), "max": f"{MAX_YUAN:,.2f}"}
        )
    if amount != amount.quantize(_CENT):
        raise MoneyError(
            _("%(value)s has more than two decimal places; amounts are exact to the fen.")
            % {"value": value}
        )
    return amount.quantize(_CENT)


def check_fen(fen: int) -> int:
    """An amount the system computed (a sum, a scaled share) inside the domain maximum."""
    if abs(fen) > MAX_FEN:
        raise MoneyError(
            _("%(value)s yuan is more than the largest amount accepted, %(max)s yuan (100 亿元).")
            % {"value": format_fen(fen), "max": f"{MAX_YUAN:,.2f}"}
        )
    return fen


def amount_checks(prefix: str, *fields: str) -> list[models.CheckConstraint]:
    """The database's side of the domain maximum: one named CHECK per amount column
    (``<prefix>_<field>_bounded``), so no door — a bulk write, the admin, raw SQL through
    the application — stores an amount the parser would refuse. NULL passes."""
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{field}__gte": -MAX_FEN, f"{field}__lte": MAX_FEN})
            | models.Q(**{f"{field}__isnull": True}),
            name=f"{prefix}_{field}_bounded",
        )
        for field in fields
    ]


def _shown(value: object) -> str:
    """The amount as typed, cut short if it is very long (a message, not an echo)."""
    text = str(value).strip()
    return text if len(text) <= 24 else f"{text[:21]}…"


def yuan_to_fen(amount: Decimal | int | str) -> int:
    """Exact conversion; refuses fractions of a fen."""
    return int(parse_yuan(amount) * FEN_PER_YUAN)


def positive_fen(amount: Decimal | int | str) -> int:
    fen = yuan_to_fen(amount)
    if fen <= 0:
        raise MoneyError(_("The amount must be greater than zero."))
    return fen


@overload
def fen_to_yuan(fen: int) -> Decimal: ...


@overload
def fen_to_yuan(fen: None) -> None: ...


def fen_to_yuan(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(_CENT)


def round_to_fen(fen: Decimal) -> int:
    """The rounding rule for computed amounts: ROUND_HALF_UP to the whole fen."""
    return int(fen.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_fen(fen: int | None, *, sign: bool = False) -> str:
    """``123456`` → ``1,234.56`` (blank for an unknown amount)."""
    if fen is None:
        return ""
    yuan = fen_to_yuan(fen)
    text = f"{abs(yuan):,.2f}"
    if yuan < 0:
        return f"-{text}"
    return f"+{text}" if sign and yuan > 0 else text


_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_UNITS = ("", "拾", "佰", "仟")
_CAPITAL_SECTIONS = ("", "万", "亿", "万亿")


def _capital_section(number: int) -> str:
    """1–9999 in capital numerals; zeros inside are one 零 (壹仟零壹拾)."""
    words = ""
    zero = False
    for place in (3, 2, 1, 0):
        digit = number // 10**place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _CAPITAL_DIGITS[digit] + _CAPITAL_UNITS[place]
    return words


def _capital_integer(number: int) -> str:
    sections = []
    while number:
        number, section = divmod(number, 10_000)
        sections.append(section)
    words = ""
    gap = False
    for index in reversed(range(len(sections))):
        section = sections[index]
        if section == 0:
            gap = bool(words)
            continue
        # A gap of whole sections, or a section that starts with zeros: one 零.
        if words and (gap or section < 1000):
            words += "零"
        words += _capital_section(section) + _CAPITAL_SECTIONS[index]
        gap = False
    return words


def fen_in_capitals(fen: int) -> str:
    """An amount as written on payment documents (中文大写金额, after the rules of the
    支付结算办法): 18000000 → 壹拾捌万元整, 1 → 壹分, 100100000110 →
    壹亿零壹拾万零壹元壹角. A zero 角 before a 分 is written 零 (叁佰贰拾伍元零肆分);
    整 follows an amount that ends at the 元. Exact: computed from the integer fen."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("fen_in_capitals takes integer fen")
    if fen < 0 or fen >= 10**18:
        raise ValueError("fen_in_capitals: 0 ≤ fen < 10¹⁸")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = _capital_integer(yuan)
    if words:
        words += "元"
    if cents == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _CAPITAL_DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen_digit:
        words += _CAPITAL_DIGITS[fen_digit] + "分"
    return words
