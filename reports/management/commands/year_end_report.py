"""``manage.py year_end_report --year YYYY --out FILE.xlsx [--district CODE]``: the
year-end workbook (年度报表) written to the path given.

It runs as the system: the whole database, or with ``--district`` the subtree of one
region (a district, or a city with all its districts), by its 行政区划代码.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from reports.scope import scope_for_region, whole_database
from reports.workbook import year_end_workbook


class Command(BaseCommand):
    help = "Write the year-end workbook (年度报表) of a year to an .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the year, e.g. 2025")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")
        parser.add_argument(
            "--district",
            default="",
            help="only this region's subtree (行政区划代码, e.g. 330106)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(_("%(year)s is not a year of the books.") % {"year": year})
        out = Path(options["out"]).expanduser()
        if out.suffix.lower() != ".xlsx":
            raise CommandError(_("The output file must end in .xlsx."))
        if not out.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": out.parent})
        code = options["district"].strip()
        if code:
            try:
                scope = scope_for_region(code)
            except OrgUnit.DoesNotExist as error:
                raise CommandError(
                    _("No region has the code %(code)s.") % {"code": code}
                ) from error
        else:
            scope = whole_database()
        began = time.perf_counter()
        data = year_end_workbook(scope=scope, year=year, target=str(out))
        seconds = time.perf_counter() - began
        self.stdout.write(
            _(
                "%(path)s written: %(year)s, %(scope)s — %(projects)s applications, "
                "%(lines)s budget lines, %(accounts)s repayable accounts, "
                "%(acceptances)s acceptances (%(seconds).1f s)."
            )
            % {
                "path": out,
                "year": year,
                "scope": scope.label,
                "projects": len(data.projects),
                "lines": len(data.budget),
                "accounts": len(data.repayable),
                "acceptances": len(data.acceptance),
                "seconds": seconds,
            }
        )
