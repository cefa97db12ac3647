"""Row locks of the ledger, always taken in primary-key order so that two transactions
locking overlapping sets cannot deadlock. On SQLite ``select_for_update`` is a no-op and
the IMMEDIATE transaction mode serialises writers instead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock_rows(model: type[M], pks: Iterable[int]) -> dict[int, M]:
    """Lock the rows of ``model`` with the given primary keys; return them by pk."""
    ordered = sorted(set(pks))
    if not ordered:
        return {}
    rows = (
        model._default_manager.select_for_update(of=("self",)).filter(pk__in=ordered).order_by("pk")
    )
    return {row.pk: row for row in rows}


def lock_one(model: type[M], pk: int) -> M:
    """Lock and return one row (``model.DoesNotExist`` when it is gone)."""
    rows = lock_rows(model, [pk])
    if pk not in rows:
        raise model.DoesNotExist  # type: ignore[attr-defined]
    return rows[pk]
