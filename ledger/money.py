"""The ledger's money: ``core.money``, with its refusals raised as the ledger's
``MoneyError`` (a ``LedgerError``), so the ledger's callers catch one kind of error."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import TypeVar

from core import money as _money
from core.money import (  # noqa: F401 - the ledger's money vocabulary
    FEN_PER_YUAN,
    fen_in_capitals,
    fen_to_yuan,
    format_fen,
    round_to_fen,
)

from .errors import MoneyError

T = TypeVar("T")


def _as_ledger_error(function: Callable[..., T]) -> Callable[..., T]:
    @wraps(function)
    def wrapper(*args: object, **kwargs: object) -> T:
        try:
            return function(*args, **kwargs)
        except _money.MoneyError as error:
            raise MoneyError(str(error)) from error

    return wrapper


# An exact amount of fen that is not whole (the overdue fee as it accrues: fen × a rate of
# 6 decimals × days) is kept as a whole number of 1e-8 fen: exact on every database.
EXACT_UNITS_PER_FEN = 10**8


def exact_fen_to_units(fen: Decimal) -> int:
    """``fen`` (8 decimals at most) as a whole number of 1e-8 fen; more decimals are a
    programming error, not something to round away."""
    units = fen.scaleb(8)
    if units != units.to_integral_value():
        raise ValueError(f"{fen} fen has more than 8 decimals")
    return int(units)


def units_to_exact_fen(units: int) -> Decimal:
    """The inverse of ``exact_fen_to_units``: exact, 8 decimals."""
    return Decimal(units).scaleb(-8)


def parse_yuan(value: object) -> Decimal:
    return _as_ledger_error(_money.parse_yuan)(value)


def yuan_to_fen(amount: Decimal | int | str) -> int:
    return _as_ledger_error(_money.yuan_to_fen)(amount)


def positive_fen(amount: Decimal | int | str) -> int:
    return _as_ledger_error(_money.positive_fen)(amount)
