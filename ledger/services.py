"""The only writes of the ledger.

Every function here is atomic; callers (views, commands, the domain apps) wrap the
outermost call in ``transaction.atomic(durable=True)``. The order inside is always:
lock the domain row → check → transition → post (which locks the accounts in pk order,
then the chain head) → save. Refusals are ``LedgerError`` with a translated message.

The services take opaque references for everything outside the ledger: ``project_ref``
(the project's number), ``payee_name`` / ``payee_account``, ``scope_path`` (the region
path the row belongs to). Users are whatever ``AUTH_USER_MODEL`` is.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import BigIntegerField, Case, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core import clock

from . import hooks
from .chain import CURRENT_HASH_VERSION, GENESIS, entry_hash
from .errors import ConcurrentChange, LedgerError
from .locks import lock_one, lock_rows
from .models import (
    Account,
    AgingBucket,
    BankAccount,
    BankStatement,
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    ChainHead,
    Commitment,
    Disbursement,
    Entry,
    Instalment,
    Leg,
    RepayableAccount,
    Repayment,
    Reschedule,
    Side,
    StatementLine,
    WriteOff,
    aging_bucket,
)
from .money import fen_to_yuan, format_fen, positive_fen, round_to_fen, yuan_to_fen
from .schedule import build_schedule

Kind = Account.Kind
Book = Account.Book

# kind → (book, normal side, may not go below zero)
KIND_RULES: dict[str, tuple[str, str, bool]] = {
    Kind.APPROPRIATION: (Book.BUDGET, Side.CREDIT, False),
    Kind.AVAILABLE: (Book.BUDGET, Side.DEBIT, True),
    Kind.COMMITTED: (Book.BUDGET, Side.DEBIT, True),
    Kind.APPROVED: (Book.BUDGET, Side.DEBIT, True),
    Kind.DISBURSED: (Book.BUDGET, Side.DEBIT, False),
    Kind.TRANSFERRED: (Book.BUDGET, Side.DEBIT, False),
    Kind.BANK: (Book.CASH, Side.DEBIT, False),
    Kind.FISCAL_REVENUE: (Book.CASH, Side.CREDIT, False),
    Kind.GRANT_EXPENSE: (Book.CASH, Side.DEBIT, False),
    Kind.RECEIVABLE: (Book.CASH, Side.DEBIT, True),
    Kind.FEE_RECEIVABLE: (Book.CASH, Side.DEBIT, True),
    Kind.PENALTY_RECEIVABLE: (Book.CASH, Side.DEBIT, True),
    Kind.USAGE_FEE_INCOME: (Book.CASH, Side.CREDIT, False),
    Kind.PENALTY_INCOME: (Book.CASH, Side.CREDIT, False),
    Kind.WRITE_OFF: (Book.CASH, Side.DEBIT, False),
    Kind.RECOVERY_INCOME: (Book.CASH, Side.CREDIT, False),
}

LINE_KINDS = (
    Kind.APPROPRIATION,
    Kind.AVAILABLE,
    Kind.APPROVED,
    Kind.DISBURSED,
    Kind.TRANSFERRED,
    Kind.GRANT_EXPENSE,
)
REPAYABLE_KINDS = (
    Kind.RECEIVABLE,
    Kind.FEE_RECEIVABLE,
    Kind.PENALTY_RECEIVABLE,
    Kind.USAGE_FEE_INCOME,
    Kind.PENALTY_INCOME,
    Kind.WRITE_OFF,
    Kind.RECOVERY_INCOME,
)


def _user_id(actor: Any) -> int | None:
    return None if actor is None else actor.pk


def _actor_id(actor: Any) -> int:
    """The acting user, required where a person must answer for the row."""
    if actor is None or actor.pk is None:
        raise LedgerError(_("This action needs the person who takes it."))
    return int(actor.pk)


def _new_account(
    *,
    code: str,
    name: str,
    kind: str,
    scope_path: str,
    budget_line: BudgetLine | None = None,
    repayable: RepayableAccount | None = None,
    project_ref: str = "",
) -> Account:
    book, side, floor_zero = KIND_RULES[kind]
    return Account.objects.create(
        code=code,
        name=name,
        kind=kind,
        book=book,
        side=side,
        floor_zero=floor_zero,
        scope_path=scope_path,
        budget_line=budget_line,
        repayable=repayable,
        project_ref=project_ref,
    )


# --- the posting primitive -------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """One leg to post: ``amount_fen`` positive debits the account, negative credits it."""

    account: Account
    amount_fen: int


def _debit(account: Account, fen: int) -> Posting:
    return Posting(account, fen)


def _credit(account: Account, fen: int) -> Posting:
    return Posting(account, -fen)


def _lock_chain_head() -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.bulk_create([ChainHead(pk=1, seq=0, hash="")], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def _overdrawn_message(account: Account, balance: int, needed: int) -> str:
    return _("%(account)s is not enough: %(balance)s yuan left, %(needed)s yuan needed.") % {
        "account": account.name,
        "balance": format_fen(balance),
        "needed": format_fen(needed),
    }


def _check_entry(idempotency_key: str, legs: Sequence[Posting]) -> None:
    if not idempotency_key:
        raise LedgerError(_("An entry needs an idempotency key."))
    if len(legs) < 2:
        raise LedgerError(_("An entry needs at least two legs."))
    for leg in legs:
        if not isinstance(leg.amount_fen, int) or isinstance(leg.amount_fen, bool):
            raise LedgerError(_("Leg amounts are whole fen."))
        if leg.amount_fen == 0:
            raise LedgerError(_("A leg of zero is not allowed."))
    total = sum(leg.amount_fen for leg in legs)
    if total != 0:
        raise LedgerError(
            _("The entry does not balance: its legs sum to %(total)s yuan.")
            % {"total": format_fen(total)}
        )


@dataclass(frozen=True)
class EntrySpec:
    """One entry for ``entries_post``."""

    idempotency_key: str
    kind: str
    value_date: dt.date
    legs: Sequence[Posting]
    memo: str = ""


def entry_post(
    *,
    idempotency_key: str,
    kind: str,
    value_date: dt.date,
    legs: Sequence[Posting],
    actor: Any,
    memo: str = "",
    reverses: Entry | None = None,
) -> Entry:
    """Post a balanced entry and move the running balances, or return the entry already
    posted under ``idempotency_key``. Accounts with ``floor_zero`` may not go below
    zero; the check is made on rows locked in pk order, so concurrent postings cannot
    both pass it. On PostgreSQL the whole posting is one call of the database function
    ``ledger_post_entry`` (migrations 0005, 0009); elsewhere the same steps run here."""
    _check_entry(idempotency_key, legs)
    memo = memo[:300]
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        # One statement, atomic by itself: no savepoint round trips.
        with transaction.atomic(savepoint=False):
            row = _post_on_server(
                db, idempotency_key, kind, value_date, legs, actor, memo, reverses
            )
        return _entry_from_server(
            row, idempotency_key, kind, value_date, legs, actor, memo, reverses
        )
    with transaction.atomic():
        return _post_here(idempotency_key, kind, value_date, legs, actor, memo, reverses)


def entries_post(*, entries: Sequence[EntrySpec], actor: Any) -> list[Entry]:
    """Posts many entries in order, all or none: the same rules as ``entry_post`` (an
    entry already posted under its key is returned as it is). On PostgreSQL the whole
    batch is one call of ``ledger_post_entries`` (migration 0008), for bulk work such as
    imports and the nightly aging; elsewhere it posts them one by one."""
    for spec in entries:
        _check_entry(spec.idempotency_key, spec.legs)
    if not entries:
        return []
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return [
                entry_post(
                    idempotency_key=spec.idempotency_key,
                    kind=spec.kind,
                    value_date=spec.value_date,
                    legs=spec.legs,
                    actor=actor,
                    memo=spec.memo,
                )
                for spec in entries
            ]
        starts: list[int] = []
        counts: list[int] = []
        accounts: list[int] = []
        amounts: list[int] = []
        for spec in entries:
            starts.append(len(accounts) + 1)
            counts.append(len(spec.legs))
            accounts.extend(leg.account.pk for leg in spec.legs)
            amounts.extend(leg.amount_fen for leg in spec.legs)
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                "SELECT * FROM ledger_post_entries(%s::text[], %s::text[], %s::date[],"
                " %s::text[], %s::bigint, %s::int[], %s::int[], %s::bigint[], %s::bigint[])",
                [
                    [spec.idempotency_key for spec in entries],
                    [spec.kind for spec in entries],
                    [spec.value_date for spec in entries],
                    [spec.memo[:300] for spec in entries],
                    _user_id(actor),
                    starts,
                    counts,
                    accounts,
                    amounts,
                ],
                prepare=True,
            )
            rows = cursor.fetchall()
        # a refusal raises here, inside the savepoint, so the whole batch is undone
        return [
            _entry_from_server(
                tuple(row[1:]),
                spec.idempotency_key,
                spec.kind,
                spec.value_date,
                spec.legs,
                actor,
                spec.memo[:300],
                None,
            )
            for row, spec in zip(rows, entries, strict=False)
        ]


_POST_ENTRY_SQL = (
    "SELECT * FROM ledger_post_entry("
    "%s::text, %s::text, %s::date, %s::text, %s::bigint, %s::bigint, %s::bigint[], %s::bigint[])"
)


def _post_on_server(
    db: Any,
    key: str,
    kind: str,
    value_date: dt.date,
    legs: Sequence[Posting],
    actor: Any,
    memo: str,
    reverses: Entry | None,
) -> tuple[Any, ...]:
    # The driver's own cursor, binding on the server: the call is prepared once per
    # connection and then sent as parameters only (Django's cursors interpolate every
    # query on the client); postings are the hot path. Errors are still Django's.
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        cursor.execute(
            _POST_ENTRY_SQL,
            (
                key,
                kind,
                value_date,
                memo,
                None if actor is None else actor.pk,
                None if reverses is None else reverses.pk,
                [leg.account.pk for leg in legs],
                [leg.amount_fen for leg in legs],
            ),
            prepare=True,
        )
        row = cursor.fetchone()
    assert row is not None  # the function always answers with one row
    return tuple(row)


def _entry_from_server(
    row: tuple[Any, ...],
    key: str,
    kind: str,
    value_date: dt.date,
    legs: Sequence[Posting],
    actor: Any,
    memo: str,
    reverses: Entry | None,
) -> Entry:
    entry_id, seq, digest, recorded_at, created, short_account, balance, needed = row
    if short_account is not None:
        account = next(leg.account for leg in legs if leg.account.pk == short_account)
        raise LedgerError(_overdrawn_message(account, balance, needed))
    if not created:
        return Entry.objects.get(pk=entry_id)
    # Built from what the database returned; the previous hash, not returned, is
    # loaded only if someone reads it.
    values = {
        "id": entry_id,
        "seq": seq,
        "idempotency_key": key,
        "kind": kind,
        "value_date": value_date,
        "recorded_at": recorded_at,
        "memo": memo,
        "actor_id": _user_id(actor),
        "reverses_id": reverses.pk if reverses else None,
        "hash": digest,
        "hash_version": CURRENT_HASH_VERSION,  # what ledger_post_entry writes (0010)
    }
    names = _entry_field_names(tuple(values))
    return Entry.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


@functools.cache
def _entry_field_names(given: tuple[str, ...]) -> list[str]:
    """The given Entry attributes in the model's field order (what ``from_db`` takes)."""
    return [f.attname for f in Entry._meta.concrete_fields if f.attname in given]


