"""Acceptance 1: on PostgreSQL the database itself refuses what only the services may do,
shown with raw SQL that goes around the services."""

from __future__ import annotations

import psycopg
import pytest
from django.apps import apps
from django.db import IntegrityError, InternalError, connection, transaction

from ledger import services
from ledger.models import Account, Entry, Leg
from ledger.verify import verify_ledger

from .conftest import D, disbursed, plain_connection, postgres_only, yuan

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
    # unsealed, as a posting inserts it
    cursor.execute(
        "INSERT INTO ledger_entry (idempotency_key, kind, value_date, recorded_at, memo)"
        " VALUES (%s, 'commit', '2026-03-02', now(), '') RETURNING id",
        [key],
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


# --- TRUNCATE (issue 12, item 6) -----------------------------------------------------

LEDGER_TABLES = sorted(model._meta.db_table for model in apps.get_app_config("ledger").get_models())


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in LEDGER_TABLES:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def paid(line, maker, checker, bank):
    services.commitment_post(
        budget_line=line,
        project_ref="KJ2026-001",
        amount=yuan("200000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    d = disbursed(line, maker, checker, "80000")
    return services.disbursement_pay(
        disbursement=d, bank_account=bank, paid_on=D(2026, 3, 9), bank_reference="V1", actor=maker
    )


def test_truncating_the_journal_is_refused_and_empties_nothing(paid):
    # given books with a paid disbursement, and a connection made as production makes
    # one (the test database's owner, without the test settings' opt-in)
    before = row_counts()
    assert before["ledger_entry"] and before["ledger_disbursement"]
    with plain_connection() as conn:
        assert conn.execute("SELECT current_setting('kjfund.allow_truncate', true)").fetchone()[
            0
        ] in (None, "")
        # when the journal is truncated, with CASCADE
        with pytest.raises(psycopg.errors.RestrictViolation, match="TRUNCATE"):
            conn.execute("TRUNCATE ledger_leg, ledger_entry CASCADE")
    # then nothing is gone: not the journal, nor the disbursements it would have taken along
    assert row_counts() == before
    assert verify_ledger().ok


def test_truncating_any_ledger_table_is_refused(paid):
    before = row_counts()
    with plain_connection() as conn:
        for table in LEDGER_TABLES:
            with pytest.raises(psycopg.errors.RestrictViolation, match="TRUNCATE of ledger_"):
                conn.execute(f"TRUNCATE {table} CASCADE")
    assert row_counts() == before


def test_every_ledger_table_has_the_truncate_guard():
    # a new ledger table must get the guard too (in its own migration)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE p.proname = 'ledger_refuse_truncate' AND t.tgenabled = 'O'"
            " AND (t.tgtype & 32) <> 0"  # TRUNCATE
        )
        guarded = {name for (name,) in cursor.fetchall()}
    assert guarded == set(LEDGER_TABLES)


# --- legs after the entry's transaction (issue 12, item 6) ----------------------------


def test_a_balanced_pair_of_legs_cannot_be_added_to_a_posted_entry(posted, line):
    # given an entry posted (and committed) through the services
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    legs_before = list(posted.legs.values_list("account_id", "amount"))
    # when a balanced pair of legs is added to it in a later transaction
    with pytest.raises(DB_ERRORS, match="no leg may be added"):
        raw(
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 100),"
            " (%s, %s, -100)",
            [posted.pk, available.pk, posted.pk, appropriation.pk],
        )
    # then the entry keeps its own legs
    assert list(posted.legs.values_list("account_id", "amount")) == legs_before


def test_legs_may_follow_their_entry_within_its_own_transaction(posted, line):
    # the rule is "the entry's own transaction", savepoints and separate statements included
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    with transaction.atomic(), connection.cursor() as cursor:
        with transaction.atomic():
            entry_id = _insert_entry(cursor, "raw-own-transaction")
        cursor.execute(
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 100)",
            [entry_id, available.pk],
        )
        with transaction.atomic():
            cursor.execute(
                "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, -100)",
                [entry_id, appropriation.pk],
            )
    assert Leg.objects.filter(entry_id=entry_id).count() == 2
