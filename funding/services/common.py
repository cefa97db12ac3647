"""What every funding service shares: the refusal, the actor check, the bounds."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from core.money import MAX_FEN

# The largest amount a call's envelope or a quota may hold: the domain maximum for money.
MAX_AMOUNT_FEN = MAX_FEN


class FundingError(Exception):
    """A refusal with a message for the user."""


def authorise(actor: User | None, perm: str, obj: Any, refusal: str) -> None:
    """``actor=None`` is the system itself (the demo, a migration, or another service
    that authorised its own actor)."""
    if actor is not None and not actor.has_perm(perm, obj):
        raise FundingError(refusal)
