"""Bank accounts, funds received, and bank statements: import, matching and the closing
balance check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from core import clock

from .. import hooks
from ..errors import LedgerError
from ..locks import lock_accounts, lock_one, lock_rows
from ..models import (
    BankAccount,
    BankStatement,
    Disbursement,
    Entry,
    Leg,
    RepayableAccount,
    Repayment,
    StatementLine,
    SurplusReturn,
)
from ..money import fen_to_yuan, format_fen, positive_fen, yuan_to_fen
from .disbursements import _lock_disbursement, disbursement_accounts, disbursement_pay
from .posting import (
    Kind,
    _actor_id,
    _check_payable,
    _credit,
    _debit,
    _new_account,
    _save_transition,
    _transition,
    _user_id,
    check_value_date,
    entry_post,
)
from .repayable import repayment_record
from .surplus import check_surplus_fits, surplus_accounts, surplus_receive

# --- bank accounts ---------------------------------------------------------------------


@transaction.atomic
def bank_account_open(
    *, name: str, bank_name: str, account_number: str, scope_path: str, actor: Any = None
) -> BankAccount:
    number = "".join(account_number.split())
    if BankAccount.objects.filter(account_number=number).exists():
        raise LedgerError(_("Bank account %(number)s already exists.") % {"number": number})
    bank = _new_account(
        code=f"bank:{number}",
        name=_("Bank %(name)s") % {"name": name},
        kind=Kind.BANK,
        scope_path=scope_path,
    )
    revenue = _new_account(
        code=f"revenue:{number}",
        name=_("Fiscal revenue into %(name)s") % {"name": name},
        kind=Kind.FISCAL_REVENUE,
        scope_path=scope_path,
    )
    return BankAccount.objects.create(
        name=name.strip(),
        bank_name=bank_name.strip(),
        account_number=number,
        scope_path=scope_path,
        account=bank,
        revenue_account=revenue,
    )


@transaction.atomic
def bank_funding_record(
    *,
    bank_account: BankAccount,
    amount: Decimal,
    value_date: dt.date,
    actor: Any,
    idempotency_key: str,
    memo: str = "",
) -> Entry:
    """Fiscal funds arriving in the bank (cash book: Dr bank, Cr fiscal revenue)."""
    fen = positive_fen(amount)
    check_value_date(value_date, what=_("The date the funds arrived"))
    return entry_post(
        idempotency_key=idempotency_key,
        kind=Entry.Kind.BANK_FUNDING,
        value_date=value_date,
        legs=[_debit(bank_account.account, fen), _credit(bank_account.revenue_account, fen)],
        actor=actor,
        memo=memo or _("Funds received"),
    )


# --- bank statements -----------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One good row of a 银行流水 file (see ``ledger.xlsx``)."""

    row_no: int
    txn_date: dt.date
    amount_fen: int
    direction: str
    counterparty_name: str
    counterparty_account: str
    memo: str
    bank_reference: str


@transaction.atomic
def statement_create(
    *,
    bank_account: BankAccount,
    period_start: dt.date,
    period_end: dt.date,
    opening_balance: Decimal,
    closing_balance: Decimal,
    actor: Any,
    file_name: str = "",
) -> BankStatement:
    if period_end < period_start:
        raise LedgerError(_("The statement period ends before it starts."))
    check_value_date(period_start, what=_("The start of the statement period"))
    check_value_date(period_end, what=_("The end of the statement period"))
    return BankStatement.objects.create(
        bank_account=bank_account,
        period_start=period_start,
        period_end=period_end,
        opening_balance_fen=yuan_to_fen(opening_balance),
        closing_balance_fen=yuan_to_fen(closing_balance),
        file_name=file_name[:200],
        scope_path=bank_account.scope_path,
        imported_by_id=_actor_id(actor),
    )


