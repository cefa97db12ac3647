"""Verifies the whole ledger and, only if it is sound, seals the latest position of the
hash chain and its hash into the checkpoint kept outside the database
(``ledger.checkpoint``). Meant to run on a schedule (README, Production); exits 1, keeping
the previous checkpoint, when the ledger does not verify against it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ledger.checkpoint import (
    CheckpointError,
    CheckpointMissing,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from ledger.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Verify the ledger and write a keyed checkpoint of the hash chain's head to "
        "LEDGER_CHECKPOINT_DIR (run on a schedule)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--first",
            action="store_true",
            help="Write the first checkpoint when there is none yet (nothing to check against).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            previous = read_checkpoint()
        except CheckpointMissing as error:
            if not options["first"]:
                raise CommandError(
                    _("%(problem)s Use --first to write the first one.") % {"problem": error}
                ) from error
            previous = None
        except CheckpointError as error:
            # never sealed over: a person looks at the file first
            raise CommandError(str(error)) from error
        result = verify_ledger(checkpoint=previous)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            self.stderr.write(
                self.style.ERROR(
                    _(
                        "The ledger does not verify: no checkpoint was written (the previous one is kept)."
                    )
                )
            )
            raise SystemExit(1)
        try:
            checkpoint = write_checkpoint(
                position=result.sealed_position, chain_hash=result.sealed_hash
            )
        except (CheckpointError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _("Checkpoint written: entry #%(seq)d, hash %(hash)s…, in %(path)s.")
                % {
                    "seq": checkpoint.position,
                    "hash": checkpoint.hash[:12],
                    "path": checkpoint_path(),
                }
            )
        )
