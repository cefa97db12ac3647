"""Navigation and home-page work queues, per role.

Apps register their menu entries and queues in ``AppConfig.ready()``; accounts only
keeps the registry, so it never imports the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from .permissions import scope_of
from .roles import Role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100


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


_nav: dict[str, NavItem] = {}
_queues: dict[str, QueueProvider] = {}


def register_nav(
    key: str, label: str | Promise, url_name: str, roles: Iterable[str], order: int = 100
) -> None:
    _nav[key] = NavItem(key, label, url_name, frozenset(roles), order)


def register_queue(
    key: str, roles: Iterable[str], build: Callable[[Any], Queue], order: int = 100
) -> None:
    _queues[key] = QueueProvider(key, frozenset(roles), build, order)


def navigation_for(user: Any) -> dict[str, Any]:
    roles = scope_of(user).roles
    items = sorted((i for i in _nav.values() if i.roles & roles), key=lambda i: i.order)
    return {
        "nav_items": [{"label": i.label, "url": reverse(i.url_name)} for i in items],
        "user_roles": [Role(r).label for r in Role.values if r in roles],
    }


def queues_for(user: Any) -> list[Queue]:
    roles = scope_of(user).roles
    providers = sorted((p for p in _queues.values() if p.roles & roles), key=lambda p: p.order)
    return [p.build(user) for p in providers]
