"""What the domain apps ask to be told, in the same transaction, when the ledger records
a fact they act on. The ledger imports no domain app (DESIGN §2), so the apps above it
register here in ``AppConfig.ready()``; the ledger calls them after its own writes.

This is deliberately not a Django signal: the registry is explicit, typed, and run only
by ``ledger.services``, never by a bulk path behind its back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Disbursement

_on_paid: list[Callable[[Disbursement], None]] = []


def on_disbursement_paid(
    callback: Callable[[Disbursement], None],
) -> Callable[[Disbursement], None]:
    """Register ``callback(disbursement)``; called once per payment, inside its transaction."""
    if callback not in _on_paid:
        _on_paid.append(callback)
    return callback


def disbursement_paid(disbursement: Disbursement) -> None:
    for callback in list(_on_paid):
        callback(disbursement)
