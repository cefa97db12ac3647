"""What the domain apps ask to be told, in the same transaction, when the ledger records
a fact they act on. The ledger imports no domain app (DESIGN §2), so the apps above it
register here in ``AppConfig.ready()``; the ledger calls them after its own writes.

This is deliberately not a Django signal: the registry is explicit, typed, and run only
by ``ledger.services``, never by a bulk path behind its back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


_payment_checks: list[Callable[[Sequence[str]], dict[str, str]]] = []


def on_payment_check(
    callback: Callable[[Sequence[str]], dict[str, str]],
) -> Callable[[Sequence[str]], dict[str, str]]:
    """Register ``callback(project_refs)``: it locks the domain records behind the
    references (level 1 of ``ledger.locks``, in the domain's own order) and answers, by
    reference, why a record may not receive money; references it does not know, or that
    may receive money, are left out."""
    if callback not in _payment_checks:
        _payment_checks.append(callback)
    return callback


def payment_refusals(project_refs: Sequence[str]) -> dict[str, str]:
    """Why each record behind ``project_refs`` may not receive money now (a record that
    may is not in the answer). Asked before a payment order is made, submitted, approved
    or paid, and before any ledger row is locked."""
    refs = sorted({ref for ref in project_refs if ref})
    refusals: dict[str, str] = {}
    if not refs:
        return refusals
    for callback in list(_payment_checks):
        for ref, reason in callback(refs).items():
            refusals.setdefault(ref, reason)
    return refusals