@transaction.atomic
def statement_line_add(*, statement: BankStatement, row: StatementRow) -> StatementLine:
    check_value_date(
        row.txn_date,
        what=_("The transaction date of row %(row)d") % {"row": row.row_no},
        earliest=(statement.period_start, _("the start of the statement period")),
        latest=(statement.period_end, _("the end of the statement period")),
    )
    if StatementLine.objects.filter(
        bank_account=statement.bank_account, bank_reference=row.bank_reference
    ).exists():
        raise LedgerError(
            _("Bank reference %(ref)s has already been imported.") % {"ref": row.bank_reference}
        )
    return StatementLine.objects.create(
        statement=statement,
        bank_account=statement.bank_account,
        row_no=row.row_no,
        txn_date=row.txn_date,
        direction=row.direction,
        amount_fen=row.amount_fen,
        counterparty_name=row.counterparty_name,
        counterparty_account=row.counterparty_account,
        memo=row.memo,
        bank_reference=row.bank_reference,
        scope_path=statement.scope_path,
    )


@dataclass
class MatchReport:
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0


def _disbursement_candidates(line: StatementLine) -> tuple[str, list[Disbursement]]:
    """Open disbursements of the line's amount approved on or before the line's date (a
    bank line cannot be the payment of a disbursement approved after it): first those
    the line names (its 流水号, or the disbursement's number in its memo), else those to
    the line's counterparty."""
    open_for_bank = list(
        Disbursement.objects.filter(
            status__in=[Disbursement.Status.APPROVED, Disbursement.Status.PAID],
            amount_fen=line.amount_fen,
            statement_line__isnull=True,
            approved_at__lte=clock.end_of_day(line.txn_date),
        )
        .filter(Q(bank_account__isnull=True) | Q(bank_account=line.bank_account))
        .order_by("pk")
    )
    by_reference = [
        d
        for d in open_for_bank
        if d.bank_reference == line.bank_reference or (line.memo and d.number in line.memo)
    ]
    if by_reference:
        return StatementLine.Method.REFERENCE, by_reference
    by_counterparty = [
        d
        for d in open_for_bank
        if (line.counterparty_account and d.payee_account == line.counterparty_account)
        or (line.counterparty_name and d.payee_name == line.counterparty_name)
    ]
    return StatementLine.Method.AMOUNT, by_counterparty


def _repayment_candidates(line: StatementLine) -> tuple[str, list[Repayment]]:
    open_repayments = Repayment.objects.filter(
        reconciled=False, amount_fen=line.amount_fen, bank_account=line.bank_account
    )
    by_reference = list(open_repayments.filter(bank_reference=line.bank_reference))
    if by_reference:
        return StatementLine.Method.REFERENCE, by_reference
    counterparty = Q(pk__in=[])
    if line.counterparty_account:
        counterparty |= Q(account__borrower_account=line.counterparty_account)
    if line.counterparty_name:
        counterparty |= Q(payer_name=line.counterparty_name)
    return StatementLine.Method.AMOUNT, list(open_repayments.filter(counterparty).order_by("pk"))


def _surplus_candidates(line: StatementLine) -> tuple[str, list[SurplusReturn]]:
    """结余 due of the line's amount, due on or before its date: first those the line
    names (the 结余's number or the project's number in its memo), else those from the
    line's counterparty (the unit's account or name); else, with no method, those of the
    amount alone, for a person to choose from."""
    open_surplus = list(
        SurplusReturn.objects.filter(
            status=SurplusReturn.Status.DUE,
            amount_fen=line.amount_fen,
            due_entry__value_date__lte=line.txn_date,
        )
        .select_related("budget_line")
        .order_by("pk")
    )
    bank_path = line.bank_account.scope_path
    open_surplus = [s for s in open_surplus if s.budget_line.scope_path.startswith(bank_path)]
    by_reference = [
        s
        for s in open_surplus
        if line.memo and (s.number in line.memo or s.project_ref in line.memo)
    ]
    if by_reference:
        return StatementLine.Method.REFERENCE, by_reference
    by_counterparty = [
        s
        for s in open_surplus
        if (line.counterparty_account and s.payer_account == line.counterparty_account)
        or (line.counterparty_name and s.payer_name == line.counterparty_name)
    ]
    if by_counterparty:
        return StatementLine.Method.AMOUNT, by_counterparty
    # the amount alone: offered to a person, never matched on it
    return "", open_surplus


