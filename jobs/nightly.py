"""The night's jobs, in order: aging of repayable funding (fees booked, statuses moved),
the reports-due reminders (``projects.reminders``), the calendar's reminders
(``jobs.reminders``: instalments, scoring deadlines, the district deadline, 公示 ends),
the ledger checkpoint (when a key is configured), and a sweep of the mail outbox. Each
step is idempotent for a day, and one failing step does not stop the others."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from core import clock
from notices.services import mail_deliver_due
from projects import reminders as report_reminders

from . import reminders

logger = logging.getLogger(__name__)


def _aging(day: dt.date) -> str:
    out = StringIO()
    call_command("age_receivables", as_of=day.isoformat(), stdout=out)
    return out.getvalue().strip()


def _report_reminders(day: dt.date) -> str:
    result = report_reminders.run(today=day)
    return f"{result.sent} sent, {result.skipped} already sent"


def _checkpoint(day: dt.date) -> str:
    if not settings.LEDGER_CHECKPOINT_KEY:
        return "skipped (no LEDGER_CHECKPOINT_KEY)"
    out = StringIO()
    call_command("ledger_checkpoint", stdout=out, stderr=out)
    return out.getvalue().strip()


def run(*, day: dt.date | None = None) -> dict[str, Any]:
    """Every step, as of ``day`` (today in Beijing by default): {step: outcome}; a step
    that failed has its error as outcome and is logged."""
    day = day or clock.today()
    steps: list[tuple[str, Any]] = [
        ("aging", _aging),
        ("report_reminders", _report_reminders),
        ("reminders", lambda d: reminders.run(today=d)),
        ("ledger_checkpoint", _checkpoint),
        ("mail", lambda d: mail_deliver_due()),
    ]
    outcome: dict[str, Any] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for name, step in steps:
            try:
                outcome[name] = step(day)
            except (Exception, SystemExit) as error:  # one failing step never stops the rest
                logger.exception("nightly step %s failed", name)
                outcome[name] = f"FAILED: {type(error).__name__}: {error}"
    return outcome


def failed(outcome: dict[str, Any]) -> list[str]:
    return [name for name, result in outcome.items() if str(result).startswith("FAILED")]
