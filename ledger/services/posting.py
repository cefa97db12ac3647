"""The posting primitive: accounts, balanced entries, reversals, and the small helpers
every service of the ledger shares (actor, transitions, maker-checker)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import BigIntegerField, Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core import clock

from .. import hooks
from ..chain import CURRENT_HASH_VERSION
from ..errors import ConcurrentChange, LedgerError
from ..locks import lock_accounts, lock_rows
from ..models import (
    Account,
    BudgetLine,
    ChainHead,
    Entry,
    Leg,
    RepayableAccount,
    Side,
)
from ..money import format_fen
from .server_call import driver_cursor, post_on_server

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
    Kind.EXPERT_FEE_EXPENSE: (Book.CASH, Side.DEBIT, False),
    Kind.TAX_PAYABLE: (Book.CASH, Side.CREDIT, True),
    Kind.SURPLUS_RECEIVABLE: (Book.CASH, Side.DEBIT, True),
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
    both pass it. The entry is unsealed: ``ledger_seal`` gives it its place in the hash
    chain later. On PostgreSQL the whole posting is one call of the database function
    ``ledger_post_entry`` (migration 0016); elsewhere the same steps run here."""
    _check_entry(idempotency_key, legs)
    memo = memo[:300]
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        # One statement, atomic by itself: inside a caller's transaction it joins it
        # (no savepoint); outside one it is its own transaction in autocommit, so a
        # posting is one round trip (no BEGIN and COMMIT of their own), the deferred
        # balance check still running before it commits.
        row = post_on_server(db, idempotency_key, kind, value_date, legs, actor, memo, reverses)
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
        # Level 3 of ledger.locks: the union of the batch's accounts, in one statement and
        # pk order, before the first posting; otherwise two batches over overlapping
        # accounts lock them in different orders and deadlock.
        lock_accounts(accounts)
        cursor = driver_cursor(connection)
        with connection.wrap_database_errors:
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
    recorded_at = timezone.now()
    actor_id = _user_id(actor)
    try:
        with transaction.atomic():
            # unsealed: sealing (services.sealing) gives it its place and hash later
            entry = Entry.objects.create(
                idempotency_key=key,
                kind=kind,
                value_date=value_date,
                recorded_at=recorded_at,
                memo=memo,
                actor_id=actor_id,
                reverses=reverses,
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
    # SQLite only (one writer at a time): the entry is complete, so it is closed to more
    # legs (the trigger of migration 0016 reads this marker).
    ChainHead.objects.update_or_create(pk=1, defaults={"closed_entry_id": entry.pk})
    return entry


@transaction.atomic
def entry_reverse(
    *, entry: Entry, value_date: dt.date, actor: Any, memo: str = "", idempotency_key: str = ""
) -> Entry:
    """A correction: an entry with every leg of ``entry`` negated, pointing to it."""
    if Entry.objects.filter(reverses=entry).exists():
        raise LedgerError(_("Entry %(entry)s has already been reversed.") % {"entry": entry.label})
    legs = [Posting(leg.account, -leg.amount) for leg in entry.legs.select_related("account")]
    return entry_post(
        idempotency_key=idempotency_key or f"reverse:{entry.idempotency_key}",
        kind=Entry.Kind.REVERSAL,
        value_date=value_date,
        legs=legs,
        actor=actor,
        memo=memo or _("Reversal of entry %(entry)s") % {"entry": entry.label},
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


# The ledger's dates: nothing is booked before the system's books begin, and nothing
# that has happened (a payment, a receipt, a write-off) is booked after today. A date
# the services may set ahead (a 展期's effective date, a budget issued for the coming
# year) may be at most FUTURE_TOLERANCE ahead.
BOOKS_BEGIN = dt.date(2000, 1, 1)
FUTURE_TOLERANCE = dt.timedelta(days=366)


def check_value_date(
    day: dt.date,
    *,
    what: str,
    earliest: tuple[dt.date, str] | None = None,
    latest: tuple[dt.date, str] | None = None,
) -> dt.date:
    """Refuses ``day`` outside [earliest, latest], naming the bound that was crossed and
    why it is a bound. Without an ``earliest`` the books' first day applies; without a
    ``latest``, today (a thing that happened cannot be dated later)."""
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise LedgerError(_("%(what)s must be a date.") % {"what": what})
    low, low_why = earliest or (BOOKS_BEGIN, _("the first day of the books"))
    if low < BOOKS_BEGIN:
        low, low_why = BOOKS_BEGIN, _("the first day of the books")
    high, high_why = latest or (clock.today(), _("today"))
    if day < low:
        raise LedgerError(
            _("%(what)s %(day)s is before %(bound)s (%(why)s).")
            % {"what": what, "day": day.isoformat(), "bound": low.isoformat(), "why": low_why}
        )
    if day > high:
        raise LedgerError(
            _("%(what)s %(day)s is after %(bound)s (%(why)s).")
            % {"what": what, "day": day.isoformat(), "bound": high.isoformat(), "why": high_why}
        )
    return day


def ahead(days: dt.timedelta = FUTURE_TOLERANCE) -> tuple[dt.date, str]:
    """The latest date a service may set ahead of today, with the reason."""
    return clock.today() + days, _("today plus %(n)d days") % {"n": days.days}


def _check_payable(project_ref: str) -> None:
    """The domain's one rule on whether the record behind ``project_ref`` may still receive
    money (``hooks.payment_refusals``); it locks that record first (level 1 of
    ``ledger.locks``), so call it before locking any ledger row."""
    reason = hooks.payment_refusals([project_ref]).get(project_ref)
    if reason:
        raise LedgerError(reason)


def _not_the_maker(maker_id: int | None, actor: Any, what: str) -> None:
    if actor is None or maker_id == actor.pk:
        raise LedgerError(
            _("You made this %(what)s; a second person must approve it.") % {"what": what}
        )


def _numbered(obj: Any, prefix: str) -> None:
    """Gives a new row its number from its primary key (never two alike)."""
    obj.number = f"{prefix}{obj.pk:07d}"
    type(obj).objects.filter(pk=obj.pk).update(number=obj.number)
