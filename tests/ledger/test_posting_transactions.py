"""A posting on PostgreSQL goes through libpq itself where it can (issue 16): it must join
the caller's transaction exactly as a cursor would — undone with it, committed with it —
whether it is the transaction's first statement or not, and its errors must be Django's."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger import services
from ledger.models import Account, Entry
from ledger.services import Posting

from .conftest import D, figures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="postings go through libpq on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]


class Undo(Exception):
    pass


def legs(line, fen: int = 100) -> list[Posting]:
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    return [Posting(appropriation, fen), Posting(available, -fen)]


def post(key: str, legs: list[Posting]) -> Entry:
    return services.entry_post(
        idempotency_key=key,
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=D(2026, 2, 1),
        legs=legs,
        actor=None,
    )


def move(line, key: str, fen: int = 100) -> Entry:
    return post(key, legs(line, fen))


def test_a_posting_first_in_a_transaction_is_undone_with_it(line):
    movement = legs(line)
    before = figures(line)["available"]
    connection.close()  # a fresh connection: nothing prepared, nothing begun
    with pytest.raises(Undo), transaction.atomic():
        post("first-then-undone", movement)  # the transaction's first statement
        raise Undo
    assert not Entry.objects.filter(idempotency_key="first-then-undone").exists()
    assert figures(line)["available"] == before


def test_a_posting_after_other_statements_is_undone_with_the_transaction(line):
    before = figures(line)["available"]
    with pytest.raises(Undo), transaction.atomic():
        assert Entry.objects.count() >= 0  # the transaction has begun on the server
        move(line, "later-then-undone")
        assert Entry.objects.filter(idempotency_key="later-then-undone").exists()
        raise Undo
    assert not Entry.objects.filter(idempotency_key="later-then-undone").exists()
    assert figures(line)["available"] == before


def test_postings_in_a_transaction_commit_together(line):
    before = figures(line)["available"]
    with transaction.atomic():
        move(line, "together-1")
        move(line, "together-2")
    assert Entry.objects.filter(idempotency_key__startswith="together-").count() == 2
    assert figures(line)["available"] == before - 200


def test_a_posting_on_its_own_is_committed_at_once(line):
    before = figures(line)["available"]
    entry = move(line, "on-its-own")
    connection.close()  # another connection sees it
    assert Entry.objects.get(idempotency_key="on-its-own").pk == entry.pk
    assert figures(line)["available"] == before - 100
    # and a new connection posts again (the call is prepared anew on it)
    move(line, "after-reconnect")
    assert figures(line)["available"] == before - 200


def test_a_database_refusal_is_djangos_error_and_the_connection_goes_on(line):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    missing = Account(pk=available.pk + 10_000)
    with pytest.raises(IntegrityError):
        services.entry_post(
            idempotency_key="no-such-account",
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 2, 1),
            legs=[Posting(missing, 100), Posting(available, -100)],
            actor=None,
        )
    assert not Entry.objects.filter(idempotency_key="no-such-account").exists()
    move(line, "after-the-refusal")
    assert Entry.objects.filter(idempotency_key="after-the-refusal").exists()


def test_a_key_with_a_nul_character_is_refused_not_cut_short(line):
    from django.db import DataError

    move(line, "nul-prefix")
    with pytest.raises(DataError):
        move(line, "nul-prefix\x00tail")
    # nothing was stored under the key cut at the NUL, nor answered from it
    assert list(
        Entry.objects.filter(idempotency_key__startswith="nul-prefix").values_list(
            "idempotency_key", flat=True
        )
    ) == ["nul-prefix"]


def test_a_posting_call_the_server_lost_is_prepared_again(line):
    before = figures(line)["available"]
    move(line, "before-the-loss")  # the call is prepared on this connection

    def lose_it() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # as a pooler's reset would

    # in autocommit the call is simply prepared and sent again
    lose_it()
    move(line, "after-the-loss")
    # inside a transaction the failed call has undone it: the caller hears of it …
    lose_it()
    with pytest.raises(DatabaseError), transaction.atomic():
        assert Entry.objects.exists()
        move(line, "lost-in-a-transaction")
    # … and the next transaction posts again
    with transaction.atomic():
        assert Entry.objects.exists()
        move(line, "the-next-transaction")
    keys = set(Entry.objects.values_list("idempotency_key", flat=True))
    assert {"before-the-loss", "after-the-loss", "the-next-transaction"} <= keys
    assert "lost-in-a-transaction" not in keys
    assert figures(line)["available"] == before - 300


def test_a_transaction_marked_for_rollback_refuses_the_posting(line):
    from django.db.transaction import TransactionManagementError

    with transaction.atomic():
        assert Entry.objects.exists()
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            move(line, "in-a-doomed-transaction")
    assert not Entry.objects.filter(idempotency_key="in-a-doomed-transaction").exists()
