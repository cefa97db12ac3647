"""The hash chain over journal entries: each entry's hash covers the previous hash and
the entry's content, so changing, removing or reordering a posted entry is detectable."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

GENESIS = "0" * 64


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    idempotency_key: str,
    kind: str,
    value_date: dt.date,
    reverses_id: int | None,
    legs: Iterable[tuple[int, int]],
) -> str:
    """``legs`` are (account id, signed amount in fen); their order does not matter."""
    body = "|".join(
        [
            prev_hash,
            str(seq),
            idempotency_key,
            kind,
            value_date.isoformat(),
            "" if reverses_id is None else str(reverses_id),
            ";".join(f"{account}:{amount}" for account, amount in sorted(legs)),
        ]
    )
    return hashlib.sha256(body.encode()).hexdigest()
