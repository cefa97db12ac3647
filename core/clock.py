"""The one clock of the application: every domain date cut-off asks it, and every date a
person reads goes through it.

``today()`` is the date in Asia/Shanghai (settings.TIME_ZONE), not UTC, so a deadline of
8月20日 ends at midnight Beijing time. Tests move the clock with ``frozen(...)``; the
override is process-wide so that a live-server thread sees it too.

Datetimes come back from the database in UTC: ``.date()`` or ``strftime`` of one gives
the UTC date, which before 08:00 is yesterday in Beijing. So pages, PDFs, workbooks,
trails and messages ask ``local_date(moment)`` or the formatting helpers below, never
the datetime itself (tests/test_date_sources.py keeps it so).
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


def local(moment: dt.datetime) -> dt.datetime:
    """The same instant on Beijing's clock. A naive datetime (an Excel cell has no zone)
    is taken to be Beijing's already."""
    if timezone.is_naive(moment):
        return moment
    return timezone.localtime(moment, timezone.get_default_timezone())


def local_date(moment: dt.datetime | dt.date) -> dt.date:
    """The date of ``moment`` in Beijing (a date is its own date)."""
    if isinstance(moment, dt.datetime):
        return local(moment).date()
    return moment


def naive_local(moment: dt.datetime) -> dt.datetime:
    """Beijing's wall-clock time without a zone, for a spreadsheet cell (which has none)."""
    return local(moment).replace(tzinfo=None)


def iso_date(value: dt.datetime | dt.date | None, empty: str = "") -> str:
    """2026-12-05 (the Beijing date of a datetime)."""
    return local_date(value).isoformat() if value is not None else empty


def iso_datetime(moment: dt.datetime | None, empty: str = "") -> str:
    """2026-12-05 07:00 on Beijing's clock."""
    if moment is None:
        return empty
    at = local(moment)
    return f"{at.date().isoformat()} {at.hour:02d}:{at.minute:02d}"


def cn_date(value: dt.datetime | dt.date | None, empty: str = "") -> str:
    """2026年12月05日, as official documents write a date (the Beijing date of a datetime)."""
    if value is None:
        return empty
    day = local_date(value)
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def cn_datetime(moment: dt.datetime | None, empty: str = "") -> str:
    """2026年12月05日 07:00 on Beijing's clock."""
    if moment is None:
        return empty
    at = local(moment)
    return f"{cn_date(at)} {at.hour:02d}:{at.minute:02d}"


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the local time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))