def _post_here(
    key: str,
    kind: str,
    value_date: dt.date,
    legs: Sequence[Posting],
    actor: Any,
    memo: str,
    reverses: Entry | None,
) -> Entry:
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        deltas[leg.account.pk] += leg.amount_fen
    locked = lock_rows(Account, deltas)
    existing = Entry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    new_balances: dict[int, int] = {}
    for pk, delta in deltas.items():
        account = locked[pk]
        new = account.balance + delta
        if account.floor_zero and (new < 0 if account.side == Side.DEBIT else new > 0):
            needed = -delta if account.side == Side.DEBIT else delta
            raise LedgerError(_overdrawn_message(account, account.normal_balance, needed))
        new_balances[pk] = new
    head = _lock_chain_head()
    seq = head.seq + 1
    prev_hash = head.hash or GENESIS
    recorded_at = timezone.now()
    actor_id = _user_id(actor)
    digest = entry_hash(
        version=CURRENT_HASH_VERSION,
        prev_hash=prev_hash,
        seq=seq,
        idempotency_key=key,
        kind=kind,
        value_date=value_date,
        reverses_id=reverses.pk if reverses else None,
        legs=[(leg.account.pk, leg.amount_fen) for leg in legs],
        actor_id=actor_id,
        recorded_at=recorded_at,
        memo=memo,
    )
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                seq=seq,
                idempotency_key=key,
                kind=kind,
                value_date=value_date,
                recorded_at=recorded_at,
                memo=memo,
                actor_id=actor_id,
                reverses=reverses,
                prev_hash=prev_hash,
                hash=digest,
                hash_version=CURRENT_HASH_VERSION,
            )
    except IntegrityError as error:
        raise LedgerError(
            _("Entry %(key)s conflicts with one already posted.") % {"key": key}
        ) from error
    Leg.objects.bulk_create(
        [Leg(entry=entry, account_id=leg.account.pk, amount=leg.amount_fen) for leg in legs]
    )
    Account.objects.filter(pk__in=list(new_balances)).update(
        balance=Case(
            *[When(pk=pk, then=Value(value)) for pk, value in new_balances.items()],
            output_field=BigIntegerField(),
        )
    )
    head.seq = seq
    head.hash = digest
    head.save(update_fields=["seq", "hash"])
    return entry


