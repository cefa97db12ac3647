"""Reads for the review pages; prefetching happens here so query counts stay flat."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from projects.models import Application

from .models import Assignment, Panel, PanelItem, Score, SpotCheck

# The state an application waits in for a panel of each stage.
STAGE_STATUS = {
    Panel.Stage.DISTRICT.value: Application.Status.SUBMITTED,
    Panel.Stage.CITY.value: Application.Status.RECOMMENDED,
    Panel.Stage.ACCEPTANCE.value: Application.Status.ACCEPTANCE_REQUESTED,
}


def waiting_for_panel(*, call: Any, stage: str, unit: Any) -> QuerySet[Application]:
    """Applications of ``call`` within ``unit`` waiting for a panel of ``stage``: in the
    stage's state and on no other panel that will review them — a city or acceptance
    panel not yet closed (a closed one has moved them on; a second acceptance round
    needs a new panel), or any district panel of the call (its review does not change
    the state)."""
    on_panel = PanelItem.objects.filter(panel__call=call, panel__stage=stage)
    if stage != Panel.Stage.DISTRICT:
        on_panel = on_panel.exclude(panel__status=Panel.Status.CLOSED)
    return (
        Application.objects.filter(
            call=call, status=STAGE_STATUS[str(stage)], district__path__startswith=unit.path
        )
        .exclude(pk__in=on_panel.values("application_id"))
        .select_related("district", "category")
        .order_by("pk")
    )


def waiting_for(panel: Panel) -> QuerySet[Application]:
    """What could still join ``panel`` (see ``waiting_for_panel``)."""
    return waiting_for_panel(call=panel.call, stage=panel.stage, unit=panel.unit)


def assignments_for_expert(*, user: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.for_expert(user)
        .select_related(
            "panel",
            "item__application__category",
            "item__application__call",
            # what a blind panel masks in the titles (blind.identities)
            "item__application__organisation",
            "item__application__person__organisation",
            "item__application__person__user",
        )
        .order_by("status", "panel__deadline", "pk")
    )


def assignment_for_expert(*, user: Any, pk: int) -> Assignment:
    return (
        Assignment.objects.for_expert(user)
        .select_related(
            "panel__rubric",
            "panel__call__programme",
            "item__application__category",
            "item__application__organisation",
            "item__application__person__organisation",
            "item__application__person__user",
            "item__application__district",
        )
        .prefetch_related(
            "panel__rubric__criteria",
            "scores__criterion",
            "item__application__funding",
            "item__application__budget_items",
            "item__application__attachments",
        )
        .get(pk=pk)
    )


# Items per page of a panel's ranking and assignment matrix, and panels per page of the list.
PAGE_SIZE = 50
PANELS_PER_PAGE = 25


def _per_panel(rows: QuerySet[Any]) -> Coalesce:
    """How many of ``rows`` belong to the outer panel: a subquery per relation (one index
    range each), where one query counting DISTINCT over the joins of items and
    assignments together multiplied the rows (items × assignments per panel)."""
    counted = rows.filter(panel=OuterRef("pk")).order_by().values("panel").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), 0)


def panel_list(*, user: Any) -> QuerySet[Panel]:
    return (
        Panel.objects.visible_to(user)
        .select_related("call", "unit", "rubric")
        .annotate(
            n_items=_per_panel(PanelItem.objects.all()),
            n_live=_per_panel(Assignment.objects.live()),
            n_submitted=_per_panel(Assignment.objects.filter(status=Assignment.Status.SUBMITTED)),
        )
    )


def panel_detail(*, user: Any, pk: int) -> Panel:
    return panel_list(user=user).select_related("call__programme", "created_by").get(pk=pk)


def assignment_matrix(panel: Panel, page: Any = 1, per_page: int = PAGE_SIZE) -> Page[PanelItem]:
    """One page of the items (by application number) with their assignments (experts,
    statuses) in one prefetch."""
    items = panel.items.select_related("application__category", "application__district").order_by(
        "application__number", "pk"
    )
    shown = Paginator(items, per_page).get_page(page)
    rows = list(shown.object_list)
    prefetch_related_objects(
        rows,
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("expert__person").order_by("pk"),
        ),
    )
    shown.object_list = rows
    return shown


def scores_by_assignment(panel: Panel) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for score in Score.objects.filter(assignment__panel=panel).select_related("criterion"):
        out.setdefault(score.assignment_id, {})[score.criterion.code] = score.value
    return out


def spot_checks(*, user: Any) -> QuerySet[SpotCheck]:
    return (
        SpotCheck.objects.visible_to(user)
        .select_related("call", "drawn_by")
        .annotate(n=Count("items"))
    )
