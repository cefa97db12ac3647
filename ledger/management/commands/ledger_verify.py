"""Checks the whole journal (the sealed blocks and entries; the entries not sealed yet
are counted and the oldest named), against the checkpoint kept outside the database when one is
configured (``ledger_checkpoint``), and prints the trial balance; exits 1 naming the first
bad entry (or the first problem) when anything is wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from core import clock
from ledger.models import Account
from ledger.money import format_fen
from ledger.verify import verify_ledger_and_checkpoint


class Command(BaseCommand):
    help = (
        "Verify the ledger (balances, hash chain, running balances, the checkpoint kept "
        "outside the database) and print the trial balance."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quiet-accounts",
            action="store_true",
            help="Print only the totals of the trial balance, not every account.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_ledger_and_checkpoint()
        books = dict(Account.Book.choices)
        if result.checkpoint_note:
            self.stdout.write(result.checkpoint_note)
        self.stdout.write(
            _("Sealed: %(sealed)d entries in %(blocks)d blocks, up to entry #%(seq)d.")
            % {
                "sealed": result.entries - result.unsealed,
                "blocks": result.blocks,
                "seq": result.sealed_position,
            }
        )
        if result.unsealed:
            self.stdout.write(
                _(
                    "Not sealed yet: %(n)d entries, the oldest recorded at %(when)s "
                    "(the next ledger_seal seals them; not a problem)."
                )
                % {
                    "n": result.unsealed,
                    "when": clock.iso_datetime(result.oldest_unsealed),
                }
            )
        else:
            self.stdout.write(_("Not sealed yet: none."))
        self.stdout.write(_("Trial balance (%(n)d entries)") % {"n": result.entries})
        if not options["quiet_accounts"]:
            for row in result.trial_balance:
                self.stdout.write(
                    f"  {row.code:<60} {books.get(row.book, row.book)!s:<8} "
                    f"{format_fen(row.debit_fen) if row.debit_fen else '':>18} "
                    f"{format_fen(row.credit_fen) if row.credit_fen else '':>18}"
                )
        debit, credit = result.total_debit_fen, result.total_credit_fen
        total = _("Total")
        self.stdout.write(f"  {total:<60} {'':<8} {format_fen(debit):>18} {format_fen(credit):>18}")
        self.stdout.write(
            _("Debits minus credits: %(diff)s yuan") % {"diff": format_fen(debit - credit)}
        )
        if result.ok:
            self.stdout.write(self.style.SUCCESS(_("Ledger verified: no problems found.")))
            return
        if result.first_bad_entry is not None:
            entry = result.first_bad_entry
            others = result.problems
            message = _("First bad entry: %(entry)s (%(key)s)") % {
                "entry": entry.label,
                "key": entry.idempotency_key,
            }
        else:  # the first problem is the last line (said once)
            others, message = result.problems[1:], result.problems[0]
        for problem in others:
            self.stderr.write(problem)
        self.stderr.write(self.style.ERROR(message))
        raise SystemExit(1)
