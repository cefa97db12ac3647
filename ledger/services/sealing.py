"""Sealing: the journal's entries get their place in the hash chain in blocks, after they
are posted, so that postings never queue on one row (issue 16).

A posting inserts its entry unsealed (``seq``, ``prev_hash`` and ``hash`` NULL).
``ledger_seal`` (``manage.py ledger_seal``, run on a schedule) takes the seal lock (the
chain head row, level 4 of ``ledger.locks``; nothing else takes it), reads the unsealed
entries it can see in id order, gives each the next ``seq`` and its hash chained to the
previous one (recipe ``CURRENT_HASH_VERSION`` of ``ledger.chain``, the one the entry
names), and records them as one ``Block`` whose hash covers the previous block's hash
and the last entry's hash. The database lets an entry's seal be set once, from NULL, and
refuses every other change (migration 0016).

An entry whose posting commits while a sealing runs is sealed by the next one: sealing
sees only committed entries, so ``seq`` follows the order in which entries became
visible to the sealer, and id order within one block.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..chain import GENESIS, block_hash, entry_hash
from ..errors import LedgerError
from ..models import Block, ChainHead, Entry, Leg

# the most entries one block takes; what is left waits for the next block (same run)
BLOCK_SIZE = 5000
_UPDATE_CHUNK = 1000


@dataclass(frozen=True)
class SealResult:
    blocks: list[Block]
    entries: int

    @property
    def last_block(self) -> Block | None:
        return self.blocks[-1] if self.blocks else None


def lock_seal() -> ChainHead:
    """Level 4 of ``ledger.locks``: the seal lock, the chain head row (made if absent)."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.bulk_create([ChainHead(pk=1, seq=0, hash="")], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def ledger_seal(*, block_size: int = BLOCK_SIZE, max_blocks: int | None = None) -> SealResult:
    """Seals every unsealed entry visible now, in blocks of at most ``block_size``
    entries, each block in a transaction of its own (a long backlog does not hold the
    seal lock in one long transaction). Returns the blocks made."""
    if block_size < 1:
        raise LedgerError(_("A block holds at least one entry."))
    blocks: list[Block] = []
    entries = 0
    while max_blocks is None or len(blocks) < max_blocks:
        block = _seal_one_block(block_size)
        if block is None:
            break
        blocks.append(block)
        entries += block.entry_count
        if block.entry_count < block_size:
            break
    return SealResult(blocks=blocks, entries=entries)


def unsealed_summary() -> tuple[int, dt.datetime | None]:
    """How many entries are not sealed yet, and when the oldest of them was recorded."""
    rows = Entry.objects.filter(seq__isnull=True)
    oldest = rows.order_by("recorded_at").values_list("recorded_at", flat=True).first()
    return rows.count(), oldest


def _seal_one_block(block_size: int) -> Block | None:
    with transaction.atomic():
        head = lock_seal()
        batch = list(
            Entry.objects.filter(seq__isnull=True)
            .order_by("pk")
            .values_list(
                "pk",
                "idempotency_key",
                "kind",
                "value_date",
                "reverses_id",
                "actor_id",
                "recorded_at",
                "memo",
                "hash_version",
            )[:block_size]
        )
        if not batch:
            return None
        legs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for entry_id, account_id, amount in Leg.objects.filter(
            entry_id__in=[row[0] for row in batch]
        ).values_list("entry_id", "account_id", "amount"):
            legs[entry_id].append((account_id, amount))
        previous = Block.objects.order_by("-number").first()
        prev_hash = head.hash or GENESIS
        seq = head.seq
        if (previous.last_seq if previous else 0) != seq:
            raise LedgerError(
                _("The chain head and the last sealed block disagree; run ledger_verify.")
            )
        first_seq = seq + 1
        seals: list[tuple[int, int, str, str]] = []
        for pk, key, kind, value_date, reverses_id, actor_id, recorded_at, memo, version in batch:
            seq += 1
            digest = entry_hash(
                version=version,
                prev_hash=prev_hash,
                seq=seq,
                idempotency_key=key,
                kind=kind,
                value_date=value_date,
                reverses_id=reverses_id,
                legs=legs[pk],
                actor_id=actor_id,
                recorded_at=recorded_at,
                memo=memo,
            )
            seals.append((pk, seq, prev_hash, digest))
            prev_hash = digest
        _write_seals(seals)
        sealed_at = timezone.now()
        number = (previous.number if previous else 0) + 1
        prev_block = previous.hash if previous else GENESIS
        block = Block.objects.create(
            number=number,
            first_seq=first_seq,
            last_seq=seq,
            entry_count=len(seals),
            prev_hash=prev_block,
            last_entry_hash=prev_hash,
            hash=block_hash(
                number=number,
                prev_block_hash=prev_block,
                first_seq=first_seq,
                last_seq=seq,
                entry_count=len(seals),
                last_entry_hash=prev_hash,
                sealed_at=sealed_at,
            ),
            sealed_at=sealed_at,
        )
        ChainHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
        return block


def _write_seals(seals: list[tuple[int, int, str, str]]) -> None:
    """Sets each entry's seal, only where it is still NULL; all or nothing."""
    for start in range(0, len(seals), _UPDATE_CHUNK):
        chunk = seals[start : start + _UPDATE_CHUNK]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # the app role may not UPDATE the journal: this function (migration 0016)
                # is the one way to set seals, and only where they are still NULL
                cursor.execute(
                    "SELECT ledger_seal_entries(%s::bigint[], %s::bigint[], %s::text[],"
                    " %s::text[])",
                    [
                        [row[0] for row in chunk],
                        [row[1] for row in chunk],
                        [row[2] for row in chunk],
                        [row[3] for row in chunk],
                    ],
                )
                updated = int(cursor.fetchone()[0])
            else:
                updated = 0
                for pk, seq, prev, digest in chunk:
                    cursor.execute(
                        "UPDATE ledger_entry SET seq = %s, prev_hash = %s, hash = %s"
                        " WHERE id = %s AND seq IS NULL",
                        [seq, prev, digest, pk],
                    )
                    updated += cursor.rowcount
        if updated != len(chunk):
            raise LedgerError(_("An entry was sealed by someone else meanwhile; nothing sealed."))