@transaction.atomic
def entry_reverse(
    *, entry: Entry, value_date: dt.date, actor: Any, memo: str = "", idempotency_key: str = ""
) -> Entry:
    """A correction: an entry with every leg of ``entry`` negated, pointing to it."""
    if Entry.objects.filter(reverses=entry).exists():
        raise LedgerError(_("Entry #%(seq)d has already been reversed.") % {"seq": entry.seq})
    legs = [Posting(leg.account, -leg.amount) for leg in entry.legs.select_related("account")]
    return entry_post(
        idempotency_key=idempotency_key or f"reverse:{entry.idempotency_key}",
        kind=Entry.Kind.REVERSAL,
        value_date=value_date,
        legs=legs,
        actor=actor,
        memo=memo or _("Reversal of entry #%(seq)d") % {"seq": entry.seq},
        reverses=entry,
    )


def account_balance(account_id: int) -> int:
    """The running balance of one account (fen, debit positive): one indexed row."""
    return Account.objects.values_list("balance", flat=True).get(pk=account_id)


def _save_transition(obj: Any, **kwargs: Any) -> None:
    try:
        obj.save(**kwargs)
    except ConcurrentTransition as error:
        raise ConcurrentChange(
            _("Someone else changed %(what)s at the same time; reload the page and try again.")
            % {"what": obj}
        ) from error


