from __future__ import annotations

from collections import Counter
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class Log:
    """Counts what a demo run created, per model."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def created(self, obj: M) -> M:
        self.counts[str(obj._meta.verbose_name_plural)] += 1
        return obj

    @property
    def total(self) -> int:
        return sum(self.counts.values())
