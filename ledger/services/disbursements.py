"""Disbursements (拨付单): made, submitted, approved by a second person, paid, returned."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock

from .. import hooks
from ..errors import LedgerError
from ..locks import lock_accounts, lock_one, lock_rows
from ..models import (
    Account,
    BankAccount,
    BudgetLine,
    Commitment,
    Disbursement,
    Entry,
    Leg,
    RepayableAccount,
)
from ..money import positive_fen
from .budget import commitment_release, line_account
from .posting import (
    Kind,
    _actor_id,
    _check_payable,
    _credit,
    _debit,
    _not_the_maker,
    _numbered,
    _save_transition,
    _transition,
    check_value_date,
    entry_post,
    entry_reverse,
)
from .repayable import repayable_account, repayable_call_in

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
    """A draft 拨付单 made by ``actor`` (the maker), for a record that may still receive
    money (``hooks.payment_refusals``)."""
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
    _check_payable(project_ref.strip())
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


def _lock_payable(disbursement: Disbursement) -> Disbursement:
    """Levels 1 and 2 of ``ledger.locks``: the record the money is for (asked whether it may
    still receive money), then the disbursement."""
    project_ref = (
        Disbursement.objects.filter(pk=disbursement.pk)
        .values_list("project_ref", flat=True)
        .first()
    )
    _check_payable(project_ref or "")
    return _lock_disbursement(disbursement)


def disbursement_accounts(disbursement: Disbursement) -> list[int]:
    """Every account paying ``disbursement`` touches (level 3 of ``ledger.locks``)."""
    pks = list(
        Account.objects.filter(
            budget_line_id=disbursement.budget_line_id,
            project_ref="",
            kind__in=[Kind.AVAILABLE, Kind.APPROVED, Kind.DISBURSED, Kind.GRANT_EXPENSE],
        ).values_list("pk", flat=True)
    )
    if disbursement.commitment is not None:
        pks.append(disbursement.commitment.account_id)
    if disbursement.repayable_id:
        pks += Account.objects.filter(
            repayable_id=disbursement.repayable_id, kind=Kind.RECEIVABLE
        ).values_list("pk", flat=True)
    return pks


@transaction.atomic
def disbursement_submit(*, disbursement: Disbursement, actor: Any) -> Disbursement:
    disbursement = _lock_payable(disbursement)
    _transition(disbursement, "submit")
    _save_transition(disbursement)
    return disbursement


@transaction.atomic
def disbursement_approve(*, disbursement: Disbursement, actor: Any, note: str = "") -> Disbursement:
    """The checker approves: the money is reserved (Dr approved-awaiting-payment, Cr the
    commitment or, without one, the line's available). Refused, with the figures, when
    it does not fit, or when the record may no longer receive money."""
    disbursement = _lock_payable(disbursement)
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
    if approved and disbursement.approve_entry_id:
        lock_accounts(
            Leg.objects.filter(entry=disbursement.approve_entry_id).values_list(
                "account_id", flat=True
            )
        )
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
    the payment would be dated before the approval or after today, and when the record
    may no longer receive money (disqualified, terminated …).

    Locks (``ledger.locks``): the record, the disbursement, its repayable account, then
    every account of the payment, before the posting."""
    disbursement = _lock_payable(disbursement)
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
    check_value_date(paid_on, what=_("The payment date"))
    repayable = disbursement.repayable
    if repayable is not None:
        repayable = lock_one(RepayableAccount, repayable.pk)
    lock_accounts([*disbursement_accounts(disbursement), bank_account.account_id])
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
    try:
        with transaction.atomic():
            _save_transition(disbursement)
    except IntegrityError as error:  # the same 流水号 paid at the same moment elsewhere
        raise LedgerError(
            _("Bank reference %(ref)s is already used by another payment.")
            % {"ref": bank_reference}
        ) from error
    if repayable is not None and repayable.status == RepayableAccount.Status.SCHEDULED:
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
    check_value_date(
        value_date,
        what=_("The date the money came back"),
        earliest=(disbursement.paid_on or value_date, _("the payment")),
    )
    lock_accounts(
        Leg.objects.filter(
            entry__in=[disbursement.pay_entry_id, disbursement.approve_entry_id]
        ).values_list("account_id", flat=True)
    )
    entry_reverse(entry=disbursement.pay_entry, value_date=value_date, actor=actor, memo=memo)
    entry_reverse(entry=disbursement.approve_entry, value_date=value_date, actor=actor, memo=memo)
    disbursement.decision_note = reason.strip()
    _save_transition(disbursement)
    return disbursement


OPEN_ORDERS = (
    Disbursement.Status.DRAFT,
    Disbursement.Status.SUBMITTED,
    Disbursement.Status.APPROVED,
)


@dataclass(frozen=True)
class PaymentsStopped:
    """What ``payments_stop`` did, for the domain's trail."""

    cancelled: list[Disbursement]
    released_fen: int
    called_in: list[RepayableAccount]


@transaction.atomic
def payments_stop(
    *, project_ref: str, actor: Any, reason: str, call_in: bool = True
) -> PaymentsStopped:
    """A domain event ended the record's right to money (disqualified, rejected, withdrawn,
    terminated, failed): every open payment order of ``project_ref`` (draft, submitted,
    approved — an approval is reversed) is cancelled with ``reason``, every commitment
    left is released, and, with ``call_in``, repayable money that is out falls due at once.

    Locks (``ledger.locks``; the caller holds the domain record): the open orders, then
    the repayable accounts, then every account all of it touches, then the postings."""
    project_ref = project_ref.strip()
    reason = reason.strip()
    if not project_ref or not reason:
        raise LedgerError(_("Stopping payments needs the record and the reason."))
    orders = lock_rows(
        Disbursement,
        Disbursement.objects.filter(project_ref=project_ref, status__in=OPEN_ORDERS).values_list(
            "pk", flat=True
        ),
    )
    repayables = lock_rows(
        RepayableAccount,
        RepayableAccount.objects.filter(
            project_ref=project_ref,
            status__in=[
                RepayableAccount.Status.ACTIVE,
                RepayableAccount.Status.OVERDUE,
                RepayableAccount.Status.RESCHEDULED,
            ],
        ).values_list("pk", flat=True)
        if call_in
        else [],
    )
    commitments = list(
        Commitment.objects.filter(project_ref=project_ref).select_related("budget_line")
    )
    accounts: list[int] = []
    for order in orders.values():
        accounts += disbursement_accounts(order)
    for commitment in commitments:
        accounts += [commitment.account_id, line_account(commitment.budget_line, Kind.AVAILABLE).pk]
    accounts += Account.objects.filter(repayable__in=list(repayables)).values_list("pk", flat=True)
    lock_accounts(accounts)
    cancelled = [
        disbursement_cancel(disbursement=order, actor=actor, note=reason)
        for order in orders.values()
    ]
    released = 0
    for commitment in commitments:
        entry = commitment_release(
            commitment=commitment, value_date=clock.today(), actor=actor, reason=reason
        )
        if entry is not None:
            released += sum(leg.amount for leg in entry.legs.all() if leg.amount > 0)
    called = [
        repayable_call_in(account=account, as_of=clock.today(), actor=actor, reason=reason)
        for account in repayables.values()
    ]
    return PaymentsStopped(cancelled=cancelled, released_fen=released, called_in=called)
