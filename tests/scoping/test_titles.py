"""Every page has its own <title> (issue 13): a crawl of the whole demo world as every
demo login (and as a visitor) follows the links of each page it opens, and finds

* no page whose title is only the site's name (or that has no title of its own), and
* no two different kinds of page (URL patterns) with the same title, and
* no two records of one kind with the same title (two 拨付单 are told apart in the tab
  bar and in the browser's history).

The oracle is the page's URL pattern, not the templates under test."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import User

from .crawl_forms import Page, crawl
from .test_walk import USERS

pytestmark = pytest.mark.django_db

SITE = "科技项目与科普惠农兴村资金管理系统"


def _titles(client: Client, *start: str) -> dict[str, dict[str, str]]:
    """{kind: {address: title}} of the pages a crawl from ``start`` opens."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for page in crawl(client, *start):
        found[page.kind][page.address] = page.title
    return found


def _problems(pages: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    kinds_of_title: dict[str, set[str]] = defaultdict(set)
    for kind, titles in pages.items():
        for address, title in titles.items():
            own = title.removesuffix(SITE).strip(" ·")
            if not title.endswith(SITE) or not own:
                problems.append(f"{address} ({kind}) has no title of its own: {title!r}")
            kinds_of_title[title].add(kind)
        # one kind, several records: each its own title (a list with filters may repeat)
        by_record: dict[str, set[str]] = defaultdict(set)
        for address, title in titles.items():
            by_record[title].add(urlsplit(address).path)
        for title, paths in by_record.items():
            if len(paths) > 1:
                problems.append(f"{sorted(paths)} ({kind}) share the title {title!r}")
    for title, kinds in kinds_of_title.items():
        if len(kinds) > 1:
            problems.append(f"{sorted(kinds)} share the title {title!r}")
    return problems


def test_every_page_of_every_login_has_its_own_title(demo):
    # given the whole demo world, in Chinese
    translation.activate("zh-hans")
    pages: dict[str, dict[str, str]] = defaultdict(dict)
    visitor = Client()
    # when every login (and a visitor) opens every kind of page it can reach
    for kind, titles in _titles(visitor, "/accounts/login/", "/gongshi/").items():
        pages[kind].update(titles)
    for username in USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for kind, titles in _titles(client, "/").items():
            pages[kind].update(titles)
    for address in ("/no-such-page/",):
        body = visitor.get(address).content.decode()
        pages["404"][address] = Page("404", address, body).title
    # then no page has only the site's name, and no two kinds of page share a title
    problems = _problems(pages)
    assert problems == [], "\n".join(problems)
    # (the crawl reached the pages the issue names)
    for kind in (
        "home",
        "application_detail",
        "reviews:panel",
        "ledger:disbursement_detail",
        "ledger:statement_detail",
        "login",
        "public_notice_list",
    ):
        assert pages[kind], kind
    assert len(pages) >= 40, sorted(pages)


def test_a_page_without_its_own_title_is_found():
    # given two kinds of page with one title and a page with the bare site title
    pages: dict[str, Any] = {
        "a": {"/a/": f"甲 · {SITE}"},
        "b": {"/b/": f"甲 · {SITE}"},
        "c": {"/c/": f" · {SITE}"},
    }
    # when they are checked, then each is named
    problems = _problems(pages)
    assert any("share the title" in p and "'a', 'b'" in p for p in problems), problems
    assert any("/c/" in p for p in problems), problems
