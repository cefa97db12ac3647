import contextlib
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import clock
from jobs import nightly


class Command(BaseCommand):
    help = (
        "The night's jobs: aging, reminders (reports, instalments, scoring and district "
        "deadlines, ends of public notices), the ledger checkpoint, the mail outbox. "
        "Idempotent for a day; run by the schedule (deploy/)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="run as on this day (default: today)"
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the run for the worker instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"]
        if options["enqueue"]:
            from jobs.tasks import run_nightly

            result = run_nightly.enqueue(day.isoformat() if day else None)
            self.stdout.write(f"queued: {result.id}")
            return
        with clock.frozen(day) if day else contextlib.nullcontext():
            outcome = nightly.run(day=day)
        for name, result in outcome.items():
            self.stdout.write(f"{name}: {result}")
        if failures := nightly.failed(outcome):
            raise CommandError(f"failed: {', '.join(failures)}")
