"""Disbursements (拨付单): made, submitted, approved by a second person, paid, returned."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock

from .. import hooks
from ..errors import LedgerError
from ..locks import lock_one
from ..models import (
    BankAccount,
    BudgetLine,
    Commitment,
    Disbursement,
    Entry,
    RepayableAccount,
)
from ..money import positive_fen
from .budget import line_account
from .posting import (
    Kind,
    _actor_id,
    _credit,
    _debit,
    _not_the_maker,
    _numbered,
    _save_transition,
    _transition,
    entry_post,
    entry_reverse,
)
from .repayable import repayable_account

# --- disbursements -------------------------------------------------------------------


@transaction.atomic
def disbursement_create(
    *,
    budget_line: BudgetLine,
    amount: Decimal,
    payee_name: str,
    payee_account: str,
    actor: Any,
    commitment: Commitment | None = None,
    repayable: RepayableAccount | None = None,
    project_ref: str = "",
    payee_bank: str = "",
    payee_ref: str = "",
    purpose: str = "",
    tranche_no: int = 1,
) -> Disbursement:
    """A draft 拨付单 made by ``actor`` (the maker)."""
    fen = positive_fen(amount)
    if commitment is not None and commitment.budget_line_id != budget_line.pk:
        raise LedgerError(_("The commitment belongs to another budget line."))
    if repayable is not None and repayable.budget_line_id != budget_line.pk:
        raise LedgerError(_("The repayable account belongs to another budget line."))
    if not payee_name.strip() or not payee_account.strip():
        raise LedgerError(_("The payee and the payee's bank account are required."))
    if commitment is not None:
        project_ref = project_ref or commitment.project_ref
    if repayable is not None:
        project_ref = project_ref or repayable.project_ref
    disbursement = Disbursement(
        number=f"tmp-{uuid.uuid4().hex[:24]}",
        budget_line=budget_line,
        commitment=commitment,
        repayable=repayable,
        project_ref=project_ref.strip(),
        tranche_no=tranche_no,
        payee_name=payee_name.strip(),
        payee_ref=payee_ref.strip() or (repayable.borrower_ref if repayable else ""),
        payee_account="".join(payee_account.split()),
        payee_bank=payee_bank.strip(),
        amount_fen=fen,
        purpose=purpose.strip(),
        scope_path=budget_line.scope_path,
        maker_id=_actor_id(actor),
    )
    disbursement.save()
    _numbered(disbursement, f"BF{budget_line.year}")
    return disbursement


def _lock_disbursement(disbursement: Disbursement) -> Disbursement:
    try:
        return lock_one(Disbursement, disbursement.pk)
    except Disbursement.DoesNotExist as error:  # pragma: no cover - rows are never deleted
        raise LedgerError(_("This disbursement no longer exists.")) from error


@transaction.atomic
def disbursement_submit(*, disbursement: Disbursement, actor: Any) -> Disbursement:
    disbursement = _lock_disbursement(disbursement)
    _transition(disbursement, "submit")
    _save_transition(disbursement)
    return disbursement


@transaction.atomic
def disbursement_approve(*, disbursement: Disbursement, actor: Any, note: str = "") -> Disbursement:
    """The checker approves: the money is reserved (Dr approved-awaiting-payment, Cr the
    commitment or, without one, the line's available). Refused, with the figures, when
    it does not fit."""
    disbursement = _lock_disbursement(disbursement)
    _not_the_maker(disbursement.maker_id, actor, _("disbursement"))
    _transition(disbursement, "approve")
    line = disbursement.budget_line
    source = (
        disbursement.commitment.account
        if disbursement.commitment_id and disbursement.commitment
        else line_account(line, Kind.AVAILABLE)
    )
    disbursement.approve_entry = entry_post(
        idempotency_key=f"disbursement-approve:{disbursement.pk}",
        kind=Entry.Kind.APPROVE,
        value_date=clock.today(),
        legs=[
            _debit(line_account(line, Kind.APPROVED), disbursement.amount_fen),
            _credit(source, disbursement.amount_fen),
        ],
        actor=actor,
        memo=disbursement.number,
    )
    disbursement.approver_id = actor.pk
    disbursement.decision_note = note.strip()
    _save_transition(disbursement)
    return disbursement


@transaction.atomic
def disbursement_reject(*, disbursement: Disbursement, actor: Any, note: str) -> Disbursement:
    disbursement = _lock_disbursement(disbursement)
    _not_the_maker(disbursement.maker_id, actor, _("disbursement"))
    if not note.strip():
        raise LedgerError(_("Say why the disbursement is rejected."))
    _transition(disbursement, "reject")
    disbursement.decision_note = note.strip()
    _save_transition(disbursement)
    return disbursement


@transaction.atomic
def disbursement_cancel(*, disbursement: Disbursement, actor: Any, note: str = "") -> Disbursement:
    """Cancels a draft, a submitted or an approved (not yet paid) disbursement; an
    approval is reversed, so the money is available again."""
    disbursement = _lock_disbursement(disbursement)
    approved = disbursement.status == Disbursement.Status.APPROVED
    _transition(disbursement, "cancel")
    if approved and disbursement.approve_entry:
        entry_reverse(
            entry=disbursement.approve_entry,
            value_date=clock.today(),
            actor=actor,
            memo=_("Disbursement %(number)s cancelled") % {"number": disbursement.number},
        )
    disbursement.decision_note = note.strip() or disbursement.decision_note
    _save_transition(disbursement)
    return disbursement


@transaction.atomic
def disbursement_pay(
    *,
    disbursement: Disbursement,
    bank_account: BankAccount,
    paid_on: dt.date,
    bank_reference: str,
    actor: Any,
) -> Disbursement:
    """The bank confirmed the payment. Budget book: Dr disbursed, Cr approved; cash book:
    Dr grant expense (or the receivable, for repayable funding), Cr bank. Refused when
    the payment would be dated before the approval."""
    disbursement = _lock_disbursement(disbursement)
    bank_reference = bank_reference.strip()
    if not bank_reference:
        raise LedgerError(_("The bank reference (流水号) of the payment is required."))
    approved_on = disbursement.approved_on
    if approved_on is not None and paid_on < approved_on:
        raise LedgerError(
            _(
                "Disbursement %(number)s was approved on %(approved)s; it cannot have been "
                "paid on %(paid)s, before its approval."
            )
            % {
                "number": disbursement.number,
                "approved": approved_on.isoformat(),
                "paid": paid_on.isoformat(),
            }
        )
    if (
        Disbursement.objects.filter(bank_reference=bank_reference)
        .exclude(pk=disbursement.pk)
        .exists()
    ):
        raise LedgerError(
            _("Bank reference %(ref)s is already used by another payment.")
            % {"ref": bank_reference}
        )
    _transition(disbursement, "pay")
    line = disbursement.budget_line
    fen = disbursement.amount_fen
    repayable = disbursement.repayable
    if repayable is not None:
        target = repayable_account(repayable, Kind.RECEIVABLE)
    else:
        target = line_account(line, Kind.GRANT_EXPENSE)
    disbursement.pay_entry = entry_post(
        idempotency_key=f"disbursement-pay:{disbursement.pk}",
        kind=Entry.Kind.PAY,
        value_date=paid_on,
        legs=[
            _debit(line_account(line, Kind.DISBURSED), fen),
            _credit(line_account(line, Kind.APPROVED), fen),
            _debit(target, fen),
            _credit(bank_account.account, fen),
        ],
        actor=actor,
        memo=f"{disbursement.number} {disbursement.payee_name}",
    )
    disbursement.bank_account = bank_account
    disbursement.paid_on = paid_on
    disbursement.bank_reference = bank_reference
    _save_transition(disbursement)
    if repayable is not None:
        repayable = lock_one(RepayableAccount, repayable.pk)
        if repayable.status == RepayableAccount.Status.SCHEDULED:
            _transition(repayable, "activate")
            _save_transition(repayable)
    hooks.disbursement_paid(disbursement)
    return disbursement


@transaction.atomic
def disbursement_return(
    *, disbursement: Disbursement, value_date: dt.date, actor: Any, reason: str
) -> Disbursement:
    """Money came back (wrong account, project stopped): the payment and the approval
    are reversed, so the bank, the expense and the budget line are as before."""
    disbursement = _lock_disbursement(disbursement)
    if not reason.strip():
        raise LedgerError(_("Say why the money was returned."))
    _transition(disbursement, "return_funds")
    memo = _("Returned: %(reason)s") % {"reason": reason.strip()}
    assert disbursement.pay_entry is not None and disbursement.approve_entry is not None
    entry_reverse(entry=disbursement.pay_entry, value_date=value_date, actor=actor, memo=memo)
    entry_reverse(entry=disbursement.approve_entry, value_date=value_date, actor=actor, memo=memo)
    disbursement.decision_note = reason.strip()
    _save_transition(disbursement)
    return disbursement
