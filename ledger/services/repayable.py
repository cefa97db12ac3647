"""Repayable funding (有偿资金): accounts and schedules, accrual and aging, repayments,
展期 (reschedule), calling in, and 核销 (write-off)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from core import clock

from ..errors import LedgerError
from ..locks import lock_accounts, lock_one
from ..models import (
    Account,
    AgingBucket,
    BankAccount,
    BudgetLine,
    ChangeStatus,
    Disbursement,
    Entry,
    Instalment,
    RepayableAccount,
    Repayment,
    Reschedule,
    WriteOff,
    aging_bucket,
)
from ..money import format_fen, positive_fen, round_to_fen
from ..schedule import build_schedule
from .posting import (
    REPAYABLE_KINDS,
    Kind,
    _actor_id,
    _credit,
    _debit,
    _new_account,
    _not_the_maker,
    _numbered,
    _save_transition,
    _transition,
    ahead,
    check_value_date,
    entry_post,
)
from .recovery_rules import ENTRY_KIND, repayment_path, write_off_problem

# --- repayable funding ---------------------------------------------------------------


def repayable_account(account: RepayableAccount, kind: str) -> Account:
    return Account.objects.get(repayable=account, kind=kind)


def _repayable_balances(account: RepayableAccount) -> dict[str, int]:
    """Normal-side balances of the repayable account's accounts, by kind."""
    return {a.kind: a.normal_balance for a in Account.objects.filter(repayable=account)}


@transaction.atomic
def repayable_open(
    *,
    budget_line: BudgetLine,
    project_ref: str,
    borrower_name: str,
    principal: Decimal,
    start_date: dt.date,
    term_months: int,
    grace_months: int,
    period_months: int,
    method: str,
    fee_rate: Decimal,
    overdue_rate: Decimal,
    actor: Any,
    scope_path: str = "",
    borrower_account: str = "",
    borrower_ref: str = "",
) -> RepayableAccount:
    """A receivable with its schedule (rules in ``ledger.schedule``). It becomes active
    when its disbursement is paid. Rates are decimals: 0.02 is 2 % a year, 0.0005 is
    0.05 % a day (万分之五)."""
    if not isinstance(fee_rate, Decimal) or not isinstance(overdue_rate, Decimal):
        raise LedgerError(_("Rates are exact decimals."))
    fen = positive_fen(principal)
    _check_term(term_months)
    check_value_date(
        start_date,
        what=_("The start of the repayment schedule"),
        latest=ahead(dt.timedelta(days=366 * 10)),
    )
    plan = build_schedule(
        principal_fen=fen,
        start_date=start_date,
        term_months=term_months,
        grace_months=grace_months,
        period_months=period_months,
        bullet=method == RepayableAccount.Method.BULLET,
        fee_rate=fee_rate,
    )
    account = RepayableAccount(
        number=f"tmp-{uuid.uuid4().hex[:24]}",
        project_ref=project_ref.strip(),
        borrower_name=borrower_name.strip(),
        borrower_ref=borrower_ref.strip(),
        borrower_account="".join(borrower_account.split()),
        budget_line=budget_line,
        scope_path=scope_path or budget_line.scope_path,
        principal_fen=fen,
        start_date=start_date,
        term_months=term_months,
        grace_months=grace_months,
        period_months=period_months,
        method=method,
        fee_rate=fee_rate,
        overdue_rate=overdue_rate,
        created_by_id=_actor_id(actor),
    )
    account.save()
    _numbered(account, f"YC{start_date.year}")
    labels = dict(Kind.choices)
    for kind in REPAYABLE_KINDS:
        _new_account(
            code=f"repayable:{account.number}:{kind}",
            name=f"{account.borrower_name} · {labels[kind]}",
            kind=kind,
            scope_path=account.scope_path,
            repayable=account,
            project_ref=account.project_ref,
        )
    Instalment.objects.bulk_create(
        [
            Instalment(
                account=account,
                seq=n,
                due_date=p.due_date,
                principal_due_fen=p.principal_fen,
                fee_due_fen=p.fee_fen,
            )
            for n, p in enumerate(plan, start=1)
        ]
    )
    return account


