"""The ledger's domain errors. Messages are translated (Chinese by default); views show
them as form errors or messages, commands print them."""

from __future__ import annotations

from core.money import MoneyError as CoreMoneyError


class LedgerError(Exception):
    """A refused ledger operation, with a message for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MoneyError(LedgerError, CoreMoneyError):
    """An amount that cannot be read exactly."""


class ConcurrentChange(LedgerError):
    """Someone else changed the record first."""
