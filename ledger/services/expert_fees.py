"""Expert fees (专家劳务费) for one review panel: reserved on a budget line when the
finance checker approves the fee sheet, paid to the experts net of the individual income
tax withheld (个人所得税代扣).

The fee sheet itself belongs to the domain (``reviews``); the ledger knows it by an
opaque ``reference`` (the sheet's number), and answers for the money only:

* approval — budget book: Dr approved-awaiting-payment, Cr the line's available, the
  gross (refused, with the figures, when the line has not that much left);
* payment — budget book: Dr disbursed, Cr approved, the gross; cash book: Dr expert fee
  expenditure the gross, Cr bank the net paid out, Cr income tax withheld (payable) the
  tax. The two cash accounts of the line are opened at the first payment.

Locks (``ledger.locks``): the caller holds the fee sheet (level 1/2); these lock every
account of the posting at once (level 3) before it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..errors import LedgerError
from ..locks import lock_accounts
from ..models import Account, BankAccount, BudgetLine, Entry, Leg
from ..money import format_fen
from .budget import line_account
from .posting import (
    Kind,
    Posting,
    _actor_id,
    _credit,
    _debit,
    _new_account,
    _not_the_maker,
    check_value_date,
    entry_post,
    entry_reverse,
)

# The cash-book accounts of a budget line that only expert fees use.
FEE_KINDS = (Kind.EXPERT_FEE_EXPENSE, Kind.TAX_PAYABLE)


def fee_account(line: BudgetLine, kind: str) -> Account:
    """The line's expert-fee expenditure or tax-withheld account, opened on first use
    (a race to open it ends at the unique account code, and both use the one row)."""
    found = Account.objects.filter(budget_line=line, kind=kind, project_ref="").first()
    if found is not None:
        return found
    labels = dict(Kind.choices)
    try:
        with transaction.atomic():
            return _new_account(
                code=f"{line.code}:{kind}",
                name=f"{line.name} · {labels[kind]}",
                kind=kind,
                scope_path=line.scope_path,
                budget_line=line,
            )
    except IntegrityError:
        return Account.objects.get(budget_line=line, kind=kind, project_ref="")


def _check_amounts(gross_fen: int, tax_fen: int) -> None:
    for fen in (gross_fen, tax_fen):
        if not isinstance(fen, int) or isinstance(fen, bool):
            raise LedgerError(_("Leg amounts are whole fen."))
    if gross_fen <= 0:
        raise LedgerError(_("The expert fees to pay must be greater than zero."))
    if not 0 <= tax_fen < gross_fen:
        raise LedgerError(
            _("The tax withheld (%(tax)s yuan) must be less than the gross fees (%(gross)s yuan).")
            % {"tax": format_fen(tax_fen), "gross": format_fen(gross_fen)}
        )


@transaction.atomic
def expert_fees_approve(
    *,
    budget_line: BudgetLine,
    gross_fen: int,
    reference: str,
    maker_id: int,
    actor: Any,
    value_date: dt.date,
) -> Entry:
    """The finance checker approves the fee sheet ``reference`` made by ``maker_id``: the
    gross is reserved on the line (Dr approved, Cr available). Refused to the maker, and
    when the line has not the money left."""
    _not_the_maker(maker_id, actor, _("expert fee sheet"))
    _actor_id(actor)
    _check_amounts(gross_fen, 0)
    check_value_date(value_date, what=_("The approval date"))
    approved = line_account(budget_line, Kind.APPROVED)
    available = line_account(budget_line, Kind.AVAILABLE)
    lock_accounts([approved.pk, available.pk])
    return entry_post(
        idempotency_key=f"expert-fees-approve:{reference}",
        kind=Entry.Kind.APPROVE,
        value_date=value_date,
        legs=[_debit(approved, gross_fen), _credit(available, gross_fen)],
        actor=actor,
        memo=_("Expert fees %(reference)s approved") % {"reference": reference},
    )


@transaction.atomic
def expert_fees_release(*, entry: Entry, actor: Any, value_date: dt.date, reason: str) -> Entry:
    """An approved, unpaid sheet withdrawn: its reservation is reversed."""
    if not reason.strip():
        raise LedgerError(_("Say why the approval is withdrawn."))
    lock_accounts(Leg.objects.filter(entry=entry).values_list("account_id", flat=True))
    return entry_reverse(entry=entry, value_date=value_date, actor=actor, memo=reason.strip())


@transaction.atomic
def expert_fees_pay(
    *,
    budget_line: BudgetLine,
    gross_fen: int,
    tax_fen: int,
    bank_account: BankAccount,
    paid_on: dt.date,
    reference: str,
    actor: Any,
    earliest: dt.date | None = None,
    memo: str = "",
) -> Entry:
    """The experts of fee sheet ``reference`` were paid on ``paid_on``: the gross leaves the
    line's approved money for disbursed; the expenditure is the gross, the bank pays the
    net and the tax withheld is owed to the tax office. Posting twice under the same
    reference returns the first entry."""
    _actor_id(actor)
    _check_amounts(gross_fen, tax_fen)
    check_value_date(
        paid_on,
        what=_("The payment date"),
        earliest=(earliest, _("the approval")) if earliest else None,
    )
    if bank_account.scope_path and not budget_line.scope_path.startswith(bank_account.scope_path):
        raise LedgerError(
            _("Bank account %(bank)s does not belong to the region of the budget line.")
            % {"bank": bank_account.name}
        )
    expense = fee_account(budget_line, Kind.EXPERT_FEE_EXPENSE)
    payable = fee_account(budget_line, Kind.TAX_PAYABLE)
    disbursed = line_account(budget_line, Kind.DISBURSED)
    approved = line_account(budget_line, Kind.APPROVED)
    legs: list[Posting] = [
        _debit(disbursed, gross_fen),
        _credit(approved, gross_fen),
        _debit(expense, gross_fen),
        _credit(bank_account.account, gross_fen - tax_fen),
    ]
    if tax_fen:
        legs.append(_credit(payable, tax_fen))
    lock_accounts([leg.account.pk for leg in legs])
    return entry_post(
        idempotency_key=f"expert-fees-pay:{reference}",
        kind=Entry.Kind.EXPERT_FEES,
        value_date=paid_on,
        legs=legs,
        actor=actor,
        memo=memo or _("Expert fees %(reference)s paid") % {"reference": reference},
    )