# The longest repayment term or 展期 the services accept (30 years): beyond any real
# programme's rules, and inside every column that stores a number of months.
MAX_TERM_MONTHS = 360


def _check_term(term_months: int) -> None:
    if not 0 < term_months <= MAX_TERM_MONTHS:
        raise LedgerError(
            _("The term must be between 1 and %(max)d months; %(n)s months is not.")
            % {"max": MAX_TERM_MONTHS, "n": term_months}
        )


def _lock_repayable(pk: int, *, extra_accounts: Sequence[int] = ()) -> RepayableAccount:
    """Levels 2 and 3 of ``ledger.locks``: the repayable account, then all its accounts
    (and ``extra_accounts``, e.g. the receiving bank's) before anything is posted: the
    fees and overdue fee it accrues and the entry that follows touch subsets of them."""
    account = lock_one(RepayableAccount, pk)
    lock_accounts(
        [*Account.objects.filter(repayable=account).values_list("pk", flat=True), *extra_accounts]
    )
    return account


def paid_out_on(account: RepayableAccount) -> dt.date | None:
    """The day the money first went out (no receipt, 展期 or write-off before it)."""
    return (
        Disbursement.objects.filter(repayable=account, paid_on__isnull=False)
        .order_by("paid_on")
        .values_list("paid_on", flat=True)
        .first()
    )


def repayment_date_problem(account: RepayableAccount, value_date: dt.date) -> str | None:
    """Why money cannot have been received on ``value_date`` for ``account`` (None: it
    can): not after today; not before the money went out, nor, after a write-off, before
    the write-off. The web form, the 还款 import and ``repayment_record`` all ask this."""
    what = _("The repayment date")
    try:
        if account.status == RepayableAccount.Status.WRITTEN_OFF:
            written = (
                account.write_offs.filter(status=ChangeStatus.APPROVED)
                .order_by("-value_date")
                .values_list("value_date", flat=True)
                .first()
            )
            earliest = (written, _("the write-off")) if written else None
        else:
            out = paid_out_on(account)
            earliest = (out, _("the day the money was paid out")) if out else None
        check_value_date(value_date, what=what, earliest=earliest)
    except LedgerError as error:
        return error.message
    return None


def _accrue(account: RepayableAccount, through: dt.date, actor: Any) -> None:
    """Books the usage fees that fell due by ``through`` and the overdue fee up to and
    including that day. Idempotent for a date; ``account`` must be locked."""
    if account.status in (
        RepayableAccount.Status.SCHEDULED,
        RepayableAccount.Status.WRITTEN_OFF,
        RepayableAccount.Status.REPAID,
    ):
        return
    accounts = {a.kind: a for a in Account.objects.filter(repayable=account)}
    instalments = list(account.instalments.order_by("due_date", "seq"))
    for inst in instalments:
        if inst.due_date <= through and not inst.fee_recognised and inst.fee_due_fen > 0:
            entry_post(
                idempotency_key=f"fee:{inst.pk}",
                kind=Entry.Kind.FEE,
                value_date=inst.due_date,
                legs=[
                    _debit(accounts[Kind.FEE_RECEIVABLE], inst.fee_due_fen),
                    _credit(accounts[Kind.USAGE_FEE_INCOME], inst.fee_due_fen),
                ],
                actor=actor,
                memo=_("Usage fee of instalment %(n)d") % {"n": inst.seq},
            )
            inst.fee_recognised = True
            inst.save(update_fields=["fee_recognised"])
    start = account.penalty_through or account.start_date
    if through <= start:
        return
    exact = Decimal(0)
    for inst in instalments:
        unpaid = inst.unpaid_fen
        if unpaid <= 0 or inst.due_date >= through:
            continue
        days = (through - max(inst.due_date, start)).days
        if days > 0:
            exact += Decimal(unpaid) * account.overdue_rate * days
    account.penalty_exact += exact
    account.penalty_through = through
    account.save(update_fields=["penalty_exact_e8", "penalty_through"])
    booked = accounts[Kind.PENALTY_INCOME].normal_balance
    delta = round_to_fen(account.penalty_exact) - booked
    if delta > 0:
        entry_post(
            idempotency_key=f"penalty:{account.pk}:{through.isoformat()}",
            kind=Entry.Kind.PENALTY,
            value_date=through,
            legs=[
                _debit(accounts[Kind.PENALTY_RECEIVABLE], delta),
                _credit(accounts[Kind.PENALTY_INCOME], delta),
            ],
            actor=actor,
            memo=_("Overdue fee through %(date)s") % {"date": through.isoformat()},
        )


