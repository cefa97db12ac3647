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


def parse_yuan(value: object) -> Decimal:
    return _as_ledger_error(_money.parse_yuan)(value)


def yuan_to_fen(amount: Decimal | int | str) -> int:
    return _as_ledger_error(_money.yuan_to_fen)(amount)


def positive_fen(amount: Decimal | int | str) -> int:
    return _as_ledger_error(_money.positive_fen)(amount)
