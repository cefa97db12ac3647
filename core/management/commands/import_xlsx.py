"""``manage.py import_xlsx --kind KIND FILE [--commit]``: the imports of DESIGN §7 from
the command line. A dry run unless ``--commit``; every bad row is printed (row, column,
reason) and the command exits 1; nothing is imported unless every row is good.

Without ``--as USERNAME`` the import runs as the system (any district); with it, it
runs as that user, with their permission and area, exactly as on the web.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _

from core import importing

EXIT_BAD_ROWS = 1
EXIT_UNUSABLE = 2


class ProgressBar:
    """A plain progress bar on stderr: ``读取 [#########-----------]  4500/10000``."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.stage = ""
        self.last = -1

    def labels(self) -> dict[str, str]:
        return {"read": _("Reading"), "check": _("Checking"), "import": _("Importing")}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.finish()
            self.stage, self.last = stage, -1
        filled = self.WIDTH * done // total if total else 0
        if filled == self.last and done != total:
            return
        self.last = filled
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        label = self.labels().get(stage, stage)
        count = f"{done}/{total}" if total else str(done)
        self.stream.write(f"\r{label} [{bar}] {count}", ending="")
        self.stream.flush()

    def finish(self) -> None:
        if self.stage:
            self.stream.write("", ending="\n")
            self.stream.flush()
            self.stage = ""


class Command(BaseCommand):
    help = (
        "Import an Excel file (dry run unless --commit). Kinds: "
        + ", ".join(importing.PLANNED_KINDS)
        + "."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--kind",
            required=True,
            help="What the file holds: " + ", ".join(importing.all_kinds()) + ".",
        )
        parser.add_argument("file", help="The .xlsx file (filled-in template).")
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Import (all rows or none). Without it, only check the file.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            default=None,
            help="Run as this user: their permission and area apply, as on the web.",
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="An option of the import kind (e.g. the bank account of a statement).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        try:
            importer = importing.get_importer(kind)
        except importing.NotAvailable as error:
            available = ", ".join(i.kind for i in importing.registered()) or "—"
            raise CommandError(
                _("%(reason)s Available: %(kinds)s.") % {"reason": error, "kinds": available},
                returncode=EXIT_UNUSABLE,
            ) from None
        actor = self._actor(options["username"], importer)
        raw_options = {}
        for pair in options["option"]:
            name, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(_("--option takes NAME=VALUE."), returncode=EXIT_UNUSABLE)
            raw_options[f"options-{name.strip()}"] = value
        cleaned, option_errors = importing.clean_options(importer, raw_options, actor=actor)
        if option_errors:
            raise CommandError("; ".join(str(e) for e in option_errors), returncode=EXIT_UNUSABLE)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(
                _("There is no file %(path)s.") % {"path": path}, returncode=EXIT_UNUSABLE
            )

        bar = ProgressBar(self.stderr) if options["verbosity"] >= 1 else None
        with path.open("rb") as handle:
            run = importing.import_file if options["commit"] else importing.dry_run
            outcome = run(importer, handle, actor=actor, options=cleaned, progress=bar)
        if bar is not None:
            bar.finish()

        result = outcome.result
        if outcome.errors:
            for problem in outcome.errors:
                row = str(problem.row) if problem.row > 0 else "—"
                self.stdout.write(f"{row}\t{problem.column}\t{problem.reason}")
            raise CommandError(
                _("%(n)d problem(s) in %(rows)d row(s) of %(file)s; nothing was imported.")
                % {"n": len(outcome.errors), "rows": len(result.bad_rows), "file": path.name},
                returncode=EXIT_BAD_ROWS,
            )
        if outcome.summary is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(file)s imported: %(summary)s")
                    % {"file": path.name, "summary": outcome.summary}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "All %(n)d rows of %(file)s are good; nothing was imported (dry run). "
                        "Run again with --commit to import them."
                    )
                    % {"n": len(result.rows), "file": path.name}
                )
            )

    def _actor(self, username: str | None, importer: importing.Importer) -> Any:
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                _("There is no active user %(name)s.") % {"name": username},
                returncode=EXIT_UNUSABLE,
            )
        if not user.has_perm(importer.permission):
            raise CommandError(
                _("%(name)s may not use this import.") % {"name": username},
                returncode=EXIT_UNUSABLE,
            )
        return user
