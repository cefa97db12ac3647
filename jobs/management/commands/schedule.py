"""A foreground scheduler for one machine (``make serve``, small installs): sends the
mail that is due every few minutes and runs the night's jobs once a Beijing day, at or
after ``--at`` (and at start when today's run is missing). Production may use the
systemd timers in ``deploy/`` instead; both run the same, idempotent, jobs. The night's
run is recorded (``notices.ReminderKey``), so several schedulers start it once a day."""

from __future__ import annotations

import datetime as dt
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import IntegrityError, close_old_connections, transaction

from core import clock
from jobs import nightly
from notices.models import ReminderKey
from notices.services import mail_deliver_due


def claim_night(day: dt.date) -> bool:
    """True once per day: this process runs the night's jobs of ``day``."""
    try:
        with transaction.atomic():
            ReminderKey.objects.create(key=f"nightly:{day.isoformat()}")
    except IntegrityError:
        return False
    return True


class Command(BaseCommand):
    help = "Run the schedule in the foreground: the mail outbox every few minutes, the night's jobs daily."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=int, default=300, help="seconds between mail sweeps")
        parser.add_argument(
            "--at",
            type=dt.time.fromisoformat,
            default=dt.time(1, 30),
            help="Beijing time of the night's run",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while running:
            close_old_connections()
            now = clock.local(clock.now())
            if now.time() >= options["at"] and claim_night(now.date()):
                for name, result in nightly.run(day=now.date()).items():
                    self.stdout.write(f"{now:%Y-%m-%d %H:%M} {name}: {result}")
            counts = mail_deliver_due()
            if counts["sent"] or counts["failed"]:
                self.stdout.write(f"{now:%Y-%m-%d %H:%M} mail: {counts}")
            for _ in range(options["every"]):
                if not running:
                    break
                time.sleep(1)
