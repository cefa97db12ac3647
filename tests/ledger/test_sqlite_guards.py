"""On SQLite (the embedded default) triggers refuse UPDATE of posted entries and legs;
the services refuse the rest (tested with the services themselves)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ledger import services
from ledger.models import Entry, Leg

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
