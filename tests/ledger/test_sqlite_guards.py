"""On SQLite (the embedded default) triggers refuse UPDATE of posted entries and legs, and
legs added to an entry once the chain head has moved past it; the services refuse the
rest (tested with the services themselves)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ledger import services
from ledger.models import Account, Entry, Leg

from .conftest import D, yuan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own triggers"),
]


def test_sqlite_refuses_to_change_posted_rows(line, maker):
    services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("1000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    entry = Entry.objects.get(kind=Entry.Kind.COMMIT)
    leg = entry.legs.first()
    for sql, params in (
        ("UPDATE ledger_entry SET memo = 'x' WHERE id = %s", [entry.pk]),
        ("UPDATE ledger_leg SET amount = 1 WHERE id = %s", [leg.pk]),
    ):
        with (
            pytest.raises(DatabaseError, match="cannot be changed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    assert Leg.objects.get(pk=leg.pk).amount == leg.amount


def test_sqlite_refuses_legs_added_to_a_posted_entry(line, maker):
    # given an entry posted through the services
    services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("1000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    entry = Entry.objects.get(kind=Entry.Kind.COMMIT)
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    # when a balanced pair of legs is added to it
    with (
        pytest.raises(DatabaseError, match="no leg may be added"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 100),"
            " (%s, %s, -100)",
            [entry.pk, available.pk, entry.pk, appropriation.pk],
        )
    # then it keeps its own two
    assert entry.legs.count() == 2


def test_sqlite_guards_survive_every_migration():
    # SQLite loses a table's triggers when a migration rebuilds the table (see 0007): a
    # later migration that alters these tables must put them back
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {name for (name,) in cursor.fetchall()}
    assert {
        "ledger_entry_no_update",
        "ledger_leg_no_update",
        "ledger_leg_entry_open",
    } <= triggers
