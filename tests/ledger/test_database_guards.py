"""Acceptance 1: on PostgreSQL the database itself refuses what only the services may do,
shown with raw SQL that goes around the services."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from ledger import services
from ledger.models import Account, Entry, Leg

from .conftest import D, postgres_only, yuan

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]

DB_ERRORS = (IntegrityError, InternalError)


@pytest.fixture
def posted(line, maker):
    services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("1000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    return Entry.objects.get(kind=Entry.Kind.COMMIT)


def raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_update_of_a_posted_entry_fails(posted):
    with pytest.raises(DB_ERRORS, match="not allowed"):
        raw("UPDATE ledger_entry SET memo = 'changed' WHERE id = %s", [posted.pk])
    assert Entry.objects.get(pk=posted.pk).memo != "changed"


def test_delete_of_a_posted_entry_fails(posted):
    with pytest.raises(DB_ERRORS, match="not allowed"):
        raw("DELETE FROM ledger_entry WHERE id = %s", [posted.pk])
    assert Entry.objects.filter(pk=posted.pk).exists()


def test_update_of_a_posted_leg_fails(posted):
    leg = posted.legs.first()
    with pytest.raises(DB_ERRORS, match="not allowed"):
        raw("UPDATE ledger_leg SET amount = amount * 2 WHERE id = %s", [leg.pk])
    assert Leg.objects.get(pk=leg.pk).amount == leg.amount


def test_delete_of_a_posted_leg_fails(posted):
    leg = posted.legs.first()
    with pytest.raises(DB_ERRORS, match="not allowed"):
        raw("DELETE FROM ledger_leg WHERE id = %s", [leg.pk])
    assert Leg.objects.filter(pk=leg.pk).exists()


def _insert_entry(cursor, key: str) -> int:
    cursor.execute(
        "INSERT INTO ledger_entry (seq, idempotency_key, kind, value_date, recorded_at, memo,"
        " prev_hash, hash) VALUES (%s, %s, 'commit', '2026-03-02', now(), '', '', %s)"
        " RETURNING id",
        [900_000 + len(key), key, key.ljust(64, "x")],
    )
    return cursor.fetchone()[0]


def test_an_unbalanced_entry_fails_at_commit(posted, line):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    statements_ran = False
    with (
        pytest.raises(DB_ERRORS, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = _insert_entry(cursor, "raw-unbalanced")
        cursor.execute(
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 100),"
            " (%s, %s, -99)",
            [entry_id, available.pk, entry_id, appropriation.pk],
        )
        statements_ran = True  # every statement succeeded; the refusal comes at COMMIT
    assert statements_ran
    assert not Entry.objects.filter(idempotency_key="raw-unbalanced").exists()


def test_an_entry_without_legs_fails_at_commit(posted):
    with (
        pytest.raises(DB_ERRORS, match="leg"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _insert_entry(cursor, "raw-empty")
    assert not Entry.objects.filter(idempotency_key="raw-empty").exists()


def test_a_zero_amount_fails(posted, line):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    with pytest.raises(IntegrityError, match="ledger_leg_amount_not_zero"):
        raw(
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 0)",
            [posted.pk, available.pk],
        )


def test_an_overdrawn_available_balance_fails(posted, line):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    with pytest.raises(IntegrityError, match="ledger_account_not_overdrawn"):
        raw("UPDATE ledger_account SET balance = -1 WHERE id = %s", [available.pk])


def test_the_posting_function_plans_once_and_by_index():
    # migration 0009: planning every call was a quarter of a posting's time, and a
    # generic plan that scans ledger_account reads every row version a long
    # transaction leaves behind
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'ledger_post_entry'")
        (config,) = cursor.fetchone()
    assert set(config) == {"plan_cache_mode=force_generic_plan", "enable_seqscan=off"}
