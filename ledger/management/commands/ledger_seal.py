"""Seals the entries posted since the last run into the hash chain, in blocks
(``ledger.services.ledger_seal``). Meant to run on a schedule, every minute or so; two
runs at once simply take turns on the seal lock."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger import services
from ledger.errors import LedgerError


class Command(BaseCommand):
    help = "Seal the entries posted since the last run into blocks of the hash chain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--block-size",
            type=int,
            default=services.sealing.BLOCK_SIZE,
            help="The most entries one block holds (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = options["block_size"]
        if not 1 <= size <= 100_000:
            raise CommandError(_("The block size must be between 1 and 100000."))
        try:
            result = services.ledger_seal(block_size=size)
        except LedgerError as error:
            raise CommandError(str(error)) from error
        if not result.blocks:
            self.stdout.write(_("Nothing to seal: every entry is sealed."))
            return
        last = result.blocks[-1]
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Sealed %(n)d entries in %(blocks)d block(s); the chain now ends at "
                    "entry #%(seq)d, block %(number)d (hash %(hash)s…)."
                )
                % {
                    "n": result.entries,
                    "blocks": len(result.blocks),
                    "seq": last.last_seq,
                    "number": last.number,
                    "hash": last.hash[:12],
                }
            )
        )
