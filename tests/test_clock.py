"""The Beijing date of a moment (core.clock): Beijing's day starts at 16:00 UTC the day before."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from openpyxl import load_workbook

from core import clock
from core.xlsx import table_to_xlsx

UTC = dt.UTC
# 07:00 in Beijing on 5 December is 23:00 in UTC on 4 December
SEVEN_AM = dt.datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


def test_the_date_of_a_moment_is_beijings():
    # given a moment stored (and read back) in UTC at 23:00 on 4 December
    # when its date is asked for
    # then it is 5 December, Beijing's
    assert clock.local_date(SEVEN_AM) == dt.date(2026, 12, 5)
    assert clock.iso_date(SEVEN_AM) == "2026-12-05"
    assert clock.cn_date(SEVEN_AM) == "2026年12月05日"
    assert clock.cn_datetime(SEVEN_AM) == "2026年12月05日 07:00"
    assert clock.iso_datetime(SEVEN_AM) == "2026-12-05 07:00"
    assert clock.naive_local(SEVEN_AM) == dt.datetime(2026, 12, 5, 7, 0)


def test_dates_and_naive_times_are_taken_as_they_are():
    assert clock.local_date(dt.date(2026, 12, 4)) == dt.date(2026, 12, 4)
    assert clock.cn_date(dt.date(2026, 1, 9)) == "2026年01月09日"
    # an Excel cell has no zone: its wall-clock time is Beijing's already
    assert clock.local_date(dt.datetime(2026, 12, 4, 23, 0)) == dt.date(2026, 12, 4)
    assert clock.cn_date(None, empty="—") == "—"
    assert clock.iso_date(None) == ""


def test_today_at_seven_in_the_morning_is_beijings():
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 12, 5, 7, 0))):
        assert clock.today() == dt.date(2026, 12, 5)
        assert clock.now().astimezone(UTC).date() == dt.date(2026, 12, 4)


def test_a_workbook_cell_shows_beijings_time():
    # given a moment at 07:00 Beijing time
    content = table_to_xlsx("表", ["时间"], [[SEVEN_AM]])
    # when the workbook is read back
    cell = load_workbook(io.BytesIO(content)).active["A2"]
    # then the cell holds Beijing's wall-clock time, not UTC's
    assert cell.value == dt.datetime(2026, 12, 5, 7, 0)
