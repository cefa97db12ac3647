"""What the panel page shows of a large panel: one page of the ranking and one page of
the assignment matrix (``selectors.PAGE_SIZE`` items each), with the links to the
others; the whole ranking is in the .xlsx download."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest

from core.paging import PageLinks, paginate

from . import aggregation, selectors
from .models import Panel


def ranking_page(request: HttpRequest, panel: Panel) -> PageLinks:
    """The ranking as shown: frozen on the items once closed (paged in the database),
    live before (scores and ranks computed for the whole panel by the aggregation, the
    criterion means and passes only for the page shown, then paged). Each row is a
    dict, the same for both."""
    if panel.status == Panel.Status.CLOSED:
        items = panel.items.select_related("application").order_by(
            F("rank").asc(nulls_last=True), "pk"
        )
        pages = paginate(request, items, selectors.PAGE_SIZE, "page", "ranking")
        pages.page.object_list = [
            {
                "rank": i.rank,
                "application": i.application,
                "score": i.score,
                "sd": i.spread_sd,
                "range": i.spread_range,
                "n": i.n_scores,
                "flagged": i.flagged,
                "passes": i.passes,
            }
            for i in pages.page.object_list
        ]
        return pages
    number = request.GET.get("page")

    def window(count: int) -> slice:
        # the page ``paginate`` below picks (the last one if past the end)
        page = Paginator(range(count), selectors.PAGE_SIZE).get_page(number)
        return slice(page.start_index() - 1, page.end_index())

    results = aggregation.panel_results(panel, window=window)
    pages = paginate(request, results, selectors.PAGE_SIZE, "page", "ranking")
    shown = list(pages.page.object_list)
    assert all(r.detailed for r in shown)
    apps = {
        i.application_id: i.application
        for i in panel.items.filter(
            application_id__in=[r.application_id for r in shown]
        ).select_related("application")
    }
    pages.page.object_list = [
        {
            "rank": r.rank,
            "application": apps[r.application_id],
            "score": r.score,
            "sd": r.sd,
            "range": r.range,
            "n": r.n,
            "flagged": r.flagged,
            "passes": r.passes,
        }
        for r in shown
    ]
    return pages


def matrix_page(request: HttpRequest, panel: Panel) -> PageLinks:
    from core.paging import links

    page = selectors.assignment_matrix(
        panel, request.GET.get("matrix_page"), per_page=selectors.PAGE_SIZE
    )
    return links(request, page, "matrix_page", "matrix")


def page_context(request: HttpRequest, panel: Panel) -> dict[str, Any]:
    ranking = ranking_page(request, panel)
    matrix = matrix_page(request, panel)
    return {
        "results": ranking.page.object_list,
        "ranking_pages": ranking,
        "matrix": matrix.page.object_list,
        "matrix_pages": matrix,
    }
