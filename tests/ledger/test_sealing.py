"""Issue 16: entries are posted unsealed and sealed later in blocks chained as
certificate logs chain them; the database refuses edits of sealed and unsealed entries
alike (their seal is set once, by sealing); ``ledger_verify`` checks the blocks and
reports what is not sealed yet. On both databases."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core import clock
from ledger import services
from ledger.chain import GENESIS
from ledger.models import Account, Block, ChainHead, Entry
from ledger.services import Posting

from .conftest import D, yuan

pytestmark = pytest.mark.django_db


def commit(line, maker, ref: str, amount: str = "1000") -> Entry:
    services.commitment_post(
        budget_line=line,
        project_ref=ref,
        amount=yuan(amount),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    return Entry.objects.filter(kind=Entry.Kind.COMMIT).latest("pk")


def raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_postings_wait_unsealed_and_sealing_chains_them_in_blocks(line, maker):
    # given entries posted (the budget line's own and two commitments)
    commit(line, maker, "P1")
    commit(line, maker, "P2")
    posted = list(Entry.objects.order_by("pk"))
    # then none of them has a place in the chain yet
    assert all(e.seq is None and e.hash is None and e.prev_hash is None for e in posted)
    # when the sealing runs, in blocks of two
    result = services.ledger_seal(block_size=2)
    # then every entry has its place in id order, each hash chained to the one before
    sealed = list(Entry.objects.order_by("seq"))
    assert [e.pk for e in sealed] == [e.pk for e in posted]
    assert [e.seq for e in sealed] == list(range(1, len(posted) + 1))
    assert sealed[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(sealed))
    # in blocks chained to each other, the last sealing the chain's end
    blocks = list(Block.objects.order_by("number"))
    assert result.entries == len(posted)
    assert [b.number for b in blocks] == list(range(1, len(blocks) + 1))
    assert next((b.first_seq, b.last_seq) for b in blocks) == (1, 2)
    assert blocks[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(blocks))
    assert blocks[-1].last_seq == len(posted)
    assert blocks[-1].last_entry_hash == sealed[-1].hash
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (sealed[-1].seq, sealed[-1].hash)
    # and a second run has nothing to do; what is posted next goes into the next block
    assert services.ledger_seal().entries == 0
    commit(line, maker, "P3")
    nxt = services.ledger_seal().last_block
    assert (nxt.number, nxt.first_seq, nxt.prev_hash) == (
        blocks[-1].number + 1,
        len(posted) + 1,
        blocks[-1].hash,
    )
    code, _out, err = run("ledger_verify")
    assert code == 0, err


def test_the_seal_command_says_what_it_sealed(line, maker):
    commit(line, maker, "P1")
    n = Entry.objects.count()
    code, out, _err = run("ledger_seal")
    assert code == 0
    assert f"#{n}" in out
    assert str(n) in out
    code, out, _err = run("ledger_seal")
    assert "每笔凭证都已封存" in out or "every entry is sealed" in out


def test_verify_reports_unsealed_entries_without_failing(line, maker):
    # given a sealed block, then two more entries posted and not sealed yet
    commit(line, maker, "P1")
    services.ledger_seal()
    sealed = Entry.objects.count()
    commit(line, maker, "P2")
    commit(line, maker, "P3")
    oldest = Entry.objects.filter(seq__isnull=True).earliest("recorded_at")
    # when the ledger is verified
    code, out, err = run("ledger_verify")
    # then it passes, saying how much is sealed and how much waits, and since when
    assert code == 0, err
    assert f"#{sealed}" in out
    assert "尚未封存：2 笔凭证" in out or "Not sealed yet: 2 entries" in out
    assert clock.iso_datetime(oldest.recorded_at) in out
    # and once sealed, nothing waits
    services.ledger_seal()
    code, out, err = run("ledger_verify")
    assert code == 0, err
    assert "尚未封存：无" in out or "Not sealed yet: none." in out


def _refused(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="not allowed|cannot be changed"):
        raw(sql, params)


def test_the_database_refuses_changing_an_unsealed_entry(line, maker):
    entry = commit(line, maker, "P1")
    assert entry.seq is None
    _refused("UPDATE ledger_entry SET memo = 'changed' WHERE id = %s", [entry.pk])
    # nor may a seal come with a change of content
    _refused(
        "UPDATE ledger_entry SET seq = 99, prev_hash = %s, hash = %s, memo = 'changed'"
        " WHERE id = %s",
        [GENESIS, "f" * 64, entry.pk],
    )
    # nor half a seal
    with pytest.raises(DatabaseError):
        raw("UPDATE ledger_entry SET seq = 99 WHERE id = %s", [entry.pk])
    stored = Entry.objects.get(pk=entry.pk)
    assert (stored.memo, stored.seq) == (entry.memo, None)


def test_a_seal_is_set_once(line, maker):
    entry = commit(line, maker, "P1")
    services.ledger_seal()
    entry.refresh_from_db()
    for sql, params in (
        ("UPDATE ledger_entry SET memo = 'changed' WHERE id = %s", [entry.pk]),
        ("UPDATE ledger_entry SET hash = %s WHERE id = %s", ["e" * 64, entry.pk]),
        (
            "UPDATE ledger_entry SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = %s",
            [entry.pk],
        ),
    ):
        _refused(sql, params)
    assert Entry.objects.get(pk=entry.pk).hash == entry.hash


def test_a_sealed_block_cannot_be_changed(line, maker):
    commit(line, maker, "P1")
    block = services.ledger_seal().last_block
    _refused("UPDATE ledger_block SET hash = %s WHERE id = %s", ["0" * 64, block.pk])
    if connection.vendor == "postgresql":
        _refused("DELETE FROM ledger_block WHERE id = %s", [block.pk])
    assert Block.objects.get(pk=block.pk).hash == block.hash


def test_no_leg_may_be_added_to_a_sealed_or_posted_entry(line, maker):
    entry = commit(line, maker, "P1")
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    pair = (
        "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES (%s, %s, 100), (%s, %s, -100)"
    )
    params = [entry.pk, available.pk, entry.pk, appropriation.pk]
    if connection.vendor == "sqlite":
        # (on PostgreSQL the rule is the entry's own transaction, which this test's
        # transaction is: tests/ledger/test_database_guards.py shows it across
        # transactions)
        with pytest.raises(DatabaseError, match="no leg may be added"):
            raw(pair, params)
    services.ledger_seal()
    with pytest.raises(DatabaseError, match="no leg may be added"):
        raw(pair, params)
    assert entry.legs.count() == 2


def test_a_block_altered_behind_the_sealing_is_named(line, maker):
    commit(line, maker, "P1")
    block = services.ledger_seal().last_block
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS ledger_block_no_update")
        cursor.execute(
            "UPDATE ledger_block SET sealed_at = %s WHERE id = %s",
            [
                connection.ops.adapt_datetimefield_value(block.sealed_at - dt.timedelta(days=1)),
                block.pk,
            ],
        )
    code, _out, err = run("ledger_verify")
    assert code == 1
    assert f"{block.number}" in err
    assert "封存后被改动" in err or "changed after sealing" in err


def test_a_reversal_of_an_unsealed_entry_names_it(line, maker):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    entry = services.entry_post(
        idempotency_key="adjust:1",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=D(2026, 2, 1),
        legs=[Posting(available, 100), Posting(appropriation, -100)],
        actor=maker,
    )
    reversal = services.entry_reverse(entry=entry, value_date=D(2026, 2, 2), actor=maker)
    assert str(entry.pk) in reversal.memo
    services.ledger_seal()
    code, _out, err = run("ledger_verify")
    assert code == 0, err
