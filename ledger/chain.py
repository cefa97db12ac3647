"""The hash chain over journal entries: each entry's hash covers the previous hash and
the entry's content, so changing, removing or reordering a posted entry is detectable.

An entry records which recipe (``Entry.hash_version``) its hash was made with, and
``verify_ledger`` checks each entry with its own recipe:

1. the previous hash, sequence, idempotency key, kind, value date, reversed entry and
   legs. The entries posted before recipe 2 existed keep it: rehashing them now would
   bless whatever had been changed in them since, so they are left as they were posted.
2. all of recipe 1, and the actor, the time it was recorded and the memo; texts are
   written with their length first, so that no two different entries read the same.
   Every new entry uses it (``ledger.services`` here, and the PostgreSQL function
   ``ledger_post_entry`` of migration 0010, which must write the same text).

A chain only vouches for itself: one emptied, or rewritten with every hash recomputed,
checks out again. ``ledger.checkpoint`` keeps its head outside the database, sealed with
a key the database never holds, and ``verify_ledger`` checks the journal against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

GENESIS = "0" * 64
CURRENT_HASH_VERSION = 2
HASH_VERSIONS = (1, 2)


def _text(value: str) -> str:
    return f"{len(value)}:{value}"


def recorded_text(recorded_at: dt.datetime) -> str:
    """The recorded time as recipe 2 writes it: UTC, to the microsecond."""
    if recorded_at.tzinfo is None:
        raise ValueError("the recorded time of an entry must be aware")
    return recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    idempotency_key: str,
    kind: str,
    value_date: dt.date,
    reverses_id: int | None,
    legs: Iterable[tuple[int, int]],
    version: int = CURRENT_HASH_VERSION,
    actor_id: int | None = None,
    recorded_at: dt.datetime | None = None,
    memo: str = "",
) -> str:
    """``legs`` are (account id, signed amount in fen); their order does not matter.
    ``actor_id``, ``recorded_at`` and ``memo`` count from recipe 2 on."""
    legs_text = ";".join(f"{account}:{amount}" for account, amount in sorted(legs))
    reverses = "" if reverses_id is None else str(reverses_id)
    if version == 1:
        parts = [
            prev_hash,
            str(seq),
            idempotency_key,
            kind,
            value_date.isoformat(),
            reverses,
            legs_text,
        ]
    elif version == 2:
        if recorded_at is None:
            raise ValueError("recipe 2 covers the recorded time of the entry")
        parts = [
            "v2",
            prev_hash,
            str(seq),
            _text(idempotency_key),
            _text(kind),
            value_date.isoformat(),
            reverses,
            legs_text,
            "" if actor_id is None else str(actor_id),
            recorded_text(recorded_at),
            _text(memo),
        ]
    else:
        raise ValueError(f"unknown hash recipe {version}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


BLOCK_HASH_VERSION = 1


def block_hash(
    *,
    number: int,
    prev_block_hash: str,
    first_seq: int,
    last_seq: int,
    entry_count: int,
    last_entry_hash: str,
    sealed_at: dt.datetime,
) -> str:
    """The hash of a sealed block (recipe 1): it covers the previous block's hash, the
    block's place in the chain of entries and the hash of its last entry, which itself
    covers every entry before it. Blocks are chained as the entries are, so a block
    removed, reordered or re-dated is found as well."""
    parts = [
        "block-v1",
        str(number),
        prev_block_hash,
        str(first_seq),
        str(last_seq),
        str(entry_count),
        last_entry_hash,
        recorded_text(sealed_at),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
