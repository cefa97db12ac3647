"""结余 to return (结余资金收回): posted due at a project's closing, received back from a
bank statement line.

* Due (``surplus_due_post``), cash book: Dr 结余 receivable (an account of its own), Cr
  the budget line's grant expense — the money paid and not spent was no expense.
* Returned (``surplus_receive``, from the statement matching in ``bank``): cash book Dr
  bank, Cr the receivable; budget book Dr the line's available, Cr its disbursed — the
  line gets the money back to spend again.

Locks (``ledger.locks``): the domain record first (the caller's), then the 结余 row
(level 2, after statement lines, disbursements and repayable accounts), then every
account of the posting at once (level 3)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import LedgerError
from ..locks import lock_accounts, lock_one
from ..models import BudgetLine, Entry, StatementLine, SurplusReturn
from ..money import format_fen, positive_fen
from .budget import line_account
from .posting import (
    Kind,
    _actor_id,
    _credit,
    _debit,
    _new_account,
    _numbered,
    check_value_date,
    entry_post,
)


def surplus_accounts(surplus: SurplusReturn) -> list[int]:
    """The accounts the receipt of ``surplus`` posts to, except the bank."""
    line = surplus.budget_line
    return [
        surplus.account_id,
        line_account(line, Kind.AVAILABLE).pk,
        line_account(line, Kind.DISBURSED).pk,
    ]


@transaction.atomic
def surplus_due_post(
    *,
    project_ref: str,
    budget_line: BudgetLine,
    amount: Decimal,
    payer_name: str,
    payer_account: str,
    scope_path: str,
    value_date: dt.date,
    actor: Any,
) -> SurplusReturn:
    """The 结余 of ``project_ref`` is due back: one per project. Asked again with the same
    amount it answers the one already posted; with another amount it refuses."""
    fen = positive_fen(amount)
    project_ref = project_ref.strip()
    if not project_ref or not payer_name.strip():
        raise LedgerError(_("The project and the unit are required."))
    check_value_date(value_date, what=_("The date the unspent balance is due"))
    existing = SurplusReturn.objects.filter(project_ref=project_ref).first()
    if existing is not None:
        if existing.amount_fen != fen:
            raise LedgerError(
                _(
                    "An unspent balance of %(due)s yuan is already due from project %(ref)s; "
                    "it cannot be posted again as %(new)s yuan."
                )
                % {
                    "due": format_fen(existing.amount_fen),
                    "ref": project_ref,
                    "new": format_fen(fen),
                }
            )
        return existing
    expense = line_account(budget_line, Kind.GRANT_EXPENSE)
    receivable = _new_account(
        code=f"surplus:{project_ref}",
        name=_("Unspent balance receivable %(ref)s") % {"ref": project_ref},
        kind=Kind.SURPLUS_RECEIVABLE,
        scope_path=scope_path,
        project_ref=project_ref,
    )
    lock_accounts([expense.pk, receivable.pk])
    expense.refresh_from_db(fields=["balance"])
    if expense.balance < fen:
        raise LedgerError(
            _(
                "The grant expenditure of %(line)s is %(booked)s yuan: an unspent balance of "
                "%(due)s yuan cannot be taken back from it."
            )
            % {
                "line": budget_line.name,
                "booked": format_fen(expense.balance),
                "due": format_fen(fen),
            }
        )
    entry = entry_post(
        idempotency_key=f"surplus-due:{project_ref}",
        kind=Entry.Kind.SURPLUS_DUE,
        value_date=value_date,
        legs=[_debit(receivable, fen), _credit(expense, fen)],
        actor=actor,
        memo=_("Unspent balance due: %(ref)s %(unit)s") % {"ref": project_ref, "unit": payer_name},
    )
    surplus = SurplusReturn.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:30]}",
        project_ref=project_ref,
        payer_name=payer_name.strip(),
        payer_account="".join(payer_account.split()),
        budget_line=budget_line,
        scope_path=scope_path,
        amount_fen=fen,
        account=receivable,
        due_entry=entry,
        created_by_id=_actor_id(actor),
    )
    _numbered(surplus, f"JY{budget_line.year}")
    return surplus


def check_surplus_fits(surplus: SurplusReturn, line: StatementLine) -> None:
    """Refuses a statement line that cannot be the return of ``surplus``."""
    if surplus.status == SurplusReturn.Status.RETURNED:
        raise LedgerError(
            _("The unspent balance %(number)s was already returned on %(date)s.")
            % {"number": surplus.number, "date": surplus.returned_on}
        )
    if line.direction != StatementLine.Direction.IN:
        raise LedgerError(_("A payment out cannot be the return of an unspent balance."))
    if not surplus.budget_line.scope_path.startswith(line.bank_account.scope_path):
        raise LedgerError(
            _(
                "The unspent balance %(number)s goes back to %(line)s: a line of %(bank)s "
                "cannot be its return."
            )
            % {
                "number": surplus.number,
                "line": surplus.budget_line.name,
                "bank": line.bank_account.name,
            }
        )
    if line.amount_fen != surplus.amount_fen:
        raise LedgerError(
            _(
                "The amounts differ: %(number)s asks %(due)s yuan back, the line brings "
                "%(got)s yuan. An unspent balance is returned in one payment of its amount."
            )
            % {
                "number": surplus.number,
                "due": format_fen(surplus.amount_fen),
                "got": format_fen(line.amount_fen),
            }
        )
    due_on = surplus.due_entry.value_date
    if line.txn_date < due_on:
        raise LedgerError(
            _(
                "The line is dated %(date)s, before the unspent balance %(number)s was due "
                "(%(due)s)."
            )
            % {"date": line.txn_date.isoformat(), "number": surplus.number, "due": due_on}
        )


@transaction.atomic
def surplus_receive(*, surplus: SurplusReturn, line: StatementLine, actor: Any) -> SurplusReturn:
    """The 结余 came back on ``line``: posts the receipt and links the line. The caller
    (``bank``) has locked the line and marks it matched."""
    surplus = lock_one(SurplusReturn, surplus.pk)
    check_surplus_fits(surplus, line)
    bank = line.bank_account.account
    lock_accounts([bank.pk, *surplus_accounts(surplus)])
    budget_line = surplus.budget_line
    fen = surplus.amount_fen
    surplus.return_entry = entry_post(
        idempotency_key=f"surplus-return:{surplus.pk}",
        kind=Entry.Kind.SURPLUS_RETURN,
        value_date=line.txn_date,
        legs=[
            _debit(bank, fen),
            _credit(surplus.account, fen),
            _debit(line_account(budget_line, Kind.AVAILABLE), fen),
            _credit(line_account(budget_line, Kind.DISBURSED), fen),
        ],
        actor=actor,
        memo=_("Unspent balance returned: %(number)s %(unit)s")
        % {"number": surplus.number, "unit": surplus.payer_name},
    )
    surplus.status = SurplusReturn.Status.RETURNED
    surplus.statement_line = line
    surplus.returned_on = line.txn_date
    surplus.save(update_fields=["return_entry", "status", "statement_line", "returned_on"])
    return surplus
