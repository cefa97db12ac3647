"""The one lock order of the ledger, and the helpers that take its row locks.

Every transaction that moves money takes its row locks in this order, and never takes a
lock of an earlier level once it holds one of a later level:

1. **The domain record** the money belongs to (an application, its contract, its
   tranches: the order of ``projects/locks.py``), taken by the domain before it calls the
   ledger, or by the ledger itself through ``hooks.payment_refusals`` before it locks any
   ledger row (paying, approving or making a payment order of a project).
2. **The ledger documents** being decided, by kind in this order and by primary key
   within a kind: requests (budget adjustments, indicator supplements, reschedules,
   write-offs) → bank statement lines → disbursements → repayable accounts.
3. **The accounts** every posting of the transaction will touch, all of them at once and
   in primary-key order, before the first posting (``lock_accounts``). A service that
   posts several entries (a repayment after the fees it accrues, a return that reverses a
   payment and its approval, a project whose orders are cancelled and commitment
   released) locks the union first.
4. **The seal lock** (the chain head row), taken only by sealing
   (``services.sealing.ledger_seal``), in a transaction of its own that posts nothing;
   then the rows of the entries it seals (a posting that refers to an entry, such as a
   reversal, holds a KEY SHARE lock the seal may wait for; postings never wait for the
   seal, so there is no cycle). Postings never take the seal lock:
   an entry is posted unsealed, so postings queue only on the accounts they share, and
   a transaction's accounts are locked all at once (level 3), so they never deadlock.
   (On SQLite a posting also writes that row, to close its entry to more legs; SQLite
   has one writer at a time anyway.)

Within one level rows are locked in primary-key order (``lock_rows``), so two
transactions that lock overlapping sets queue instead of deadlocking. On SQLite
``select_for_update`` is a no-op and the IMMEDIATE transaction mode serialises writers.

Rows that must be unique (a 流水号, a district's budget line, one indicator per call and
district) are guarded by a unique constraint and created after a lock that serialises
their creators; if a race still reaches the constraint, the service answers with a
refusal (``LedgerError``), never an ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock_rows(model: type[M], pks: Iterable[int]) -> dict[int, M]:
    """Lock the rows of ``model`` with the given primary keys; return them by pk."""
    ordered = sorted(set(pks))
    if not ordered:
        return {}
    rows = (
        model._default_manager.select_for_update(of=("self",)).filter(pk__in=ordered).order_by("pk")
    )
    return {row.pk: row for row in rows}


def lock_one(model: type[M], pk: int) -> M:
    """Lock and return one row (``model.DoesNotExist`` when it is gone)."""
    rows = lock_rows(model, [pk])
    if pk not in rows:
        raise model.DoesNotExist  # type: ignore[attr-defined]
    return rows[pk]


def lock_accounts(pks: Iterable[int]) -> None:
    """Level 3: every account the transaction will post to, in one statement, pk order."""
    from .models import Account

    lock_rows(Account, pks)
