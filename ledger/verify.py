"""Reads the whole journal back and checks it (``manage.py ledger_verify``): every entry
balances, has at least two legs and no zero leg; the hash chain of the sealed entries is
unbroken, each entry checked with the recipe it names (``ledger.chain``), and no entry
names an older recipe than an entry before it; the sealed blocks cover the sealed
entries one after the other, each block's hash chained to the previous one's and
covering its last entry's hash; entries not sealed yet are counted (and the oldest
named), which is not a problem: the next ``ledger_seal`` seals them; every account's
running balance equals the sum of its legs;
and, given a checkpoint kept outside the database (``ledger.checkpoint``), the journal
still holds the position it vouches for with the hash it vouches for. Also builds the
trial balance.

On PostgreSQL the whole reading is one REPEATABLE READ snapshot (when the caller is not
already in a transaction), so entries posted meanwhile are not half seen."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from .chain import GENESIS, HASH_VERSIONS, block_hash, entry_hash
from .checkpoint import Checkpoint, CheckpointError, is_configured, read_checkpoint
from .models import Account, Block, ChainHead, Entry, Leg


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    book: str
    debit_fen: int
    credit_fen: int


@dataclass
class Verification:
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_entry: Entry | None = None
    trial_balance: list[TrialBalanceRow] = field(default_factory=list)
    # the latest sealed position of the chain and its hash (what a checkpoint records)
    sealed_position: int = 0
    sealed_hash: str = GENESIS
    # what was found about the checkpoint when it holds, or why none was used
    checkpoint_note: str = ""
    blocks: int = 0
    # entries posted but not sealed yet (not a problem), and the oldest one's time
    unsealed: int = 0
    oldest_unsealed: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_debit_fen(self) -> int:
        return sum(r.debit_fen for r in self.trial_balance)

    @property
    def total_credit_fen(self) -> int:
        return sum(r.credit_fen for r in self.trial_balance)


def _entry_label(entry: Entry) -> str:
    return f"{entry.label} ({entry.idempotency_key})"


@contextmanager
def _one_snapshot() -> Iterator[None]:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def verify_ledger_and_checkpoint() -> Verification:
    """``verify_ledger`` against the checkpoint on file, when one is configured; a
    missing or invalid checkpoint is a problem."""
    if not is_configured():
        result = verify_ledger()
        result.checkpoint_note = _(
            "No ledger checkpoint is configured (LEDGER_CHECKPOINT_KEY): the journal was "
            "not checked against one."
        )
        return result
    try:
        checkpoint = read_checkpoint()
    except CheckpointError as error:
        result = verify_ledger()
        result.problems.append(str(error))
        return result
    return verify_ledger(checkpoint=checkpoint)


def verify_ledger(*, checkpoint: Checkpoint | None = None) -> Verification:
    with _one_snapshot():
        return _verify(checkpoint)


def _verify(checkpoint: Checkpoint | None) -> Verification:
    result = Verification()
    legs_by_entry: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for entry_id, account_id, amount in Leg.objects.values_list(
        "entry_id", "account_id", "amount"
    ).iterator(chunk_size=20000):
        legs_by_entry[entry_id].append((account_id, amount))

    def bad(entry: Entry, message: str) -> None:
        if result.first_bad_entry is None:
            result.first_bad_entry = entry
        result.problems.append(
            _("Entry %(entry)s: %(problem)s") % {"entry": _entry_label(entry), "problem": message}
        )

    prev_hash = GENESIS
    expected_seq = 1
    newest_recipe = min(HASH_VERSIONS)
    last_seq = 0
    vouched_for_found = vouched_for_held = False
    hash_at: dict[int, str] = {}
    for entry in Entry.objects.order_by(F("seq").asc(nulls_last=True), "pk").iterator(
        chunk_size=5000
    ):
        result.entries += 1
        if entry.seq is None:
            _check_unsealed(result, entry, legs_by_entry.get(entry.pk, []), bad)
            continue
        last_seq = entry.seq
        if checkpoint is not None and entry.seq == checkpoint.position:
            vouched_for_found = True
            vouched_for_held = entry.hash == checkpoint.hash
            if not vouched_for_held:
                result.problems.append(
                    _(
                        "Entry %(entry)s: its hash is not the one the checkpoint sealed at "
                        "%(when)s vouches for: the chain up to it was rewritten."
                    )
                    % {"entry": _entry_label(entry), "when": checkpoint.sealed_at_text}
                )
        legs = legs_by_entry.get(entry.pk, [])
        total = sum(amount for _account, amount in legs)
        if entry.seq != expected_seq:
            bad(
                entry,
                _("sequence %(seq)d where %(expected)d was expected (an entry is missing)")
                % {"seq": entry.seq, "expected": expected_seq},
            )
        if len(legs) < 2:
            bad(entry, _("it has %(n)d leg(s)") % {"n": len(legs)})
        if any(amount == 0 for _account, amount in legs):
            bad(entry, _("it has a leg of zero"))
        if total != 0:
            bad(entry, _("it does not balance: its legs sum to %(total)d fen") % {"total": total})
        if entry.prev_hash != prev_hash:
            bad(entry, _("its link to the previous entry is broken"))
        if entry.hash_version not in HASH_VERSIONS:
            bad(
                entry,
                _("it names hash recipe %(version)d, which is unknown")
                % {"version": entry.hash_version},
            )
        else:
            if entry.hash_version < newest_recipe:
                bad(
                    entry,
                    _("it names hash recipe %(version)d, older than an entry before it")
                    % {"version": entry.hash_version},
                )
            newest_recipe = max(newest_recipe, entry.hash_version)
            digest = entry_hash(
                version=entry.hash_version,
                prev_hash=entry.prev_hash or "",
                seq=entry.seq,
                idempotency_key=entry.idempotency_key,
                kind=entry.kind,
                value_date=entry.value_date,
                reverses_id=entry.reverses_id,
                legs=legs,
                actor_id=entry.actor_id,
                recorded_at=entry.recorded_at,
                memo=entry.memo,
            )
            if digest != entry.hash:
                bad(entry, _("its hash does not match its content (changed after posting)"))
        prev_hash = entry.hash or ""  # sealed: never empty (ledger_entry_sealed_whole)
        expected_seq = entry.seq + 1
        hash_at[entry.seq] = prev_hash
    _check_blocks(result, hash_at, last_seq)
    head = ChainHead.objects.filter(pk=1).first()
    if last_seq and (head is None or head.hash != prev_hash or head.seq != last_seq):
        result.problems.append(_("The chain head does not point to the last entry."))
    result.sealed_position, result.sealed_hash = last_seq, prev_hash
    if checkpoint is not None and checkpoint.position > 0 and not vouched_for_found:
        result.problems.append(
            _(
                "The checkpoint sealed at %(when)s vouches for entry #%(seq)d (hash "
                "%(hash)s…), which the journal no longer holds (it ends at #%(last)d): "
                "entries were removed."
            )
            % {
                "when": checkpoint.sealed_at_text,
                "seq": checkpoint.position,
                "hash": checkpoint.hash[:12],
                "last": last_seq,
            }
        )
    elif checkpoint is not None and (checkpoint.position == 0 or vouched_for_held):
        result.checkpoint_note = _(
            "Checkpoint sealed at %(when)s: the journal still holds entry #%(seq)d with the "
            "hash it vouches for."
        ) % {"when": checkpoint.sealed_at_text, "seq": checkpoint.position}

    sums = dict(
        Leg.objects.values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    for account in Account.objects.order_by("code"):
        recomputed = int(sums.get(account.pk) or 0)
        if recomputed != account.balance:
            result.problems.append(
                _("Account %(code)s: balance %(balance)d fen, but its legs sum to %(legs)d fen")
                % {"code": account.code, "balance": account.balance, "legs": recomputed}
            )
        if recomputed:
            result.trial_balance.append(
                TrialBalanceRow(
                    code=account.code,
                    name=account.name,
                    book=account.book,
                    debit_fen=max(recomputed, 0),
                    credit_fen=max(-recomputed, 0),
                )
            )
    return result


def _check_unsealed(
    result: Verification, entry: Entry, legs: list[tuple[int, int]], bad: Any
) -> None:
    """An entry not sealed yet: counted, and checked for what does not need the chain."""
    result.unsealed += 1
    if result.oldest_unsealed is None or entry.recorded_at < result.oldest_unsealed:
        result.oldest_unsealed = entry.recorded_at
    if entry.prev_hash is not None or entry.hash is not None:
        bad(entry, _("it has a hash but no place in the chain"))
    if len(legs) < 2:
        bad(entry, _("it has %(n)d leg(s)") % {"n": len(legs)})
    if any(amount == 0 for _account, amount in legs):
        bad(entry, _("it has a leg of zero"))
    total = sum(amount for _account, amount in legs)
    if total != 0:
        bad(entry, _("it does not balance: its legs sum to %(total)d fen") % {"total": total})


def _check_blocks(result: Verification, hash_at: dict[int, str], last_seq: int) -> None:
    """The blocks, in number order, cover the sealed entries 1..last_seq one after the
    other, each chained to the previous block and sealing its last entry's hash."""
    expected_number, expected_first, prev_block = 1, 1, GENESIS

    def problem(block: Block, message: str) -> None:
        result.problems.append(
            _("Sealed block %(number)d: %(problem)s") % {"number": block.number, "problem": message}
        )

    for block in Block.objects.order_by("number"):
        result.blocks += 1
        if block.number != expected_number:
            problem(
                block,
                _("number %(number)d where %(expected)d was expected (a block is missing)")
                % {"number": block.number, "expected": expected_number},
            )
        if block.first_seq != expected_first:
            problem(
                block,
                _("it starts at entry #%(first)d where #%(expected)d was expected")
                % {"first": block.first_seq, "expected": expected_first},
            )
        if block.prev_hash != prev_block:
            problem(block, _("its link to the previous block is broken"))
        if hash_at.get(block.last_seq) != block.last_entry_hash:
            problem(
                block,
                _("the hash of its last entry #%(seq)d is not the one it sealed")
                % {"seq": block.last_seq},
            )
        digest = block_hash(
            number=block.number,
            prev_block_hash=block.prev_hash,
            first_seq=block.first_seq,
            last_seq=block.last_seq,
            entry_count=block.entry_count,
            last_entry_hash=block.last_entry_hash,
            sealed_at=block.sealed_at,
        )
        if digest != block.hash:
            problem(block, _("its hash does not match its content (changed after sealing)"))
        expected_number = block.number + 1
        expected_first = block.last_seq + 1
        prev_block = block.hash
    if expected_first - 1 != last_seq:
        result.problems.append(
            _("The sealed blocks end at entry #%(blocks)d but the sealed entries at #%(entries)d.")
            % {"blocks": expected_first - 1, "entries": last_seq}
        )
