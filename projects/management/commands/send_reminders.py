import contextlib
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand

from core import clock
from projects import reminders


class Command(BaseCommand):
    help = "Send the day's reminders (reports due within 30 days, overdue reports, rectifications). Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="run as on this day (default: today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or clock.today()
        with clock.frozen(day) if options["date"] else contextlib.nullcontext():
            result = reminders.run(today=day)
        self.stdout.write(
            f"{day}: {result.sent} reminders sent, {result.skipped} already sent, "
            f"{result.failed_rectifications} rectification periods ended."
        )
