"""Deterministic, check-digit-valid identifiers for the demo world (never real ones)."""

from __future__ import annotations

import hashlib

from accounts.identifiers import credit_code_check_char, id_number_check_char

# GB 11714 organisation code: 8 characters + check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(seed: str) -> str:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    body = f"{digest % 10**8:08d}"
    total = sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    check_char = "X" if check == 10 else "0" if check == 11 else str(check)
    return body + check_char


def credit_code(*, authority: str, division: str, seed: str) -> str:
    """``authority`` is the two-character registration authority + type (91 enterprise,
    93 cooperative, 12 public institution, 11 government agency, 51 social organisation)."""
    first17 = f"{authority}{division}{_org_code(seed)}"
    return first17 + credit_code_check_char(first17)


def id_number(*, division: str, birth: str, seq: int) -> str:
    """``birth`` is YYYYMMDD; odd ``seq`` is male, even female (GB 11643)."""
    first17 = f"{division}{birth}{seq:03d}"
    return first17 + id_number_check_char(first17)
