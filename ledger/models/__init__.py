"""The ledger: double-entry books for budget lines, disbursements, repayable funding and
the bank.

Design in brief
---------------

* Amounts are integer fen (``BigIntegerField``). A ``Leg`` carries a signed amount:
  positive is a debit, negative a credit; the legs of an ``Entry`` sum to zero and no
  leg is zero. ``Account.balance`` is the running sum of its legs (debit positive), kept
  in the same transaction as the legs so that reading a balance is one row, whatever the
  number of entries. ``ledger_verify`` recomputes every balance from the legs.
* Two books share the journal (DESIGN §6): the budget book (预算会计: appropriation,
  available, committed, approved-awaiting-payment, disbursed, transferred) and the cash
  book (财务会计: bank, fiscal revenue, grant expense, receivables, fee and penalty
  income, write-off loss, recoveries). An entry stays within one book or posts a
  balanced pair in each.
* Entries are append-only. A correction is a reversing entry pointing to the original
  (``reverses``, at most one reversal per entry). Every entry has a unique idempotency
  key; sealing (``ledger_seal``) later gives it its place ``seq`` and a SHA-256 hash
  chained to the previous entry, in a ``Block`` chained to the previous block (postings
  never wait for each other on the chain; ``ChainHead`` is the sealed end, locked only
  by sealing); ``hash_version`` says which recipe of ``ledger.chain`` made it.
* Accounts that must never go below zero (available, committed, approved, receivables)
  have ``floor_zero``; the services check it after locking the rows and a named check
  constraint refuses it in the database as well.
* On PostgreSQL, triggers (migration 0002) refuse UPDATE and DELETE of entries and legs
  and refuse, at commit, an entry whose legs do not balance; on SQLite, UPDATE triggers
  and the services do the same.
* Everything domain-shaped is an opaque reference: ``programme_code``, ``project_ref``,
  ``payee_name``; regions are ``scope_path`` strings (``/330000/330100/330106/``) given
  by the caller, so the ledger imports no domain app. Users are ``AUTH_USER_MODEL``.
* Only ``ledger.services`` writes these rows; state machines are django-fsm-2 fields
  that nothing but a transition method may change.
"""

from __future__ import annotations

from .base import (
    USER,
    ApprovedChange,
    ChangeStatus,
    ScopedQuerySet,
    scope_q,
)
from .budget import (
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    BudgetLineQuerySet,
    Commitment,
    IndicatorSupplement,
    Instrument,
)
from .journal import (
    Account,
    AccountQuerySet,
    Block,
    ChainHead,
    Entry,
    Leg,
    Side,
)
from .payments import (
    BankAccount,
    Disbursement,
    DisbursementQuerySet,
)
from .recovery import (
    DunningStep,
    LegalCase,
    RecoveryPath,
    WriteOffBasis,
)
from .repayable import (
    AgingBucket,
    Instalment,
    RepayableAccount,
    Repayment,
    Reschedule,
    WriteOff,
    aging_bucket,
)
from .statements import (
    BankStatement,
    StatementLine,
)
from .surplus import SurplusReturn

__all__ = [
    "USER",
    "Account",
    "AccountQuerySet",
    "AgingBucket",
    "ApprovedChange",
    "BankAccount",
    "BankStatement",
    "Block",
    "BudgetAdjustment",
    "BudgetIndicator",
    "BudgetLine",
    "BudgetLineQuerySet",
    "ChainHead",
    "ChangeStatus",
    "Commitment",
    "Disbursement",
    "DisbursementQuerySet",
    "DunningStep",
    "Entry",
    "IndicatorSupplement",
    "Instalment",
    "Instrument",
    "Leg",
    "LegalCase",
    "RecoveryPath",
    "RepayableAccount",
    "Repayment",
    "Reschedule",
    "ScopedQuerySet",
    "Side",
    "StatementLine",
    "SurplusReturn",
    "WriteOff",
    "WriteOffBasis",
    "aging_bucket",
    "scope_q",
]
