"""Whose rows a report covers: a set of region subtrees, or (for the system) everything.

A person reads the reports of the subtrees where they hold a region-reading role
(``accounts.roles.REGION_READERS``); the ``year_end_report`` command runs as the system,
over the whole database or one region's subtree (``--district``). Domain rows are
filtered by their region's path (``district__path``), ledger rows by their
``scope_path`` strings, both as prefix matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from accounts.models import OrgUnit
from accounts.permissions import scope_of
from accounts.roles import REGION_READERS
from ledger.models import scope_q


@dataclass(frozen=True)
class ReportScope:
    """``paths`` are region path prefixes (``/330000/330100/330106/``); ``None`` means
    every row (the system)."""

    paths: tuple[str, ...] | None
    label: str

    @property
    def everything(self) -> bool:
        return self.paths is None

    def region_q(self, lookup: str) -> Q:
        """Rows whose region (``lookup`` names its ``path``) lies in the scope."""
        if self.paths is None:
            return Q()
        q = Q(pk__in=[])
        for path in self.paths:
            q |= Q(**{f"{lookup}__startswith": path})
        return q

    def ledger_q(self, field: str = "scope_path") -> Q:
        """Ledger rows, which carry their region as a ``scope_path`` string."""
        if self.paths is None:
            return Q()
        return scope_q(self.paths, field)

    def covers(self, path: str) -> bool:
        return self.paths is None or any(path.startswith(p) for p in self.paths)

    def narrowed_to(self, unit: OrgUnit) -> ReportScope:
        """The part of this scope under ``unit`` (nothing when ``unit`` lies outside)."""
        if self.covers(unit.path):
            return ReportScope(paths=(unit.path,), label=unit.name)
        inner = tuple(p for p in self.paths or () if p.startswith(unit.path))
        return ReportScope(paths=inner, label=unit.name)


def can_read_reports(user: Any) -> bool:
    return scope_of(user).has_any(REGION_READERS)


def scope_for_user(user: Any) -> ReportScope:
    """The subtrees where ``user`` holds a region-reading role, widest first removed of
    paths already inside another one."""
    paths = sorted(set(user.paths_for_roles(*REGION_READERS)) if can_read_reports(user) else ())
    outer = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    units = dict(OrgUnit.objects.filter(path__in=outer).values_list("path", "name"))
    return ReportScope(paths=tuple(outer), label="、".join(units.get(p, p) for p in outer))


def scope_for_region(code: str) -> ReportScope:
    """One region's subtree, by its 行政区划代码 (raises ``OrgUnit.DoesNotExist``)."""
    unit = OrgUnit.objects.get(code=code)
    return ReportScope(paths=(unit.path,), label=unit.name)


def whole_database() -> ReportScope:
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    return ReportScope(paths=None, label=root.name if root else "")
