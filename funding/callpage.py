"""Sections that apps above funding add to a call's page (e.g. the rubric, from reviews).

Funding cannot import the apps above it, so they register here in ``AppConfig.ready()``,
as they register their menu entries with accounts.navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from .models import Call


@dataclass
class CallSection:
    title: str | Promise
    rows: list[tuple[str | Promise, str]] = field(default_factory=list)
    links: list[tuple[str | Promise, str]] = field(default_factory=list)  # (label, url)
    warning: str | Promise = ""


_sections: dict[str, tuple[int, Callable[[Any, Call], CallSection | None]]] = {}


def register_call_section(
    key: str, build: Callable[[Any, Call], CallSection | None], order: int = 100
) -> None:
    _sections[key] = (order, build)


def call_sections(user: Any, call: Call) -> list[CallSection]:
    built = (build(user, call) for _order, build in sorted(_sections.values(), key=lambda s: s[0]))
    return [section for section in built if section is not None]