def _transition(obj: Any, name: str, *args: Any) -> None:
    try:
        getattr(obj, name)(*args)
    except TransitionNotAllowed as error:
        raise LedgerError(
            _("%(what)s is %(status)s; this action is not possible now.")
            % {"what": obj, "status": obj.get_status_display()}
        ) from error


def _not_the_maker(maker_id: int | None, actor: Any, what: str) -> None:
    if actor is None or maker_id == actor.pk:
        raise LedgerError(
            _("You made this %(what)s; a second person must approve it.") % {"what": what}
        )


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
    return entry_post(
        idempotency_key=idempotency_key,
        kind=Entry.Kind.BANK_FUNDING,
        value_date=value_date,
        legs=[_debit(bank_account.account, fen), _credit(bank_account.revenue_account, fen)],
        actor=actor,
        memo=memo or _("Funds received"),
    )


# --- budget lines --------------------------------------------------------------------


def _scope_code(scope_path: str) -> str:
    parts = [p for p in scope_path.split("/") if p]
    if not parts:
        raise LedgerError(_("A region path like /330000/330100/ is required."))
    return parts[-1]


def line_account(line: BudgetLine, kind: str) -> Account:
    return Account.objects.get(budget_line=line, kind=kind, project_ref="")


@transaction.atomic
def budget_line_create(
    *,
    year: int,
    funding_source: str,
    instrument: str,
    programme_code: str,
    name: str,
    scope_path: str,
    amount: Decimal,
    value_date: dt.date,
    actor: Any,
    parent: BudgetLine | None = None,
    document_no: str = "",
) -> BudgetLine:
    """A budget line (预算科目) with its accounts; ``amount`` (may be 0) is issued at once
    (Dr available, Cr appropriation)."""
    programme_code = programme_code.strip().upper()
    exists = BudgetLine.objects.filter(
        year=year,
        funding_source=funding_source,
        instrument=instrument,
        programme_code=programme_code,
        scope_path=scope_path,
    ).exists()
    if exists:
        raise LedgerError(_("This budget line already exists."))
    code = f"{year}-{programme_code}-{instrument}-{funding_source}-{_scope_code(scope_path)}"
    line = BudgetLine.objects.create(
        code=code,
        name=name.strip(),
        year=year,
        funding_source=funding_source,
        instrument=instrument,
        programme_code=programme_code,
        scope_path=scope_path,
        parent=parent,
        created_by_id=_actor_id(actor),
    )
    labels = dict(Kind.choices)
    for kind in LINE_KINDS:
        _new_account(
            code=f"{code}:{kind}",
            name=f"{line.name} · {labels[kind]}",
            kind=kind,
            scope_path=scope_path,
            budget_line=line,
        )
    fen = yuan_to_fen(amount)
    if fen < 0:
        raise LedgerError(_("The amount must not be negative."))
    if fen:
        entry_post(
            idempotency_key=f"budget-issue:{code}",
            kind=Entry.Kind.BUDGET_ISSUE,
            value_date=value_date,
            legs=[
                _debit(line_account(line, Kind.AVAILABLE), fen),
                _credit(line_account(line, Kind.APPROPRIATION), fen),
            ],
            actor=actor,
            memo=document_no or _("Budget issued"),
        )
    return line


