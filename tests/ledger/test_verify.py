"""Acceptance 2: ``ledger_verify`` passes on good books and names the first bad entry."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from ledger import services
from ledger.models import Entry, Leg

from .conftest import D, disbursed, yuan

pytestmark = pytest.mark.django_db


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def tamper(sql: str, params: list) -> None:
    """Change a posted row behind the services' back (test database only): the
    database's own guards are switched off for this transaction first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS ledger_leg_no_update")
        cursor.execute(sql, params)


@pytest.fixture
def books(line, maker, checker, bank):
    services.commitment_post(
        budget_line=line,
        project_ref="KJ2026-001",
        amount=yuan("200000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    d = disbursed(line, maker, checker, "80000")
    services.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=D(2026, 3, 9),
        bank_reference="V1",
        actor=maker,
    )
    return d


def test_good_books_verify_and_the_trial_balance_sums_to_zero(books):
    code, out, err = verify()
    assert code == 0, err
    assert "借方合计减贷方合计：0.00 元" in out or "Debits minus credits: 0.00 yuan" in out
    assert err == ""


def test_a_leg_altered_behind_the_services_back_is_named(books):
    # given a leg of the payment entry changed directly in the database
    pay = Entry.objects.get(kind=Entry.Kind.PAY)
    leg = Leg.objects.filter(entry=pay).order_by("pk").first()
    tamper("UPDATE ledger_leg SET amount = amount + 1 WHERE id = %s", [leg.pk])
    # when the ledger is verified
    code, _out, err = verify()
    # (put it back, so that the test database's own end-of-test checks pass)
    tamper("UPDATE ledger_leg SET amount = amount - 1 WHERE id = %s", [leg.pk])
    # then it fails and names that entry first
    assert code == 1
    assert f"#{pay.seq} ({pay.idempotency_key})" in err.splitlines()[-1]
