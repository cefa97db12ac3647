"""Review pages at province scale (issue 16): the panel list, an expert's assignments, the
ranking and the assignment matrix are paged, every item is on exactly one page, and the
query counts do not grow with more panels, items, assignments or scores."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import selectors
from reviews import views as review_views
from reviews.models import Assignment, Panel

from .test_pages import _client, _panel_with_the_demo_expert, _scored_and_closed

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str, data: dict[str, str] | None = None) -> int:
    client.get(url, data or {})  # warm caches (the scope of the user, translations …)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, data or {}).status_code == 200
    return len(queries)


def _table(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"')[1].split("</table>")[0]


def _pages(client: Client, url: str, table_id: str, param: str) -> list[str]:
    """The table's HTML on each page, following the 下一页 links."""
    tables, number = [], 1
    while True:
        html = client.get(url, {param: number}).content.decode()
        tables.append(_table(html, table_id))
        if f"{param}={number + 1}" not in html:
            return tables
        assert "下一页" in html
        number += 1


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "scoring"])
def test_the_ranking_and_the_matrix_show_every_item_once_across_their_pages(
    world, today, monkeypatch, closed
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    if closed:
        panel = _scored_and_closed(5, "industry")
    else:
        panel, _mine = _panel_with_the_demo_expert(n=5, category="industry")
    numbers = list(panel.items.values_list("application__number", flat=True))
    officer = _client("city_officer")
    url = reverse("reviews:panel", args=[panel.pk])
    first = officer.get(url).content.decode()
    assert "第 1 / 3 页（共 5 条）" in first  # both tables, in Chinese
    for table_id, param in (("ranking", "page"), ("matrix", "matrix_page")):
        tables = _pages(officer, url, table_id, param)
        assert len(tables) == 3
        for number in numbers:
            assert sum(number in t for t in tables) == 1, (table_id, number)
        assert [t.count("<tr") - 1 for t in tables] == [2, 2, 1]  # less the header row
    if closed:  # the ranking goes on in rank order from page to page
        ranks = []
        for table in _pages(officer, url, "ranking", "page"):
            ranks += [int(r.split("<td>")[1].split("</td>")[0]) for r in table.split("<tr")[2:]]
        assert ranks == [1, 2, 3, 4, 5]
    # the whole ranking is in the download, whatever the page size
    from io import BytesIO

    from openpyxl import load_workbook

    download = officer.get(reverse("reviews:ranking_download", args=[panel.pk]))
    sheet = load_workbook(BytesIO(download.getvalue())).active
    assert sorted(r[1] for r in sheet.iter_rows(min_row=2, values_only=True)) == sorted(numbers)


def test_the_panel_page_costs_the_same_queries_past_its_page_size(world, today, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    officer = _client("city_officer")
    small = _scored_and_closed(3, "agriculture")
    big = _scored_and_closed(5, "industry")
    assert big.items.count() == 5
    assert _queries(officer, reverse("reviews:panel", args=[big.pk])) == _queries(
        officer, reverse("reviews:panel", args=[small.pk])
    )
    assert _queries(officer, reverse("reviews:ranking_download", args=[big.pk])) == _queries(
        officer, reverse("reviews:ranking_download", args=[small.pk])
    )


def test_the_panel_list_is_paged_and_its_queries_do_not_grow(world, today, monkeypatch):
    officer = _client("city_officer")
    url = reverse("reviews:panel_list")
    _scored_and_closed(2, "industry")
    one = _queries(officer, url)
    _scored_and_closed(4, "agriculture")
    _panel_with_the_demo_expert(n=3, category="soft")
    assert _queries(officer, url) == one
    panels = list(Panel.objects.all())
    page = officer.get(url).content.decode()
    # the counts beside each panel: items, submitted / live assignments
    for panel in panels:
        live = Assignment.objects.live().filter(panel=panel)
        submitted = live.filter(status=Assignment.Status.SUBMITTED).count()
        assert f"{submitted}/{live.count()}" in page
    monkeypatch.setattr(selectors, "PANELS_PER_PAGE", 2)
    tables = _pages(officer, url, "panels", "page")
    assert len(tables) == 2
    for panel in panels:
        link = reverse("reviews:panel", args=[panel.pk])
        assert sum(link in t for t in tables) == 1


def test_an_experts_assignments_are_paged(world, today, monkeypatch):
    _panel_with_the_demo_expert(n=5, category="industry")
    expert = _client("expert")
    url = reverse("reviews:my_assignments")
    mine = list(Assignment.objects.for_expert(_expert()).values_list("pk"))
    assert len(mine) == 5
    monkeypatch.setattr(review_views, "MY_PAGE", 2)
    tables = _pages(expert, url, "my-assignments", "page")
    assert len(tables) == 3
    for (pk,) in mine:
        link = reverse("reviews:assignment", args=[pk])
        assert sum(f'href="{link}"' in t for t in tables) == 1
    two = _queries(expert, url, {"page": "1"})
    _panel_with_the_demo_expert(n=3, category="agriculture")
    assert _queries(expert, url, {"page": "1"}) == two


def _expert():
    from accounts.models import User

    return User.objects.get(username="expert")


def test_the_city_officers_home_costs_the_same_queries_with_more_panels_to_decide(world, today):
    officer = _client("city_officer")
    home = reverse("home")
    _scored_and_closed(2, "industry")
    one = _queries(officer, home)
    page = officer.get(home).content.decode()
    assert page.count(str(_("results frozen: decide on the ranked list"))) == 1
    _scored_and_closed(3, "agriculture")
    assert _queries(officer, home) == one
    page = officer.get(home).content.decode()
    assert page.count(str(_("results frozen: decide on the ranked list"))) == 2


def _(text: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(text)
