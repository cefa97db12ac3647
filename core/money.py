"""Money: integer fen in the database, ``Decimal`` yuan at the edges, never float.

Parsing is strict: "1,234.50", "1234.5元", "￥1 234" are accepted; "12.345" (a fraction
of a fen), "abc" or a float object are refused. The one rounding rule for computed
amounts is ROUND_HALF_UP to the fen (``round_fen``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import overload

from django.utils.translation import gettext as _

FEN = Decimal("0.01")
_STRIP = re.compile(r"[\s,，\u3000]|元$|^[¥￥]")


class MoneyError(ValueError):
    """A value that is not an amount of money (message in Chinese, for users)."""


def parse_yuan(value: object) -> Decimal:
    if isinstance(value, float):
        raise MoneyError(_("An amount may not be given as a float."))
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    else:
        text = str(value).strip()
        text = _STRIP.sub("", text)
        text = text.replace("元", "")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise MoneyError(_("“%(value)s” is not an amount of money.") % {"value": value})
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - regex guards it
            raise MoneyError(
                _("“%(value)s” is not an amount of money.") % {"value": value}
            ) from exc
    if amount != amount.quantize(FEN):
        raise MoneyError(
            _("The amount “%(value)s” has more than two decimals (below one fen).")
            % {"value": value}
        )
    return amount.quantize(FEN)


def yuan_to_fen(amount: Decimal) -> int:
    if amount != amount.quantize(FEN):
        raise MoneyError(
            _("The amount “%(value)s” has more than two decimals (below one fen).")
            % {"value": amount}
        )
    return int(amount * 100)


@overload
def fen_to_yuan(fen: int) -> Decimal: ...


@overload
def fen_to_yuan(fen: None) -> None: ...


def fen_to_yuan(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / 100).quantize(FEN)


def round_fen(amount: Decimal) -> Decimal:
    """The documented rounding rule: half up, to the fen."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    yuan = fen_to_yuan(fen)
    return f"{yuan:,.2f}"
