"""What the ledger's pages need to know about the person asking, without importing the
domain: the roles that read the ledger (their region paths come from
``user.paths_for_roles``) and a hook, filled in by the domain at start-up, that says
which payee references are the user's own (an applicant's organisations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

LEDGER_READERS = (
    "finance",
    "finance_checker",
    "district_finance",
    "city_officer",
    "auditor",
    "admin",
)
# Who keeps the books: the bank accounts offered to an import are those of the regions
# where the user holds one of these roles (and may use the import's permission on).
FINANCE_STAFF = ("finance", "finance_checker", "district_finance", "admin")

_payee_refs: Callable[[Any], Sequence[str]] = lambda user: ()  # noqa: E731


def set_payee_refs_resolver(resolver: Callable[[Any], Sequence[str]]) -> None:
    global _payee_refs
    _payee_refs = resolver


def payee_refs_for(user: Any) -> tuple[str, ...]:
    if not getattr(user, "is_authenticated", False):
        return ()
    return tuple(ref for ref in _payee_refs(user) if ref)


def reader_paths(user: Any) -> tuple[str, ...]:
    """Region path prefixes under which ``user`` may read ledger rows."""
    if not getattr(user, "is_authenticated", False):
        return ()
    return tuple(user.paths_for_roles(*LEDGER_READERS))


_districts: Callable[[str], Sequence[tuple[str, str]]] = lambda path: ()  # noqa: E731


def set_districts_resolver(resolver: Callable[[str], Sequence[tuple[str, str]]]) -> None:
    """``resolver(path)`` lists (region path, name) of the districts under ``path``."""
    global _districts
    _districts = resolver


def districts_under(path: str) -> list[tuple[str, str]]:
    return [(p, n) for p, n in _districts(path) if p.startswith(path) and p != path]


_programmes: Callable[[str], Sequence[tuple[str, str]]] = lambda path: ()  # noqa: E731
_region_names: Callable[[Sequence[str]], dict[str, str]] = lambda paths: {}  # noqa: E731


def set_programmes_resolver(resolver: Callable[[str], Sequence[tuple[str, str]]]) -> None:
    """``resolver(path)`` lists (programme code, name) of the programmes whose owner
    region is ``path`` or above it: what a budget line of that region may be for."""
    global _programmes
    _programmes = resolver


def programmes_for(path: str) -> list[tuple[str, str]]:
    return list(_programmes(path))


def set_region_names_resolver(resolver: Callable[[Sequence[str]], dict[str, str]]) -> None:
    """``resolver(paths)`` gives each region path its name (杭州市, 西湖区 …)."""
    global _region_names
    _region_names = resolver


def region_names(paths: Sequence[str]) -> dict[str, str]:
    names = _region_names(paths)
    return {path: names.get(path, path) for path in paths}
