"""Working days in China: the ``chinesecalendar`` package (holidays and make-up
workdays up to the last year it knows), overridden and extended by the admin-edited
``CalendarDay`` table. A year neither knows is refused, never guessed."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear, DayKind


class CalendarUnknown(Exception):
    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            _(
                "The holiday arrangement for %(year)d has not been entered; an administrator "
                "must enter it in the holiday calendar before working days can be counted."
            )
            % {"year": year}
        )


class WorkdayCalendar:
    """Answers ``is_workday`` for a date range with one query for the overrides."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.overrides = dict(
            CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind")
        )
        self.entered_years = set(CalendarYear.objects.values_list("year", flat=True))

    def is_workday(self, day: dt.date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.WORKDAY
        if day.year in self.entered_years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarUnknown(day.year) from exc


def period_end(start: dt.date, days: int, kind: str) -> dt.date:
    """The last day of a period of ``days`` days starting on ``start`` (inclusive).

    In working days, ``start`` counts as the first day only if it is a working day.
    """
    if days < 1:
        raise ValueError("days must be positive")
    if kind == DayKind.CALENDAR:
        return start + dt.timedelta(days=days - 1)
    calendar = WorkdayCalendar(start, start + dt.timedelta(days=days * 3 + 40))
    day = start
    counted = 0
    while True:
        if calendar.is_workday(day):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)
