"""Issue 12, item 6: ``ledger_verify`` checks the journal against a checkpoint kept outside
the database, so that a truncated or re-hashed journal is found. Written as the attack:
the attacker can write to the database (the guards lifted, as a superuser would) but
cannot read the checkpoint key."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ledger import services
from ledger.chain import GENESIS, block_hash, entry_hash
from ledger.checkpoint import FILENAME
from ledger.models import Block, ChainHead, Entry

from .conftest import D, disbursed, yuan

pytestmark = pytest.mark.django_db

KEY = "checkpoint-key-for-tests-only-0123456789abcdef"


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def checkpoints(settings: Any, tmp_path: Any) -> Any:
    """The checkpoint key in the settings (as the environment would give it) and a
    directory of this test's own."""
    settings.LEDGER_CHECKPOINT_KEY = KEY
    settings.LEDGER_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return tmp_path / "checkpoints" / FILENAME


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
        disbursement=d, bank_account=bank, paid_on=D(2026, 3, 9), bank_reference="V1", actor=maker
    )
    services.ledger_seal()
    return d


def sql(statement: str, params: list | None = None) -> None:
    """Run ``statement`` as an attacker with write access to the database would, the
    database's own guards lifted first (test database only; rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            for trigger in (
                "ledger_leg_no_update",
                "ledger_entry_no_update",
                "ledger_block_no_update",
            ):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(statement, params or [])


def _cascade_of(model: Any) -> list[str]:
    """The tables that ``TRUNCATE <model's table> CASCADE`` empties."""
    tables, todo = [], [model]
    while todo:
        current = todo.pop()
        if current._meta.db_table in tables:
            continue
        tables.append(current._meta.db_table)
        todo.extend(
            field.related_model
            for field in current._meta.get_fields(include_hidden=True)
            if field.auto_created and not field.concrete and field.related_model
        )
    return tables


def truncate_the_journal() -> None:
    """The journal emptied, its blocks and the chain head deleted and the balances
    zeroed."""
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending checks, first
        sql("TRUNCATE ledger_leg, ledger_entry CASCADE")
    else:  # SQLite has no TRUNCATE: what TRUNCATE ... CASCADE empties, deleted
        for table in _cascade_of(Entry):
            sql(f"DELETE FROM {table}")  # noqa: S608
    sql("DELETE FROM ledger_block")
    sql("DELETE FROM ledger_chainhead")
    sql("UPDATE ledger_account SET balance = 0")


def rehash_the_journal(entry: Entry, memo: str) -> None:
    """``entry`` rewritten (its memo) and the chain recomputed from it on, with the
    recipe of ``ledger.chain``, so that the chain checks out by itself."""
    sql("UPDATE ledger_entry SET memo = %s WHERE id = %s", [memo, entry.pk])
    previous = Entry.objects.filter(seq__lt=entry.seq).order_by("-seq").first()
    prev_hash = previous.hash if previous else GENESIS
    for rewritten in Entry.objects.filter(seq__gte=entry.seq).order_by("seq"):
        digest = entry_hash(
            version=rewritten.hash_version,
            prev_hash=prev_hash,
            seq=rewritten.seq,
            idempotency_key=rewritten.idempotency_key,
            kind=rewritten.kind,
            value_date=rewritten.value_date,
            reverses_id=rewritten.reverses_id,
            legs=list(rewritten.legs.values_list("account_id", "amount")),
            actor_id=rewritten.actor_id,
            recorded_at=rewritten.recorded_at,
            memo=rewritten.memo,
        )
        sql(
            "UPDATE ledger_entry SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev_hash, digest, rewritten.pk],
        )
        prev_hash = digest
    sql("UPDATE ledger_chainhead SET hash = %s WHERE id = 1", [prev_hash])
    # and the blocks' hashes recomputed over the new entry hashes
    prev_block = GENESIS
    for block in Block.objects.order_by("number"):
        last_hash = Entry.objects.get(seq=block.last_seq).hash
        digest = block_hash(
            number=block.number,
            prev_block_hash=prev_block,
            first_seq=block.first_seq,
            last_seq=block.last_seq,
            entry_count=block.entry_count,
            last_entry_hash=last_hash,
            sealed_at=block.sealed_at,
        )
        sql(
            "UPDATE ledger_block SET prev_hash = %s, last_entry_hash = %s, hash = %s WHERE id = %s",
            [prev_block, last_hash, digest, block.pk],
        )
        prev_block = digest


def head() -> ChainHead:
    return ChainHead.objects.get(pk=1)


def test_a_checkpoint_seals_the_chain_head_and_the_ledger_verifies_against_it(books, checkpoints):
    # when the first checkpoint is written
    code, out, err = run("ledger_checkpoint", "--first")
    # then the file holds the chain head's position and hash, sealed under the key
    assert code == 0, err
    written = json.loads(checkpoints.read_text())
    assert (written["position"], written["hash"]) == (head().seq, head().hash)
    assert written["format"] == "kjfund-ledger-checkpoint"
    assert KEY not in checkpoints.read_text()
    assert f"#{head().seq}" in out
    # and the ledger verifies against it
    code, out, err = run("ledger_verify")
    assert code == 0, err
    assert f"#{head().seq}" in out
    assert "仍有凭证" in out or "still holds entry" in out


