"""Navigation and home-page work queues, per role.

Apps register their menu entries and queues in ``AppConfig.ready()``; accounts only
keeps the registry, so it never imports the apps above it.

The menu is grouped by task (申报与评审 / 合同与验收 / 资金 / 报表 / 系统). Which group an
entry belongs to is written once, here (``ENTRY_GROUPS``), so that the grouping of the
whole menu can be read in one place; an app may also name the group when it registers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .permissions import scope_of
from .roles import Role


class NavGroup(models.TextChoices):
    """The task groups of the menu, in the order they are shown."""

    APPLY = "apply", _("Applications and review")
    CONTRACTS = "contracts", _("Contracts and acceptance")
    FUNDS = "funds", _("Funds")
    REPORTS = "reports", _("Reports")
    SYSTEM = "system", _("System")


# The group of every entry the apps register (by the entry's key). An entry neither
# listed here nor registered with a group goes under 系统.
ENTRY_GROUPS: dict[str, NavGroup] = {
    "calls": NavGroup.APPLY,
    "quotas": NavGroup.APPLY,
    "district_statistics": NavGroup.APPLY,
    "rubrics": NavGroup.APPLY,
    "my_reviews": NavGroup.APPLY,
    "applications": NavGroup.APPLY,
    "notices": NavGroup.APPLY,
    "recommendations": NavGroup.APPLY,
    "panels": NavGroup.APPLY,
    "spot_checks": NavGroup.APPLY,
    "projects_under_way": NavGroup.CONTRACTS,
    "projects_in_acceptance": NavGroup.CONTRACTS,
    "ledger": NavGroup.FUNDS,
    "ledger_disbursements": NavGroup.FUNDS,
    "ledger_budget": NavGroup.FUNDS,
    "ledger_repayable": NavGroup.FUNDS,
    "ledger_statements": NavGroup.FUNDS,
    "ledger_bank_accounts": NavGroup.FUNDS,
    "award_indicators": NavGroup.FUNDS,
    "ledger_my_funding": NavGroup.FUNDS,
    "reports": NavGroup.REPORTS,
    "organisations": NavGroup.SYSTEM,
    "persons": NavGroup.SYSTEM,
    "imports": NavGroup.SYSTEM,
    "admin": NavGroup.SYSTEM,
}


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100
    group: str = ""
    query: str = ""  # e.g. "stage=acceptance": the same list page, filtered

    @property
    def url(self) -> str:
        url = reverse(self.url_name)
        return f"{url}?{self.query}" if self.query else url


@dataclass(frozen=True)
class QueueRow:
    label: str
    url: str
    note: str = ""


@dataclass
class Queue:
    title: str | Promise
    rows: list[QueueRow] = field(default_factory=list)
    total: int = 0
    more_url: str = ""
    empty_text: str | Promise = ""


@dataclass(frozen=True)
class QueueProvider:
    key: str
    roles: frozenset[str]
    build: Callable[[Any], Queue]
    order: int = 100


def first_rows(qs: Any, n: int = 10) -> tuple[list[Any], int]:
    """The first ``n`` rows of ``qs`` (ordered) and how many rows it has, in one query:
    the total is ``COUNT(*) OVER ()``, a window over the whole filtered set computed
    before the LIMIT. A queue thus costs one query whether or not it is full (a count
    taken only for a full queue made the home page's query count depend on the data)."""
    from django.db.models import Count, Window

    rows = list(qs.annotate(queue_total=Window(Count("pk")))[:n])
    return rows, (rows[0].queue_total if rows else 0)


_nav: dict[str, NavItem] = {}
_queues: dict[str, QueueProvider] = {}


def register_nav(
    key: str,
    label: str | Promise,
    url_name: str,
    roles: Iterable[str],
    order: int = 100,
    *,
    group: str = "",
    query: str = "",
) -> None:
    _nav[key] = NavItem(key, label, url_name, frozenset(roles), order, group, query)


def register_queue(
    key: str, roles: Iterable[str], build: Callable[[Any], Queue], order: int = 100
) -> None:
    _queues[key] = QueueProvider(key, frozenset(roles), build, order)


def _group_of(item: NavItem) -> NavGroup:
    return NavGroup(item.group or ENTRY_GROUPS.get(item.key, NavGroup.SYSTEM))


def _current_url(urls: Iterable[str], full_path: str) -> str | None:
    """The entry the page belongs to: the entry of the same address whose filter the
    page has (``/applications/?stage=acceptance&page=2``), else the longest entry
    address the page's path starts with (a record under its list)."""
    path, _sep, query = full_path.partition("?")
    params = set(query.split("&")) if query else set()
    best: tuple[int, int, str] | None = None
    for url in urls:
        url_path, _sep, url_query = url.partition("?")
        wanted = set(url_query.split("&")) if url_query else set()
        if url_path == "/" or not path.startswith(url_path) or not wanted <= params:
            continue
        rank = (len(url_path), len(wanted), url)
        if best is None or rank > best:
            best = rank
    return best[2] if best else None


def navigation_for(user: Any, full_path: str = "") -> dict[str, Any]:
    """The menu of this user: the task groups their roles give them entries in, each
    with its entries in order, and which entry the page at ``full_path`` belongs to."""
    roles = scope_of(user).roles
    items = sorted((i for i in _nav.values() if i.roles & roles), key=lambda i: i.order)
    current = _current_url((i.url for i in items), full_path)
    groups = []
    for group in NavGroup:
        entries = [
            {"label": i.label, "url": i.url, "current": i.url == current}
            for i in items
            if _group_of(i) == group
        ]
        if entries:
            groups.append(
                {
                    "key": group.value,
                    "label": group.label,
                    "items": entries,
                    "current": any(e["current"] for e in entries),
                }
            )
    return {
        "nav_groups": groups,
        "user_roles": [Role(r).label for r in Role.values if r in roles],
    }


def queues_for(user: Any) -> list[Queue]:
    roles = scope_of(user).roles
    providers = sorted((p for p in _queues.values() if p.roles & roles), key=lambda p: p.order)
    return [p.build(user) for p in providers]
