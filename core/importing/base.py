"""Names every part of the import framework shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

T = TypeVar("T")
Parser = Callable[[Any], Any]
# progress(stage, done, total): stage is "read", "check" or "import"; total may be 0
# when unknown.
Progress = Callable[[str, int, int], None]

FILE_COLUMN = "—"
"""The column shown for a problem of the whole file (not of one cell)."""

# The kinds of DESIGN §7 (and the expert scores). Apps register the ones they own;
# the rest answer "not available yet".
PLANNED_KINDS: dict[str, Promise] = {
    "organisations": gettext_lazy("Organisations"),
    "experts": gettext_lazy("Experts"),
    "bank_statement": gettext_lazy("Bank statement"),
    "repayments": gettext_lazy("Repayments"),
    "scores": gettext_lazy("Expert scores"),
}