def _apply_match(
    line: StatementLine,
    *,
    method: str,
    actor: Any,
    disbursement: Disbursement | None = None,
    repayment: Repayment | None = None,
    surplus: SurplusReturn | None = None,
) -> None:
    if disbursement is not None:
        if disbursement.status == Disbursement.Status.APPROVED:
            disbursement = disbursement_pay(
                disbursement=disbursement,
                bank_account=line.bank_account,
                paid_on=line.txn_date,
                bank_reference=line.bank_reference,
                actor=actor,
            )
        disbursement = _lock_disbursement(disbursement)
        _transition(disbursement, "reconcile")
        _save_transition(disbursement)
        line.disbursement = disbursement
    if repayment is not None:
        Repayment.objects.filter(pk=repayment.pk).update(reconciled=True)
        line.repayment = repayment
    if surplus is not None:
        surplus_receive(surplus=surplus, line=line, actor=actor)
    line.status = StatementLine.MatchStatus.MATCHED
    line.method = method
    line.candidates = []
    line.matched_by_id = _user_id(actor)
    line.matched_at = clock.now()
    line.save()


@dataclass
class _Planned:
    line: StatementLine
    method: str = ""
    disbursement: Disbursement | None = None
    repayment: Repayment | None = None
    surplus: SurplusReturn | None = None
    candidates: list[str] = field(default_factory=list)


def _plan_matches(statement: BankStatement) -> list[_Planned]:
    """What each open line would match, line by line as if each match were made (a
    payment or repayment taken by one line is no candidate of the next); nothing locked,
    nothing written."""
    taken_d: set[int] = set()
    taken_r: set[int] = set()
    taken_s: set[int] = set()
    plan = []
    for line in statement.lines.exclude(
        status__in=[StatementLine.MatchStatus.MATCHED, StatementLine.MatchStatus.IGNORED]
    ).order_by("row_no"):
        if line.direction == StatementLine.Direction.OUT:
            method, found = _disbursement_candidates(line)
            disbursements = [d for d in found if d.pk not in taken_d]
            if len(disbursements) == 1 and (
                method == StatementLine.Method.REFERENCE
                or disbursements[0].status == Disbursement.Status.PAID
            ):
                taken_d.add(disbursements[0].pk)
                plan.append(_Planned(line, method, disbursement=disbursements[0]))
            else:
                plan.append(
                    _Planned(line, candidates=[f"disbursement:{d.pk}" for d in disbursements])
                )
        else:
            method, found_r = _repayment_candidates(line)
            repayments = [r for r in found_r if r.pk not in taken_r]
            method_s, found_s = _surplus_candidates(line)
            surpluses = [s for s in found_s if s.pk not in taken_s]
            # what the line names beats what only has its amount and counterparty
            named_r = method == StatementLine.Method.REFERENCE and bool(repayments)
            named_s = method_s == StatementLine.Method.REFERENCE and bool(surpluses)
            if (named_r and not named_s) or (repayments and not method_s):
                surpluses = []
            elif named_s and not named_r:
                repayments = []
            if len(repayments) == 1 and not surpluses:
                taken_r.add(repayments[0].pk)
                plan.append(_Planned(line, method, repayment=repayments[0]))
            elif len(surpluses) == 1 and not repayments and method_s:
                taken_s.add(surpluses[0].pk)
                plan.append(_Planned(line, method_s, surplus=surpluses[0]))
            else:
                plan.append(
                    _Planned(
                        line,
                        candidates=[f"repayment:{r.pk}" for r in repayments]
                        + [f"surplus:{s.pk}" for s in surpluses],
                    )
                )
    return plan


