"""The call of ``ledger_post_entry`` on PostgreSQL: the hot path of the ledger.

``post_on_server`` sends one posting to the database function (migration 0025) and
returns its answer; ``driver_cursor`` is the psycopg cursor kept for the postings of a
connection (``posting.entries_post`` uses it too). Why the call goes through libpq
itself, and where it does not: docs/decisions.md, "A posting through libpq's own call".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.errors
from psycopg import pq

# The recorded time comes back as microseconds since the epoch, the legs go as array
# literals: no array or time-stamp adaptation in Python on a posting.
_SELECT = (
    "SELECT o_entry_id, o_seq, o_hash,"
    " (extract(epoch FROM o_recorded_at) * 1000000)::bigint,"
    " o_created, o_short_account, o_short_balance, o_short_needed"
    " FROM ledger_post_entry("
)
_TYPES = ("text", "text", "date", "text", "bigint", "bigint", "bigint[]", "bigint[]")
# for libpq ($n) and for the driver's cursor (%s)
POST_ENTRY_CALL = _SELECT + ", ".join(f"${n}::{t}" for n, t in enumerate(_TYPES, 1)) + ")"
POST_ENTRY_SQL = _SELECT + ", ".join(f"%s::{t}" for t in _TYPES) + ")"
STATEMENT_NAME = b"ledger_post_entry_call"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INVALID_STATEMENT_NAME = b"26000"


def int_array(values: Sequence[int]) -> str:
    """A PostgreSQL array literal of whole numbers (``{1,-2}``)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


@dataclass
class _Kept:
    """What the postings keep for one connection of the driver."""

    connection: Any
    cursor: psycopg.Cursor[Any]
    prepared: bool = False


def _kept(db: Any) -> _Kept:
    """The driver's cursor (and whether the posting call is prepared) for ``db``'s current
    connection: made once per connection, made again when Django opens a new one. Making a
    cursor per posting cost about a sixth of the client's time. Django's own checks
    before a query come first: a connection that failed its health check is replaced, and
    a transaction marked for rollback refuses the posting."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    kept: _Kept | None = getattr(db, "_ledger_kept", None)
    if kept is None or kept.connection is not db.connection or kept.cursor.closed:
        kept = _Kept(db.connection, psycopg.Cursor(db.connection))
        db._ledger_kept = kept
    return kept


def driver_cursor(db: Any) -> psycopg.Cursor[Any]:
    return _kept(db).cursor


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _whole(value: bytes | None) -> int | None:
    return None if value is None else int(value)


def _check(result: Any, pgconn: Any, encoding: str) -> None:
    """Raises the driver's error for a failed libpq result (Django's, in
    ``wrap_database_errors``). A lost connection has no SQLSTATE: it is an
    ``OperationalError``, as a cursor raises it."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return
    if pgconn.status == pq.ConnStatus.BAD:
        raise psycopg.OperationalError(
            (result.error_message or b"the connection to the server was lost").decode(
                encoding, "replace"
            )
        )
    raise psycopg.errors.error_from_result(result, encoding=encoding)


def _prepare(kept: _Kept, encoding: str) -> None:
    """Prepares the posting call on the kept connection's server session."""
    pgconn = kept.connection.pgconn
    _check(pgconn.prepare(STATEMENT_NAME, POST_ENTRY_CALL.encode()), pgconn, encoding)
    kept.prepared = True


def post_on_server(
    db: Any,
    key: str,
    kind: str,
    value_date: dt.date,
    legs: Sequence[Any],
    actor: Any,
    memo: str,
    reverses: Any,
) -> tuple[Any, ...]:
    """One call of ``ledger_post_entry``: (entry id, seq, hash, recorded at, created,
    short account, its balance, the amount needed).

    It goes through libpq itself, the call prepared on the server once per connection
    and then sent as its parameters only (``PQexecPrepared``), where that cannot disturb
    the driver's view of the transaction: in autocommit (the call is its own transaction)
    or inside a transaction the driver has begun (the driver reads libpq's transaction
    status to know whether it owes the server a BEGIN, so it goes on as before). At the
    very start of a transaction, where the BEGIN is still owed, and when the driver
    prepares statements of its own (it may deallocate them all, ours with them), the call
    goes through the driver's cursor, which sends the BEGIN. Errors are the driver's and
    then Django's, as from a cursor."""
    # every parameter as text; the statement casts each to its type
    parameters = [
        key,
        kind,
        value_date.isoformat(),
        memo,
        None if actor is None else str(actor.pk),
        None if reverses is None else str(reverses.pk),
        int_array([leg.account.pk for leg in legs]),
        int_array([leg.amount_fen for leg in legs]),
    ]
    kept = _kept(db)
    conn = kept.connection
    pgconn = conn.pgconn
    status = pgconn.transaction_status
    direct = conn.prepare_threshold is None and (
        status == pq.TransactionStatus.INTRANS
        or (status == pq.TransactionStatus.IDLE and conn.autocommit)
    )
    if not direct:
        with db.wrap_database_errors:
            kept.cursor.execute(POST_ENTRY_SQL, parameters)
            fetched = kept.cursor.fetchone()
        assert fetched is not None  # the function always answers with one row
        row = tuple(fetched)
    else:
        encoding = conn.info.encoding
        with db.wrap_database_errors:
            # libpq reads a text parameter up to its first NUL: refused here, as the
            # driver refuses it, rather than stored cut short
            if any(value is not None and "\x00" in value for value in parameters):
                raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
            if not kept.prepared:
                _prepare(kept, encoding)
            encoded = [None if value is None else value.encode(encoding) for value in parameters]
            result = pgconn.exec_prepared(STATEMENT_NAME, encoded)
            if result.error_field(pq.DiagnosticField.SQLSTATE) == _INVALID_STATEMENT_NAME:
                # the server lost the statement (DISCARD ALL, DEALLOCATE): prepared again,
                # and in autocommit, where the failed call left nothing behind, sent again
                kept.prepared = False
                if status == pq.TransactionStatus.IDLE:
                    _prepare(kept, encoding)
                    result = pgconn.exec_prepared(STATEMENT_NAME, encoded)
            _check(result, pgconn, encoding)
            if result.ntuples != 1:
                raise psycopg.InternalError("ledger_post_entry answered with no row")
        values = [result.get_value(0, i) for i in range(8)]
        row = (
            _whole(values[0]),
            _whole(values[1]),
            _text(values[2]),
            _whole(values[3]),
            values[4] == b"t",
            *[_whole(v) for v in values[5:]],
        )
    entry_id, seq, digest, micros, *rest = row
    recorded_at = None if micros is None else _EPOCH + dt.timedelta(microseconds=micros)
    return (entry_id, seq, digest, recorded_at, *rest)
