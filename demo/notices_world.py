"""Inbox messages of the demo world: the calendar's reminders (``jobs.reminders``) run as
of the days the demo's own data makes them due: the day before the first open panel's
scoring deadline, ten days before the first unpaid instalment, five days before the
first open call's district deadline. Each is recorded once, so a second run adds none."""

from __future__ import annotations

import datetime as dt

from core import clock
from funding.models import Call
from jobs import reminders
from ledger.aging import OPEN, UNPAID
from ledger.models import Instalment
from reviews.models import Panel

from .log import Log


def _days() -> list[dt.date]:
    days = []
    panel = Panel.objects.filter(status=Panel.Status.OPEN).order_by("deadline", "pk").first()
    if panel is not None:
        days.append(panel.deadline - dt.timedelta(days=1))
    instalment = (
        Instalment.objects.filter(account__status__in=OPEN)
        .filter(UNPAID)
        .order_by("due_date", "pk")
        .first()
    )
    if instalment is not None:
        days.append(instalment.due_date - dt.timedelta(days=10))
    call = (
        Call.objects.filter(status__in=[Call.Status.OPEN, Call.Status.CLOSED])
        .order_by("district_deadline", "pk")
        .first()
    )
    if call is not None:
        days.append(call.district_deadline - dt.timedelta(days=5))
    return days


def build(log: Log) -> None:
    for day in _days():
        with clock.frozen(day):
            sent = sum(reminders.run(today=day).values())
        if sent:
            log.counts["inbox reminders"] += sent
