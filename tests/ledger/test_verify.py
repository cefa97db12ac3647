"""Acceptance 2: ``ledger_verify`` passes on good books and names the first bad entry."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection

from ledger import services
from ledger.chain import GENESIS, block_hash, entry_hash
from ledger.models import Block, ChainHead, Entry, Leg

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
            cursor.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS ledger_block_no_update")
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
    services.ledger_seal()
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


def _later(entry: Entry, _maker: object) -> object:
    return connection.ops.adapt_datetimefield_value(entry.recorded_at + dt.timedelta(hours=3))


@pytest.mark.parametrize(
    ("field", "sql", "value"),
    [
        # the maker, as if they had approved it themselves
        ("actor_id", "UPDATE ledger_entry SET actor_id = %s WHERE id = %s", lambda e, m: m.pk),
        ("memo", "UPDATE ledger_entry SET memo = %s WHERE id = %s", lambda e, m: "拨付 BF2026"),
        ("recorded_at", "UPDATE ledger_entry SET recorded_at = %s WHERE id = %s", _later),
    ],
)
def test_who_when_and_the_memo_altered_behind_the_services_back_are_named(
    books, maker, checker, field, sql, value
):
    # given the approval entry, posted by the checker, changed directly in the database
    approve = Entry.objects.get(kind=Entry.Kind.APPROVE)
    assert approve.actor_id == checker.pk
    tamper(sql, [value(approve, maker), approve.pk])
    assert getattr(Entry.objects.get(pk=approve.pk), field) != getattr(approve, field)
    # when the ledger is verified
    code, _out, err = verify()
    # then it fails and names that entry first, as changed after posting
    assert code == 1
    assert f"#{approve.seq} ({approve.idempotency_key})" in err.splitlines()[-1]
    assert "记账后被改动" in err or "changed after posting" in err


def test_an_entry_cannot_escape_the_new_recipe_by_claiming_the_old_one(books):
    pay = Entry.objects.get(kind=Entry.Kind.PAY)
    assert pay.hash_version == 2
    tamper(
        "UPDATE ledger_entry SET hash_version = 1, memo = %s WHERE id = %s", ["改过的摘要", pay.pk]
    )
    code, _out, err = verify()
    assert code == 1
    assert f"#{pay.seq} ({pay.idempotency_key})" in err.splitlines()[-1]
    assert "早于此前凭证所用的版本" in err or "older than an entry before it" in err


def rehash_as_before_recipe_2() -> None:
    """Rewrites the chain as the ledger hashed it before recipe 2 (what an existing
    database holds after the upgrade): every entry with recipe 1."""
    prev = GENESIS
    for entry in Entry.objects.order_by("seq"):
        digest = entry_hash(
            version=1,
            prev_hash=prev,
            seq=entry.seq,
            idempotency_key=entry.idempotency_key,
            kind=entry.kind,
            value_date=entry.value_date,
            reverses_id=entry.reverses_id,
            legs=list(entry.legs.values_list("account_id", "amount")),
        )
        tamper(
            "UPDATE ledger_entry SET hash_version = 1, prev_hash = %s, hash = %s WHERE id = %s",
            [prev, digest, entry.pk],
        )
        prev = digest
    ChainHead.objects.filter(pk=1).update(hash=prev)
    # and its one block, as migration 0016 records the entries sealed before blocks
    block = Block.objects.get()
    tamper(
        "UPDATE ledger_block SET last_entry_hash = %s, hash = %s WHERE id = %s",
        [
            prev,
            block_hash(
                number=1,
                prev_block_hash=GENESIS,
                first_seq=block.first_seq,
                last_seq=block.last_seq,
                entry_count=block.entry_count,
                last_entry_hash=prev,
                sealed_at=block.sealed_at,
            ),
            block.pk,
        ],
    )


def test_entries_hashed_the_old_way_still_verify_and_new_ones_chain_onto_them(
    books, line, maker, checker, bank
):
    # given books whose entries were all hashed before recipe 2
    rehash_as_before_recipe_2()
    old = list(Entry.objects.order_by("seq"))
    assert {e.hash_version for e in old} == {1}
    assert verify()[0] == 0
    # when more is posted
    d = disbursed(line, maker, checker, "1000")
    services.disbursement_pay(
        disbursement=d, bank_account=bank, paid_on=D(2026, 3, 10), bank_reference="V2", actor=maker
    )
    services.ledger_seal()
    new = list(Entry.objects.filter(seq__gt=old[-1].seq).order_by("seq"))
    # then the new entries use recipe 2, linked to the last old entry, and all verify
    assert [e.hash_version for e in new] == [2, 2]
    assert new[0].prev_hash == old[-1].hash
    code, _out, err = verify()
    assert code == 0, err
    # and a new entry's memo altered behind the services' back is named
    tamper("UPDATE ledger_entry SET memo = %s WHERE id = %s", ["改过的摘要", new[-1].pk])
    code, _out, err = verify()
    assert code == 1
    assert f"#{new[-1].seq} ({new[-1].idempotency_key})" in err.splitlines()[-1]