@transaction.atomic
def budget_adjustment_request(
    *,
    budget_line: BudgetLine,
    amount: Decimal,
    reason: str,
    actor: Any,
    document_no: str = "",
) -> BudgetAdjustment:
    """预算调剂: ``amount`` is signed (negative reduces the line). It takes effect when a
    second person approves it."""
    fen = yuan_to_fen(amount)
    if fen == 0:
        raise LedgerError(_("An adjustment of zero changes nothing."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the adjustment."))
    return BudgetAdjustment.objects.create(
        budget_line=budget_line,
        amount_fen=fen,
        reason=reason.strip(),
        document_no=document_no.strip(),
        scope_path=budget_line.scope_path,
        requested_by_id=_actor_id(actor),
    )


@transaction.atomic
def budget_adjustment_approve(*, adjustment: BudgetAdjustment, actor: Any) -> BudgetAdjustment:
    adjustment = lock_one(BudgetAdjustment, adjustment.pk)
    _not_the_maker(adjustment.requested_by_id, actor, _("adjustment"))
    _transition(adjustment, "approve")
    line = adjustment.budget_line
    available = line_account(line, Kind.AVAILABLE)
    appropriation = line_account(line, Kind.APPROPRIATION)
    fen = abs(adjustment.amount_fen)
    if adjustment.amount_fen > 0:
        legs = [_debit(available, fen), _credit(appropriation, fen)]
    else:
        legs = [_debit(appropriation, fen), _credit(available, fen)]
    adjustment.entry = entry_post(
        idempotency_key=f"budget-adjust:{adjustment.pk}",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=timezone.localdate(),
        legs=legs,
        actor=actor,
        memo=adjustment.reason,
    )
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = timezone.now()
    _save_transition(adjustment)
    return adjustment


@transaction.atomic
def budget_adjustment_reject(*, adjustment: BudgetAdjustment, actor: Any) -> BudgetAdjustment:
    adjustment = lock_one(BudgetAdjustment, adjustment.pk)
    _not_the_maker(adjustment.requested_by_id, actor, _("adjustment"))
    _transition(adjustment, "reject")
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = timezone.now()
    _save_transition(adjustment)
    return adjustment


@transaction.atomic
def budget_indicator_issue(
    *,
    from_line: BudgetLine,
    district_scope_path: str,
    district_name: str,
    amount: Decimal,
    value_date: dt.date,
    document_no: str,
    actor: Any,
) -> BudgetIndicator:
    """预算指标下达 (award flow): the city moves part of its line to a district finance
    bureau's line (created on first use), which then commits and pays the awardees.
    City: Dr issued-to-districts, Cr available; district: Dr available, Cr appropriation."""
    fen = positive_fen(amount)
    if not document_no.strip():
        raise LedgerError(_("A budget indicator needs its document number."))
    if (
        not district_scope_path.startswith(from_line.scope_path)
        or district_scope_path == from_line.scope_path
    ):
        raise LedgerError(_("Indicators go to a district under the issuing region."))
    to_line = BudgetLine.objects.filter(
        year=from_line.year,
        funding_source=BudgetLine.Source.TRANSFER,
        instrument=from_line.instrument,
        programme_code=from_line.programme_code,
        scope_path=district_scope_path,
    ).first()
    if to_line is None:
        to_line = budget_line_create(
            year=from_line.year,
            funding_source=BudgetLine.Source.TRANSFER,
            instrument=from_line.instrument,
            programme_code=from_line.programme_code,
            name=f"{district_name} {from_line.name}",
            scope_path=district_scope_path,
            amount=Decimal(0),
            value_date=value_date,
            actor=actor,
            parent=from_line,
        )
    entry = entry_post(
        idempotency_key=f"indicator:{document_no.strip()}:{to_line.code}",
        kind=Entry.Kind.INDICATOR,
        value_date=value_date,
        legs=[
            _debit(line_account(from_line, Kind.TRANSFERRED), fen),
            _credit(line_account(from_line, Kind.AVAILABLE), fen),
            _debit(line_account(to_line, Kind.AVAILABLE), fen),
            _credit(line_account(to_line, Kind.APPROPRIATION), fen),
        ],
        actor=actor,
        memo=document_no,
    )
    indicator = BudgetIndicator.objects.filter(entry=entry).first()
    if indicator is not None:
        return indicator
    return BudgetIndicator.objects.create(
        document_no=document_no.strip(),
        from_line=from_line,
        to_line=to_line,
        amount_fen=fen,
        value_date=value_date,
        scope_path=to_line.scope_path,
        issued_by_id=_actor_id(actor),
        entry=entry,
    )


# --- commitments ---------------------------------------------------------------------


@transaction.atomic
def commitment_post(
    *,
    budget_line: BudgetLine,
    project_ref: str,
    amount: Decimal,
    value_date: dt.date,
    actor: Any,
    payee_name: str = "",
    scope_path: str = "",
    memo: str = "",
    idempotency_key: str = "",
) -> Commitment:
    """Set money of a line aside for a project (contract signed, award granted): Dr the
    project's committed account, Cr available. Called again with the same key it posts
    nothing more; with a new key it adds to the project's commitment."""
    fen = positive_fen(amount)
    project_ref = project_ref.strip()
    if not project_ref:
        raise LedgerError(_("A commitment needs the project reference."))
    # Locking the line's available account first serialises the commitments of a line,
    # so two retries of the same call cannot both create the project's account.
    available = line_account(budget_line, Kind.AVAILABLE)
    lock_rows(Account, [available.pk])
    commitment = Commitment.objects.filter(budget_line=budget_line, project_ref=project_ref).first()
    if commitment is None:
        account = _new_account(
            code=f"{budget_line.code}:committed:{project_ref}",
            name=f"{budget_line.name} · {_('Committed')} · {project_ref}",
            kind=Kind.COMMITTED,
            scope_path=budget_line.scope_path,
            budget_line=budget_line,
            project_ref=project_ref,
        )
        commitment = Commitment.objects.create(
            budget_line=budget_line,
            project_ref=project_ref,
            payee_name=payee_name.strip(),
            account=account,
            scope_path=scope_path or budget_line.scope_path,
            created_by_id=_actor_id(actor),
        )
    entry_post(
        idempotency_key=idempotency_key or f"commit:{budget_line.code}:{project_ref}",
        kind=Entry.Kind.COMMIT,
        value_date=value_date,
        legs=[
            _debit(commitment.account, fen),
            _credit(available, fen),
        ],
        actor=actor,
        memo=memo or _("Commitment for %(project)s") % {"project": project_ref},
    )
    return commitment


@transaction.atomic
def commitment_release(
    *,
    commitment: Commitment,
    value_date: dt.date,
    actor: Any,
    amount: Decimal | None = None,
    reason: str = "",
    idempotency_key: str = "",
) -> Entry | None:
    """Give back to available what is committed and not paid (a project terminated, an
    award withdrawn): all of it when ``amount`` is None. Returns None if nothing is left."""
    account = lock_one(Account, commitment.account_id)
    remaining = account.normal_balance
    fen = remaining if amount is None else positive_fen(amount)
    if fen == 0:
        return None
    if fen > remaining:
        raise LedgerError(
            _("Only %(left)s yuan of this commitment is left to release.")
            % {"left": format_fen(remaining)}
        )
    return entry_post(
        idempotency_key=idempotency_key
        or f"release:{commitment.pk}:{Entry.objects.filter(legs__account=account).count()}",
        kind=Entry.Kind.RELEASE,
        value_date=value_date,
        legs=[
            _debit(line_account(commitment.budget_line, Kind.AVAILABLE), fen),
            _credit(account, fen),
        ],
        actor=actor,
        memo=reason or _("Commitment released"),
    )


# --- disbursements -------------------------------------------------------------------


def _numbered(obj: Any, prefix: str) -> None:
    """Gives a new row its number from its primary key (never two alike)."""
    obj.number = f"{prefix}{obj.pk:07d}"
    type(obj).objects.filter(pk=obj.pk).update(number=obj.number)


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
    account = lock_one(RepayableAccount, account.pk)
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
    if bank_reference and Repayment.objects.filter(bank_reference=bank_reference).exists():
        raise LedgerError(
            _("Bank reference %(ref)s is already recorded as a repayment.")
            % {"ref": bank_reference}
        )
    account = lock_one(RepayableAccount, account.pk)
    accounts = {a.kind: a for a in Account.objects.filter(repayable=account)}
    common = {
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
            idempotency_key=f"recovery:{account.pk}:{bank_reference or timezone.now().isoformat()}",
            kind=Entry.Kind.RECOVERY,
            value_date=value_date,
            legs=[_debit(bank_account.account, fen), _credit(accounts[Kind.RECOVERY_INCOME], fen)],
            actor=actor,
            memo=_("Recovered after write-off: %(number)s") % {"number": account.number},
        )
        repayment = Repayment(number="", entry=entry, recovery_fen=fen, **common)
        repayment.number = f"tmp-{entry.pk}"
        repayment.save()
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
        idempotency_key=f"repayment:{account.pk}:{bank_reference or timezone.now().isoformat()}",
        kind=Entry.Kind.REPAYMENT,
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
    repayment.save()
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
    account = lock_one(RepayableAccount, reschedule.account_id)
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
    reschedule.decided_at = timezone.now()
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
    account = lock_one(RepayableAccount, account.pk)
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
    reschedule.decided_at = timezone.now()
    _save_transition(reschedule)
    return reschedule


@transaction.atomic
def write_off_request(
    *,
    account: RepayableAccount,
    value_date: dt.date,
    reason: str,
    actor: Any,
    document_no: str = "",
) -> WriteOff:
    """核销: asks to take what is still owed off the books; a second person approves."""
    account = RepayableAccount.objects.get(pk=account.pk)
    if account.status not in (
        RepayableAccount.Status.ACTIVE,
        RepayableAccount.Status.OVERDUE,
        RepayableAccount.Status.RESCHEDULED,
    ):
        raise LedgerError(_("Only an open repayable account can be written off."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the write-off."))
    return WriteOff.objects.create(
        account=account,
        value_date=value_date,
        reason=reason.strip(),
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
    account = lock_one(RepayableAccount, write_off.account_id)
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
    write_off.decided_at = timezone.now()
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
    write_off.decided_at = timezone.now()
    _save_transition(write_off)
    return write_off


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


def _apply_match(
    line: StatementLine,
    *,
    method: str,
    actor: Any,
    disbursement: Disbursement | None = None,
    repayment: Repayment | None = None,
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
    line.status = StatementLine.MatchStatus.MATCHED
    line.method = method
    line.candidates = []
    line.matched_by_id = _user_id(actor)
    line.matched_at = timezone.now()
    line.save()


@transaction.atomic
def statement_auto_match(*, statement: BankStatement, actor: Any) -> MatchReport:
    """Matches each open line: by reference (流水号 or the disbursement's number in
    the memo), then by amount and counterparty, among disbursements approved on or
    before the line's date. One candidate is a match; several are left to a person; none
    leaves the line unmatched. A match by amount and counterparty alone does not pay an
    approved disbursement (same amount, same payee is a guess, and paying posts money):
    the line waits for a person with that one candidate; it does reconcile a payment
    already booked."""
    report = MatchReport()
    for line in statement.lines.exclude(
        status__in=[StatementLine.MatchStatus.MATCHED, StatementLine.MatchStatus.IGNORED]
    ).order_by("row_no"):
        if line.direction == StatementLine.Direction.OUT:
            method, disbursements = _disbursement_candidates(line)
            if len(disbursements) == 1 and (
                method == StatementLine.Method.REFERENCE
                or disbursements[0].status == Disbursement.Status.PAID
            ):
                _apply_match(line, method=method, actor=actor, disbursement=disbursements[0])
                report.matched += 1
                continue
            candidates = [f"disbursement:{d.pk}" for d in disbursements]
        else:
            method, repayments = _repayment_candidates(line)
            if len(repayments) == 1:
                _apply_match(line, method=method, actor=actor, repayment=repayments[0])
                report.matched += 1
                continue
            candidates = [f"repayment:{r.pk}" for r in repayments]
        if candidates:
            line.status = StatementLine.MatchStatus.AMBIGUOUS
            report.ambiguous += 1
        else:
            line.status = StatementLine.MatchStatus.UNMATCHED
            report.unmatched += 1
        line.candidates = candidates
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
) -> StatementLine:
    """A person settles an ambiguous or unmatched line."""
    line = lock_one(StatementLine, line.pk)
    if line.status == StatementLine.MatchStatus.MATCHED:
        raise LedgerError(_("This line is already matched."))
    if (disbursement is None) == (repayment is None):
        raise LedgerError(_("Choose one payment or one repayment."))
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
    _apply_match(
        line,
        method=StatementLine.Method.MANUAL,
        actor=actor,
        disbursement=disbursement,
        repayment=repayment,
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
    line.matched_at = timezone.now()
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
    statement.checked_at = timezone.now()
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
