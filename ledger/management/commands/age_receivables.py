"""Ages repayable funding as of a date: books due usage fees and the overdue fee, and
moves accounts between active and overdue. Idempotent for a given date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ledger import services
from ledger.models import Entry, RepayableAccount


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
        before = Entry.objects.filter(kind__in=[Entry.Kind.FEE, Entry.Kind.PENALTY]).count()
        pks = services.receivables_to_age()
        for pk in pks:
            # one transaction per account: a long run never holds many rows locked
            with transaction.atomic(durable=True):
                services.repayable_age(account=RepayableAccount(pk=pk), as_of=as_of)
        booked = Entry.objects.filter(kind__in=[Entry.Kind.FEE, Entry.Kind.PENALTY]).count()
        overdue = RepayableAccount.objects.filter(status=RepayableAccount.Status.OVERDUE).count()
        self.stdout.write(
            f"Aged {len(pks)} repayable account(s) as of {as_of.isoformat()}: "
            f"{booked - before} usage fee / overdue fee entr(ies) booked; "
            f"{overdue} account(s) overdue."
        )
