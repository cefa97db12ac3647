"""Pages of a long table: one ``Paginator`` page and the links to the pages beside it,
keeping the request's other parameters (a page may show two tables paged apart, each
with its own parameter)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class PageLinks:
    page: Page[Any]
    previous_url: str
    next_url: str

    @property
    def number(self) -> int:
        return self.page.number

    @property
    def num_pages(self) -> int:
        return self.page.paginator.num_pages

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def is_paginated(self) -> bool:
        return self.num_pages > 1


def page_url(request: HttpRequest, param: str, number: int, anchor: str = "") -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return "?" + urlencode(sorted(query.items())) + (f"#{anchor}" if anchor else "")


def links(
    request: HttpRequest, page: Page[Any], param: str = "page", anchor: str = ""
) -> PageLinks:
    return PageLinks(
        page=page,
        previous_url=page_url(request, param, page.previous_page_number(), anchor)
        if page.has_previous()
        else "",
        next_url=page_url(request, param, page.next_page_number(), anchor)
        if page.has_next()
        else "",
    )


def paginate(
    request: HttpRequest,
    rows: Sequence[Any] | Any,
    per_page: int,
    param: str = "page",
    anchor: str = "",
) -> PageLinks:
    """The page of ``rows`` the request asks for (the last one if past the end)."""
    page = Paginator(rows, per_page).get_page(request.GET.get(param))
    return links(request, page, param, anchor)