def _refresh_status(account: RepayableAccount, as_of: dt.date) -> None:
    """Overdue days, aging bucket and the overdue / cured / repaid transitions."""
    if account.status in (
        RepayableAccount.Status.SCHEDULED,
        RepayableAccount.Status.WRITTEN_OFF,
        RepayableAccount.Status.REPAID,
    ):
        return
    oldest = (
        account.instalments.filter(due_date__lt=as_of)
        .filter(
            Q(principal_paid_fen__lt=F("principal_due_fen")) | Q(fee_paid_fen__lt=F("fee_due_fen"))
        )
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    days = (as_of - oldest).days if oldest else 0
    account.days_overdue = days
    account.aging = aging_bucket(days)
    account.aged_as_of = as_of
    balances = _repayable_balances(account)
    owed = sum(i.unpaid_fen for i in account.instalments.all())
    if owed == 0 and balances.get(Kind.PENALTY_RECEIVABLE, 0) == 0:
        _transition(account, "settle")
    elif days > 0 and account.status != RepayableAccount.Status.OVERDUE:
        _transition(account, "fall_overdue")
    elif days == 0 and account.status == RepayableAccount.Status.OVERDUE:
        _transition(account, "cure")
    _save_transition(account)


@transaction.atomic
def repayable_age(*, account: RepayableAccount, as_of: dt.date, actor: Any = None) -> None:
    """The nightly step for one account (``manage.py age_receivables``)."""
    check_value_date(as_of, what=_("The aging date"))
    account = _lock_repayable(account.pk)
    _accrue(account, as_of, actor)
    _refresh_status(account, as_of)


@dataclass(frozen=True)
class AgingReport:
    accounts: int
    penalty_entries: int
    fee_entries: int


OPEN_REPAYABLE = (
    RepayableAccount.Status.ACTIVE,
    RepayableAccount.Status.OVERDUE,
    RepayableAccount.Status.RESCHEDULED,
)


def receivables_to_age() -> list[int]:
    """The repayable accounts the nightly aging looks at."""
    return list(
        RepayableAccount.objects.filter(status__in=OPEN_REPAYABLE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def receivables_age(*, as_of: dt.date, actor: Any = None) -> AgingReport:
    """Ages every open repayable account as of a date, one savepoint per account (the
    demo calls it inside its own transaction; the command commits account by account)."""
    before_penalties = Entry.objects.filter(kind=Entry.Kind.PENALTY).count()
    before_fees = Entry.objects.filter(kind=Entry.Kind.FEE).count()
    pks = receivables_to_age()
    for pk in pks:
        with transaction.atomic():
            repayable_age(account=RepayableAccount(pk=pk), as_of=as_of, actor=actor)
    return AgingReport(
        accounts=len(pks),
        penalty_entries=Entry.objects.filter(kind=Entry.Kind.PENALTY).count() - before_penalties,
        fee_entries=Entry.objects.filter(kind=Entry.Kind.FEE).count() - before_fees,
    )


def _save_repayment(repayment: Repayment) -> None:
    """A 流水号 recorded on another account at the same moment reaches the unique
    constraint: a refusal, not an IntegrityError."""
    try:
        with transaction.atomic():
            repayment.save()
    except IntegrityError as error:
        raise LedgerError(
            _("Bank reference %(ref)s is already recorded as a repayment.")
            % {"ref": repayment.bank_reference}
        ) from error


@transaction.atomic
def repayment_record(
    *,
    account: RepayableAccount,
    amount: Decimal,
    value_date: dt.date,
    bank_account: BankAccount,
    actor: Any,
    bank_reference: str = "",
    payer_name: str = "",
) -> Repayment:
    """Money received: first the overdue fee, then usage fees, then principal (oldest
    instalment first; principal beyond what is due repays the next instalments early
    and, once no principal is left, the fees of periods not yet due are dropped).
    After a write-off the money is booked as a recovery (Dr bank, Cr recoveries)."""
    fen = positive_fen(amount)
    bank_reference = bank_reference.strip()
    # Locks (ledger.locks): the repayable account, then all its accounts and the bank's,
    # before the fees accrued here and the repayment are posted.
    account = _lock_repayable(account.pk, extra_accounts=[bank_account.account_id])
    problem = repayment_date_problem(account, value_date)
    if problem:
        raise LedgerError(problem)
    # After the lock: a repayment of the same 流水号 that was waiting for it has committed.
    if bank_reference and Repayment.objects.filter(bank_reference=bank_reference).exists():
        raise LedgerError(
            _("Bank reference %(ref)s is already recorded as a repayment.")
            % {"ref": bank_reference}
        )
    accounts = {a.kind: a for a in Account.objects.filter(repayable=account)}
    # the path it came by (``recovery_rules.repayment_path``), read before it is applied
    path = repayment_path(account, value_date)
    common = {
        "path": path,
        "account": account,
        "value_date": value_date,
        "amount_fen": fen,
        "bank_reference": bank_reference,
        "payer_name": payer_name.strip() or account.borrower_name,
        "scope_path": account.scope_path,
        "bank_account": bank_account,
        "recorded_by_id": _actor_id(actor),
    }
    if account.status == RepayableAccount.Status.WRITTEN_OFF:
        entry = entry_post(
            idempotency_key=f"recovery:{account.pk}:{bank_reference or clock.now().isoformat()}",
            kind=Entry.Kind.RECOVERY,
            value_date=value_date,
            legs=[_debit(bank_account.account, fen), _credit(accounts[Kind.RECOVERY_INCOME], fen)],
            actor=actor,
            memo=_("Recovered after write-off: %(number)s") % {"number": account.number},
        )
        repayment = Repayment(number="", entry=entry, recovery_fen=fen, **common)
        repayment.number = f"tmp-{entry.pk}"
        _save_repayment(repayment)
        _numbered(repayment, "HK")
        return repayment
    if not account.takes_repayments:
        raise LedgerError(
            _("%(what)s is %(status)s; it takes no repayment.")
            % {"what": account, "status": account.get_status_display()}
        )
    _accrue(account, value_date, actor)
    accounts = {a.kind: a for a in Account.objects.filter(repayable=account)}
    remaining = fen
    penalty = min(remaining, accounts[Kind.PENALTY_RECEIVABLE].normal_balance)
    remaining -= penalty
    instalments = list(account.instalments.order_by("due_date", "seq"))
    fee = 0
    for inst in instalments:
        if inst.due_date > value_date or remaining == 0:
            continue
        part = min(remaining, inst.fee_due_fen - inst.fee_paid_fen)
        inst.fee_paid_fen += part
        fee += part
        remaining -= part
    principal = 0
    for inst in instalments:  # due instalments first, then early repayment in date order
        if remaining == 0:
            break
        part = min(remaining, inst.principal_due_fen - inst.principal_paid_fen)
        inst.principal_paid_fen += part
        principal += part
        remaining -= part
    if remaining > 0:
        owed = fen - remaining
        raise LedgerError(
            _("The repayment is %(extra)s yuan more than everything owed now (%(owed)s yuan).")
            % {"extra": format_fen(remaining), "owed": format_fen(owed)}
        )
    if all(i.principal_paid_fen == i.principal_due_fen for i in instalments):
        for inst in instalments:
            if inst.due_date > value_date and not inst.fee_recognised:
                inst.fee_due_fen = inst.fee_paid_fen
    Instalment.objects.bulk_update(
        instalments, ["fee_paid_fen", "principal_paid_fen", "fee_due_fen"]
    )
    legs = [_debit(bank_account.account, fen)]
    if penalty:
        legs.append(_credit(accounts[Kind.PENALTY_RECEIVABLE], penalty))
    if fee:
        legs.append(_credit(accounts[Kind.FEE_RECEIVABLE], fee))
    if principal:
        legs.append(_credit(accounts[Kind.RECEIVABLE], principal))
    entry = entry_post(
        idempotency_key=f"repayment:{account.pk}:{bank_reference or clock.now().isoformat()}",
        kind=ENTRY_KIND[path],
        value_date=value_date,
        legs=legs,
        actor=actor,
        memo=_("Repayment of %(number)s") % {"number": account.number},
    )
    repayment = Repayment(
        number=f"tmp-{entry.pk}",
        entry=entry,
        penalty_fen=penalty,
        fee_fen=fee,
        principal_fen=principal,
        **common,
    )
    _save_repayment(repayment)
    _numbered(repayment, "HK")
    _refresh_status(account, value_date)
    return repayment


def _schedule_snapshot(account: RepayableAccount) -> list[dict[str, Any]]:
    return [
        {
            "seq": i.seq,
            "due_date": i.due_date.isoformat(),
            "principal_due_fen": i.principal_due_fen,
            "fee_due_fen": i.fee_due_fen,
            "principal_paid_fen": i.principal_paid_fen,
            "fee_paid_fen": i.fee_paid_fen,
            "schedule_version": i.schedule_version,
        }
        for i in account.instalments.order_by("seq")
    ]


@transaction.atomic
def reschedule_request(
    *,
    account: RepayableAccount,
    effective_date: dt.date,
    term_months: int,
    reason: str,
    actor: Any,
    grace_months: int = 0,
    method: str = "",
) -> Reschedule:
    """展期: asks to re-spread the outstanding principal over ``term_months`` from
    ``effective_date``; takes effect when a second person approves it."""
    account = RepayableAccount.objects.get(pk=account.pk)
    if account.status not in (
        RepayableAccount.Status.ACTIVE,
        RepayableAccount.Status.OVERDUE,
        RepayableAccount.Status.RESCHEDULED,
    ):
        raise LedgerError(_("Only an active or overdue account can be rescheduled."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the reschedule."))
    if term_months % account.period_months or grace_months % account.period_months:
        raise LedgerError(
            _("The term and the grace period must be whole multiples of %(n)d months.")
            % {"n": account.period_months}
        )
    if grace_months >= term_months:
        raise LedgerError(_("The grace period must be shorter than the term."))
    _check_term(term_months)
    out = paid_out_on(account)
    check_value_date(
        effective_date,
        what=_("The effective date of the reschedule"),
        earliest=(out, _("the day the money was paid out")) if out else None,
        latest=ahead(),
    )
    return Reschedule.objects.create(
        account=account,
        effective_date=effective_date,
        term_months=term_months,
        grace_months=grace_months,
        method=method or account.method,
        reason=reason.strip(),
        scope_path=account.scope_path,
        requested_by_id=_actor_id(actor),
    )


@transaction.atomic
def reschedule_approve(*, reschedule: Reschedule, actor: Any) -> Reschedule:
    """What was due by the effective date keeps its usage fee (and stays overdue until
    paid); every instalment's unpaid principal moves to the new schedule."""
    reschedule = lock_one(Reschedule, reschedule.pk)
    _not_the_maker(reschedule.requested_by_id, actor, _("reschedule"))
    account = _lock_repayable(reschedule.account_id)
    _transition(reschedule, "approve")
    effective = reschedule.effective_date
    _accrue(account, effective, actor)
    reschedule.old_schedule = _schedule_snapshot(account)
    instalments = list(account.instalments.order_by("seq"))
    outstanding = 0
    version = max(i.schedule_version for i in instalments) + 1
    for inst in instalments:
        outstanding += inst.principal_due_fen - inst.principal_paid_fen
        inst.principal_due_fen = inst.principal_paid_fen
        if inst.due_date > effective and not inst.fee_recognised:
            inst.fee_due_fen = inst.fee_paid_fen
    Instalment.objects.bulk_update(instalments, ["principal_due_fen", "fee_due_fen"])
    if outstanding > 0:
        plan = build_schedule(
            principal_fen=outstanding,
            start_date=effective,
            term_months=reschedule.term_months,
            grace_months=reschedule.grace_months,
            period_months=account.period_months,
            bullet=reschedule.method == RepayableAccount.Method.BULLET,
            fee_rate=account.fee_rate,
        )
        last = max(i.seq for i in instalments)
        Instalment.objects.bulk_create(
            [
                Instalment(
                    account=account,
                    seq=last + n,
                    due_date=p.due_date,
                    principal_due_fen=p.principal_fen,
                    fee_due_fen=p.fee_fen,
                    schedule_version=version,
                )
                for n, p in enumerate(plan, start=1)
            ]
        )
    _transition(account, "reschedule")
    _save_transition(account)
    reschedule.decided_by_id = actor.pk
    reschedule.decided_at = clock.now()
    _save_transition(reschedule)
    _refresh_status(account, effective)
    return reschedule


@transaction.atomic
def repayable_call_in(
    *, account: RepayableAccount, as_of: dt.date, actor: Any, reason: str
) -> RepayableAccount:
    """Everything still owed falls due at once (the project failed acceptance or was
    terminated): fees are accrued to ``as_of`` and every instalment's unpaid principal
    moves to one instalment due on ``as_of``. A rule of the contract, so no second
    person approves it; the reason is kept on the new instalment's schedule version."""
    if not reason.strip():
        raise LedgerError(_("Give the reason."))
    check_value_date(as_of, what=_("The date the money falls due"))
    account = _lock_repayable(account.pk)
    if account.status not in (
        RepayableAccount.Status.ACTIVE,
        RepayableAccount.Status.OVERDUE,
        RepayableAccount.Status.RESCHEDULED,
    ):
        raise LedgerError(_("Only money that is out and not yet repaid can be called in."))
    _accrue(account, as_of, actor)
    instalments = list(account.instalments.order_by("seq"))
    outstanding = 0
    for inst in instalments:
        outstanding += inst.principal_due_fen - inst.principal_paid_fen
        inst.principal_due_fen = inst.principal_paid_fen
        if inst.due_date > as_of and not inst.fee_recognised:
            inst.fee_due_fen = inst.fee_paid_fen
    Instalment.objects.bulk_update(instalments, ["principal_due_fen", "fee_due_fen"])
    if outstanding > 0:
        Instalment.objects.create(
            account=account,
            seq=max(i.seq for i in instalments) + 1,
            due_date=as_of,
            principal_due_fen=outstanding,
            fee_due_fen=0,
            schedule_version=max(i.schedule_version for i in instalments) + 1,
        )
    _refresh_status(account, as_of)
    return account


@transaction.atomic
def reschedule_reject(*, reschedule: Reschedule, actor: Any) -> Reschedule:
    reschedule = lock_one(Reschedule, reschedule.pk)
    _not_the_maker(reschedule.requested_by_id, actor, _("reschedule"))
    _transition(reschedule, "reject")
    reschedule.decided_by_id = actor.pk
    reschedule.decided_at = clock.now()
    _save_transition(reschedule)
    return reschedule


@transaction.atomic
def write_off_request(
    *,
    account: RepayableAccount,
    value_date: dt.date,
    reason: str,
    actor: Any,
    basis: str,
    document_no: str = "",
) -> WriteOff:
    """核销: asks to take what is still owed off the books; a second person approves.
    ``basis`` is what it rests on (``recovery_rules.write_off_problem``): the court's
    终结本次执行 for an account in court, otherwise a recorded ground."""
    account = RepayableAccount.objects.get(pk=account.pk)
    if account.status not in (
        RepayableAccount.Status.ACTIVE,
        RepayableAccount.Status.OVERDUE,
        RepayableAccount.Status.RESCHEDULED,
    ):
        raise LedgerError(_("Only an open repayable account can be written off."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the write-off."))
    owed = sum(
        a.normal_balance
        for a in Account.objects.filter(
            repayable=account,
            kind__in=[Kind.RECEIVABLE, Kind.FEE_RECEIVABLE, Kind.PENALTY_RECEIVABLE],
        )
    )
    problem = write_off_problem(account, basis, owed)
    if problem:
        raise LedgerError(problem)
    out = paid_out_on(account)
    check_value_date(
        value_date,
        what=_("The write-off date"),
        earliest=(out, _("the day the money was paid out")) if out else None,
    )
    return WriteOff.objects.create(
        account=account,
        value_date=value_date,
        reason=reason.strip(),
        basis=basis,
        document_no=document_no.strip(),
        scope_path=account.scope_path,
        requested_by_id=_actor_id(actor),
    )


@transaction.atomic
def write_off_approve(*, write_off: WriteOff, actor: Any) -> WriteOff:
    """Books the loss: Dr write-off, Cr principal, usage fee and overdue fee receivable
    (accrued through the write-off date)."""
    write_off = lock_one(WriteOff, write_off.pk)
    _not_the_maker(write_off.requested_by_id, actor, _("write-off"))
    account = _lock_repayable(write_off.account_id)
    _transition(write_off, "approve")
    _accrue(account, write_off.value_date, actor)
    accounts = {a.kind: a for a in Account.objects.filter(repayable=account)}
    parts = {
        Kind.RECEIVABLE: accounts[Kind.RECEIVABLE].normal_balance,
        Kind.FEE_RECEIVABLE: accounts[Kind.FEE_RECEIVABLE].normal_balance,
        Kind.PENALTY_RECEIVABLE: accounts[Kind.PENALTY_RECEIVABLE].normal_balance,
    }
    total = sum(parts.values())
    if total <= 0:
        raise LedgerError(_("Nothing is owed on this account; there is nothing to write off."))
    # the ground is asked again: the account may have gone to court since the request
    # (a request made before issue 15 has no basis recorded and is decided as it was)
    problem = write_off_problem(account, write_off.basis, total) if write_off.basis else None
    if problem:
        raise LedgerError(problem)
    legs = [_debit(accounts[Kind.WRITE_OFF], total)]
    legs += [_credit(accounts[kind], fen) for kind, fen in parts.items() if fen]
    write_off.entry = entry_post(
        idempotency_key=f"write-off:{write_off.pk}",
        kind=Entry.Kind.WRITE_OFF,
        value_date=write_off.value_date,
        legs=legs,
        actor=actor,
        memo=write_off.document_no or write_off.reason,
    )
    write_off.principal_fen = parts[Kind.RECEIVABLE]
    write_off.fee_fen = parts[Kind.FEE_RECEIVABLE]
    write_off.penalty_fen = parts[Kind.PENALTY_RECEIVABLE]
    write_off.decided_by_id = actor.pk
    write_off.decided_at = clock.now()
    _save_transition(write_off)
    _transition(account, "write_off")
    account.days_overdue = 0
    account.aging = AgingBucket.CURRENT
    _save_transition(account)
    return write_off


@transaction.atomic
def write_off_reject(*, write_off: WriteOff, actor: Any) -> WriteOff:
    write_off = lock_one(WriteOff, write_off.pk)
    _not_the_maker(write_off.requested_by_id, actor, _("write-off"))
    _transition(write_off, "reject")
    write_off.decided_by_id = actor.pk
    write_off.decided_at = clock.now()
    _save_transition(write_off)
    return write_off