@transaction.atomic
def statement_auto_match(*, statement: BankStatement, actor: Any) -> MatchReport:
    """Matches each open line: by reference (流水号 or the disbursement's number in
    the memo), then by amount and counterparty, among disbursements approved on or
    before the line's date. One candidate is a match; several are left to a person; none
    leaves the line unmatched. A match by amount and counterparty alone does not pay an
    approved disbursement (same amount, same payee is a guess, and paying posts money):
    the line waits for a person with that one candidate; it does reconcile a payment
    already booked.

    The matches are planned first; then, in the order of ``ledger.locks``, the records
    the payments are for are asked whether they may still receive money, the payments
    and every account the postings touch are locked, and only then is anything paid. A
    payment whose record may no longer receive money, or that someone changed meanwhile,
    is left for a person."""
    plan = _plan_matches(statement)
    to_pay: list[Disbursement] = [
        p.disbursement
        for p in plan
        if p.disbursement is not None and p.disbursement.status == Disbursement.Status.APPROVED
    ]
    refused = hooks.payment_refusals([d.project_ref for d in to_pay])
    locked = lock_rows(
        Disbursement, [p.disbursement.pk for p in plan if p.disbursement is not None]
    )
    locked_s = lock_rows(SurplusReturn, [p.surplus.pk for p in plan if p.surplus is not None])
    accounts = [statement.bank_account.account_id]
    for payment in to_pay:
        accounts += disbursement_accounts(payment)
    for surplus in locked_s.values():
        accounts += surplus_accounts(surplus)
    lock_accounts(accounts)
    report = MatchReport()
    for planned in plan:
        line, disbursement = planned.line, planned.disbursement
        if disbursement is not None:
            current = locked.get(disbursement.pk)
            if (
                current is None
                or current.status != disbursement.status
                or refused.get(disbursement.project_ref)
            ):
                planned = _Planned(line, candidates=[f"disbursement:{disbursement.pk}"])
        if planned.surplus is not None:
            current_s = locked_s.get(planned.surplus.pk)
            if current_s is None or current_s.status != SurplusReturn.Status.DUE:
                planned = _Planned(line)
        if (
            planned.disbursement is not None
            or planned.repayment is not None
            or planned.surplus is not None
        ):
            _apply_match(
                line,
                method=planned.method,
                actor=actor,
                disbursement=planned.disbursement,
                repayment=planned.repayment,
                surplus=planned.surplus,
            )
            report.matched += 1
            continue
        if planned.candidates:
            line.status = StatementLine.MatchStatus.AMBIGUOUS
            report.ambiguous += 1
        else:
            line.status = StatementLine.MatchStatus.UNMATCHED
            report.unmatched += 1
        line.candidates = planned.candidates
        line.save(update_fields=["status", "candidates"])
    return report


@transaction.atomic
def statement_import(
    *,
    bank_account: BankAccount,
    rows: Sequence[StatementRow],
    period_start: dt.date,
    period_end: dt.date,
    opening_balance: Decimal,
    closing_balance: Decimal,
    actor: Any,
    file_name: str = "",
) -> tuple[BankStatement, MatchReport]:
    """Stores the rows (all or none) and matches what it can."""
    statement = statement_create(
        bank_account=bank_account,
        period_start=period_start,
        period_end=period_end,
        opening_balance=opening_balance,
        closing_balance=closing_balance,
        actor=actor,
        file_name=file_name,
    )
    for row in rows:
        statement_line_add(statement=statement, row=row)
    return statement, statement_auto_match(statement=statement, actor=actor)


@transaction.atomic
def statement_line_match(
    *,
    line: StatementLine,
    actor: Any,
    disbursement: Disbursement | None = None,
    repayment: Repayment | None = None,
    surplus: SurplusReturn | None = None,
) -> StatementLine:
    """A person settles an ambiguous or unmatched line: with a payment, a repayment or the
    return of a 结余. Paying an approved payment asks first whether its record may still
    receive money (level 1 of ``ledger.locks``, before the line is locked)."""
    if disbursement is not None and disbursement.status == Disbursement.Status.APPROVED:
        _check_payable(disbursement.project_ref)
    line = lock_one(StatementLine, line.pk)
    if line.status == StatementLine.MatchStatus.MATCHED:
        raise LedgerError(_("This line is already matched."))
    if [disbursement, repayment, surplus].count(None) != 2:
        raise LedgerError(_("Choose one payment, one repayment or one unspent balance."))
    if disbursement is not None:
        if line.direction != StatementLine.Direction.OUT:
            raise LedgerError(_("Money received cannot match a disbursement."))
        if disbursement.amount_fen != line.amount_fen:
            raise LedgerError(_("The amounts differ."))
        if hasattr(disbursement, "statement_line"):
            raise LedgerError(_("That payment is already matched to another line."))
        approved_on = disbursement.approved_on
        if approved_on is None or approved_on > line.txn_date:
            raise LedgerError(
                _(
                    "That payment was not approved by %(date)s, the date of this line: "
                    "the line cannot be its payment."
                )
                % {"date": line.txn_date.isoformat()}
            )
    if repayment is not None:
        if line.direction != StatementLine.Direction.IN:
            raise LedgerError(_("A payment out cannot match a repayment."))
        if repayment.amount_fen != line.amount_fen or repayment.reconciled:
            raise LedgerError(_("That repayment does not fit this line."))
    if surplus is not None:
        check_surplus_fits(surplus, line)
    _apply_match(
        line,
        method=StatementLine.Method.MANUAL,
        actor=actor,
        disbursement=disbursement,
        repayment=repayment,
        surplus=surplus,
    )
    return line