def test_a_truncated_journal_passes_without_a_checkpoint_and_fails_with_one(
    books, checkpoints, settings
):
    # given a checkpoint of the books as they are
    assert run("ledger_checkpoint", "--first")[0] == 0
    sealed = head().seq
    # when the journal is truncated, the chain head deleted and the balances zeroed
    truncate_the_journal()
    # then without the checkpoint the ledger looks clean and empty (what issue 12 found)
    settings.LEDGER_CHECKPOINT_KEY = ""
    code, out, _err = run("ledger_verify")
    assert code == 0
    assert "0" in out
    # but with the checkpoint ledger_verify fails and says what is gone
    settings.LEDGER_CHECKPOINT_KEY = KEY
    code, _out, err = run("ledger_verify")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert f"#{sealed}" in last
    assert "#0" in last
    assert "凭证被删除" in last or "entries were removed" in last


def test_a_rehashed_journal_passes_without_a_checkpoint_and_fails_with_one(
    books, checkpoints, settings
):
    # given a checkpoint of the books as they are
    assert run("ledger_checkpoint", "--first")[0] == 0
    sealed = head().seq
    # when the first entry is rewritten and the whole chain recomputed after it
    first = Entry.objects.order_by("seq").first()
    rehash_the_journal(first, "改写的摘要")
    # then without the checkpoint the chain checks out by itself
    settings.LEDGER_CHECKPOINT_KEY = ""
    assert run("ledger_verify")[0] == 0
    # but with the checkpoint ledger_verify fails, naming the entry it vouched for
    settings.LEDGER_CHECKPOINT_KEY = KEY
    code, _out, err = run("ledger_verify")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert f"#{sealed} (" in last
    assert "被改写" in last or "was rewritten" in last


def test_a_tampered_journal_is_not_sealed_over(books, checkpoints):
    # given a checkpoint, then a re-hashed journal
    assert run("ledger_checkpoint", "--first")[0] == 0
    before = checkpoints.read_text()
    rehash_the_journal(Entry.objects.order_by("seq").first(), "改写的摘要")
    # when the scheduled checkpoint runs
    code, _out, err = run("ledger_checkpoint")
    # then it refuses, and the checkpoint that shows the tampering is kept
    assert code == 1
    assert "未写入" in err or "no checkpoint was written" in err
    assert checkpoints.read_text() == before


def test_postings_after_a_checkpoint_verify_and_the_next_checkpoint_moves_on(
    books, checkpoints, line, maker, checker, bank
):
    assert run("ledger_checkpoint", "--first")[0] == 0
    sealed = head().seq
    # when more is posted
    d = disbursed(line, maker, checker, "1000")
    services.disbursement_pay(
        disbursement=d, bank_account=bank, paid_on=D(2026, 3, 10), bank_reference="V2", actor=maker
    )
    services.ledger_seal()
    # then the ledger still verifies against the older checkpoint
    assert run("ledger_verify")[0] == 0
    # and the next checkpoint seals the new head
    assert run("ledger_checkpoint")[0] == 0
    assert json.loads(checkpoints.read_text())["position"] == head().seq > sealed


def test_a_missing_checkpoint_is_reported(books, checkpoints):
    # given a configured checkpoint whose file is not there
    assert not checkpoints.exists()
    # then ledger_verify fails, naming the file
    code, _out, err = run("ledger_verify")
    assert code == 1
    assert str(checkpoints) in err
    assert "缺失" in err or "is missing" in err
    # and the scheduled command will not start a new one unasked
    with pytest.raises(CommandError, match="--first"):
        call_command("ledger_checkpoint", stdout=io.StringIO())
    assert not checkpoints.exists()


def _reseal(path: Any, **changes: Any) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda path: _reseal(path, position=1), ("被改动", "it was altered")),
        (lambda path: _reseal(path, hash="0" * 64), ("被改动", "it was altered")),
        (
            lambda path: _reseal(path, key_id="0123456789abcdef"),
            ("另一个密钥", "another key"),
        ),
        (lambda path: path.write_text("{not json"), ("不是", "not a ledger checkpoint")),
    ],
    ids=["position", "hash", "key", "garbage"],
)
def test_a_tampered_checkpoint_is_reported(books, checkpoints, change, reason):
    # given a checkpoint altered by someone without the key
    assert run("ledger_checkpoint", "--first")[0] == 0
    change(checkpoints)
    altered = checkpoints.read_text()
    # then ledger_verify fails, saying why
    code, _out, err = run("ledger_verify")
    assert code == 1
    assert str(checkpoints) in err
    assert any(word in err for word in reason), err
    # and the scheduled command does not seal over it
    with pytest.raises(CommandError):
        call_command("ledger_checkpoint", stdout=io.StringIO())
    assert checkpoints.read_text() == altered


def test_a_checkpoint_sealed_under_another_key_is_reported(books, checkpoints, settings):
    assert run("ledger_checkpoint", "--first")[0] == 0
    settings.LEDGER_CHECKPOINT_KEY = "another-key-for-tests-only-0123456789abcdef"
    code, _out, err = run("ledger_verify")
    assert code == 1
    assert "另一个密钥" in err or "another key" in err


def test_without_a_key_there_is_no_checkpoint_and_ledger_verify_says_so(books, settings):
    settings.LEDGER_CHECKPOINT_KEY = ""
    code, out, _err = run("ledger_verify")
    assert code == 0
    assert "LEDGER_CHECKPOINT_KEY" in out
    with pytest.raises(CommandError, match="LEDGER_CHECKPOINT_KEY"):
        call_command("ledger_checkpoint", "--first", stdout=io.StringIO())


def test_a_short_key_is_refused(books, checkpoints, settings):
    settings.LEDGER_CHECKPOINT_KEY = "too-short"
    with pytest.raises(CommandError, match="32"):
        call_command("ledger_checkpoint", "--first", stdout=io.StringIO())
    code, _out, err = run("ledger_verify")
    assert code == 1
    assert "32" in err
