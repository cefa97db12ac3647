"""Ages repayable funding as of a date: books due usage fees and the overdue fee, and
moves accounts between active and overdue. Idempotent for a given date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ledger import services


class Command(BaseCommand):
    help = "Update overdue state and accrue overdue fees of repayable funding as of a date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="YYYY-MM-DD (default: today in Asia/Shanghai)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options.get("as_of")
        try:
            as_of = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--as-of: {raw!r} is not a date (YYYY-MM-DD)") from error
        report = services.receivables_age(as_of=as_of)
        self.stdout.write(
            f"Aged {report.accounts} repayable account(s) as of {as_of.isoformat()}: "
            f"{report.fee_entries} usage fee entr(ies), "
            f"{report.penalty_entries} overdue fee entr(ies) booked."
        )