@transaction.atomic
def statement_line_record_repayment(
    *, line: StatementLine, account: RepayableAccount, actor: Any
) -> Repayment:
    """Money received that no one recorded yet: record it as a repayment and match."""
    line = lock_one(StatementLine, line.pk)
    if line.direction != StatementLine.Direction.IN:
        raise LedgerError(_("Only money received can be a repayment."))
    if line.status == StatementLine.MatchStatus.MATCHED:
        raise LedgerError(_("This line is already matched."))
    repayment = repayment_record(
        account=account,
        amount=fen_to_yuan(line.amount_fen),
        value_date=line.txn_date,
        bank_account=line.bank_account,
        actor=actor,
        bank_reference=line.bank_reference,
        payer_name=line.counterparty_name,
    )
    _apply_match(line, method=StatementLine.Method.MANUAL, actor=actor, repayment=repayment)
    return repayment


@transaction.atomic
def statement_line_ignore(*, line: StatementLine, actor: Any) -> StatementLine:
    """Not ours to match (bank fees booked elsewhere, a transfer between own accounts)."""
    line = lock_one(StatementLine, line.pk)
    if line.status == StatementLine.MatchStatus.MATCHED:
        raise LedgerError(_("This line is already matched."))
    line.status = StatementLine.MatchStatus.IGNORED
    line.matched_by_id = _user_id(actor)
    line.matched_at = clock.now()
    line.save(update_fields=["status", "matched_by", "matched_at"])
    return line


@dataclass(frozen=True)
class BalanceCheck:
    ok: bool
    statement_closing_fen: int
    ledger_fen: int
    lines_closing_fen: int
    message: str

    @property
    def difference_fen(self) -> int:
        return self.statement_closing_fen - self.ledger_fen


def ledger_bank_balance(bank_account: BankAccount, as_of: dt.date) -> int:
    total = Leg.objects.filter(
        account_id=bank_account.account_id, entry__value_date__lte=as_of
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


@transaction.atomic
def statement_check_balance(*, statement: BankStatement, actor: Any) -> BalanceCheck:
    """Asserts the statement's closing balance against the bank account in the books as
    of the statement's last day; the result names the difference when there is one."""
    statement = lock_one(BankStatement, statement.pk)
    lines = statement.lines.aggregate(
        received=Sum("amount_fen", filter=Q(direction=StatementLine.Direction.IN)),
        paid=Sum("amount_fen", filter=Q(direction=StatementLine.Direction.OUT)),
    )
    lines_closing = statement.opening_balance_fen + (lines["received"] or 0) - (lines["paid"] or 0)
    ledger = ledger_bank_balance(statement.bank_account, statement.period_end)
    statement.ledger_balance_fen = ledger
    statement.checked_at = clock.now()
    statement.save(update_fields=["ledger_balance_fen", "checked_at"])
    closing = statement.closing_balance_fen
    if lines_closing != closing:
        message = _(
            "The statement does not add up: opening balance plus its lines is %(lines)s yuan, "
            "its closing balance %(closing)s yuan."
        ) % {"lines": format_fen(lines_closing), "closing": format_fen(closing)}
        return BalanceCheck(False, closing, ledger, lines_closing, message)
    if ledger != closing:
        message = _(
            "Not reconciled: the bank says %(bank)s yuan, the books say %(books)s yuan; "
            "the difference is %(diff)s yuan."
        ) % {
            "bank": format_fen(closing),
            "books": format_fen(ledger),
            "diff": format_fen(closing - ledger, sign=True),
        }
        return BalanceCheck(False, closing, ledger, lines_closing, message)
    message = _("Reconciled: the closing balance %(bank)s yuan agrees with the books.") % {
        "bank": format_fen(closing)
    }
    return BalanceCheck(True, closing, ledger, lines_closing, message)
