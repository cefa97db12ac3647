"""Reads for the projects pages and downloads; every one is scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from core import clock
from funding.models import Call, Quota

from .models import (
    Application,
    Notice,
    Objection,
    RecommendationEntry,
    RecommendationList,
    TransitionLog,
)


def application_list(*, user: Any) -> QuerySet[Application]:
    return Application.objects.visible_to(user).with_list_columns()


def application_detail(*, user: Any, pk: int) -> Application:
    return (
        Application.objects.visible_to(user)
        .with_list_columns()
        .select_related("formal_check_by", "created_by", "call__programme__owner_unit")
        .prefetch_related(
            "funding",
            "budget_items",
            "attachments",
            Prefetch("transitions", queryset=TransitionLog.objects.select_related("actor")),
            Prefetch("notices", queryset=Notice.objects.prefetch_related("objections")),
            "category__rules",
        )
        .get(pk=pk)
    )


def open_calls(*, day: Any = None) -> QuerySet[Call]:
    return Call.objects.open_on(day or clock.today()).select_related("programme")


def notice_list(*, user: Any) -> QuerySet[Notice]:
    return (
        Notice.objects.visible_to(user)
        .select_related("call", "unit")
        .annotate(
            n_applications=Count("applications", distinct=True),
            n_open=Count(
                "objections", filter=Q(objections__status=Objection.Status.OPEN), distinct=True
            ),
        )
    )


def public_notices(*, day: Any) -> QuerySet[Notice]:
    return Notice.objects.public_on(day).select_related("call", "unit").order_by("-starts_on")


def public_notice_items(notice: Notice) -> QuerySet[Application]:
    return notice.applications.select_related(
        "category", "organisation", "person", "district", "call__programme"
    ).order_by("category__order", "number")


def recommendation_lists(*, user: Any) -> QuerySet[RecommendationList]:
    return (
        RecommendationList.objects.visible_to(user)
        .select_related("call", "district", "created_by", "cosigned_by")
        .annotate(n=Count("entries"))
    )


def recommendation_entries(rec: RecommendationList) -> QuerySet[RecommendationEntry]:
    return rec.entries.select_related(
        "application__category",
        "application__organisation",
        "application__person",
        "application__district",
        "application__call__programme",
    ).prefetch_related("application__notices")


def quota_table(rec: RecommendationList) -> list[dict[str, Any]]:
    """Per category: quota, already recommended, on this list, and what remains."""
    from .services import quota_usage

    used = quota_usage(call=rec.call, district=rec.district)
    on_list: dict[int, dict[str, int]] = {}
    if rec.status != RecommendationList.Status.SUBMITTED:
        for entry in rec.entries.select_related("application"):
            row = on_list.setdefault(entry.application.category_id, {"count": 0, "amount": 0})
            row["count"] += 1
            row["amount"] += entry.application.amount_requested_fen
    table = []
    for quota in Quota.objects.filter(call=rec.call, district=rec.district).select_related(
        "category"
    ):
        u = used.get(quota.category_id, {"count": 0, "amount": 0})
        a = on_list.get(quota.category_id, {"count": 0, "amount": 0})
        table.append(
            {
                "category": quota.category,
                "max_count": quota.max_count,
                "max_amount_fen": quota.max_amount_fen,
                "used_count": u["count"],
                "used_amount_fen": u["amount"],
                "list_count": a["count"],
                "list_amount_fen": a["amount"],
                "over": u["count"] + a["count"] > quota.max_count
                or u["amount"] + a["amount"] > quota.max_amount_fen,
            }
        )
    return table
