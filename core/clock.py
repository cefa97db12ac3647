"""The one clock of the application: every domain date cut-off asks it.

``today()`` is the date in Asia/Shanghai (settings.TIME_ZONE), not UTC, so a deadline of
8月20日 ends at midnight Beijing time. Tests move the clock with ``frozen(...)``; the
override is process-wide so that a live-server thread sees it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_override: dt.datetime | None = None


def now() -> dt.datetime:
    return _override if _override is not None else timezone.now()


def today() -> dt.date:
    return timezone.localtime(now()).date()


@contextmanager
def frozen(moment: dt.datetime | dt.date) -> Iterator[None]:
    global _override
    previous = _override
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(10, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    _override = moment
    try:
        yield
    finally:
        _override = previous


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the local time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))
