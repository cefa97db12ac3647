"""Numbers shown with the precision their meaning has (money is ``core.money``).

* a score (an expert's total, an item's score, a spread): two decimals, ROUND_HALF_UP —
  80.6667 is shown 80.67, 80 is shown 80.00;
* a quantity (an indicator's target or actual, a weight, a maximum): as entered, without
  trailing zeros — "2 台", "1,500 亩", "2.5 件";
* a count: an integer;
* a rate kept as a fraction (占用费率 0.02): a percentage without trailing zeros — "2%".

Pages use them as template filters (``{% load numbers %}``), documents and workbooks
call them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_CENT = Decimal("0.01")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def score_value(value: Any) -> Decimal | None:
    """The score rounded to two decimals (for a cell that keeps it a number)."""
    number = _decimal(value)
    return None if number is None else number.quantize(_CENT, rounding=ROUND_HALF_UP)


def format_score(value: Any, empty: str = "") -> str:
    """80.6667 → "80.67"; 85 → "85.00"."""
    number = score_value(value)
    return empty if number is None else f"{number:.2f}"


def format_quantity(value: Any, empty: str = "") -> str:
    """2.00 → "2"; 1500.50 → "1,500.5"; 0.25 → "0.25"."""
    number = _decimal(value)
    if number is None:
        return empty if value in (None, "") else str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def format_count(value: Any, empty: str = "") -> str:
    """3 → "3"; 3.0 → "3"."""
    number = _decimal(value)
    return empty if number is None else f"{int(number.to_integral_value(ROUND_HALF_UP)):,}"


def format_rate(value: Any, empty: str = "") -> str:
    """A fraction as a percentage: 0.02 → "2%", 0.0005 → "0.05%"."""
    number = _decimal(value)
    if number is None:
        return empty
    return f"{format_quantity(number * 100)}%"
