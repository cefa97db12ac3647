"""Reads for the projects pages and downloads; every one is scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

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
    """Newest first. By the primary key, which follows ``created_at`` (set when the row
    is inserted): the page's rows come from the key's index and are joined to their
    call, category, organisation … afterwards, where sorting by ``created_at`` joined
    and sorted every visible application first (0.45 s for 50 000)."""
    return Application.objects.visible_to(user).with_list_columns().order_by("-pk")


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


def _per_notice(rows: QuerySet[Any]) -> Coalesce:
    counted = rows.filter(notice=OuterRef("pk")).order_by().values("notice").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), 0)


def notice_list(*, user: Any) -> QuerySet[Notice]:
    return (
        Notice.objects.visible_to(user)
        .select_related("call", "unit")
        # one subquery per relation: counting both over one join multiplied the rows
        # (applications × objections of each notice)
        .annotate(
            n_applications=_per_notice(Notice.applications.through.objects.all()),
            n_open=_per_notice(Objection.objects.filter(status=Objection.Status.OPEN)),
        )
        .order_by("-starts_on", "-pk")
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
        .order_by("-created_at", "-pk")
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


# --- the award flow's budget indicators -----------------------------------------------------


def award_indicator_rows(*, user: Any) -> list[dict[str, Any]]:
    """One row per award call and district with granted awards, for the city finance staff
    who issue (and the checkers who approve supplements) over the programme's owner: the
    awards' total, what was issued (each indicator and supplement: 文号, date, amount), a
    supplement waiting for approval, and what the awards still lack. A handful of queries
    whatever the number of calls and districts."""
    from accounts.models import OrgUnit, Role
    from accounts.permissions import scope_of
    from ledger.models import BudgetIndicator, ChangeStatus, IndicatorSupplement

    from .awards import call_reference
    from .payments import MONEY_STOPS

    paths = scope_of(user).paths_for({Role.FINANCE, Role.FINANCE_CHECKER})
    if not paths:
        return []
    owned = Q(pk__in=[])
    for path in paths:
        owned |= Q(programme__owner_unit__path__startswith=path)
    calls = {
        c.pk: c
        for c in Call.objects.filter(owned, programme__flow="award").select_related(
            "programme__owner_unit"  # the permission checks read the owner's path
        )
    }
    totals = (
        Application.objects.filter(call_id__in=list(calls), approved_amount_fen__isnull=False)
        .exclude(status__in=list(MONEY_STOPS))
        .values("call_id", "district_id")
        .annotate(total=Sum("approved_amount_fen"), n=Count("pk"))
        .order_by()
    )
    by_reference = {call_reference(c): c for c in calls.values()}
    issued: dict[tuple[str, str], list[Any]] = {}
    for indicator in BudgetIndicator.objects.filter(
        reference__in=list(by_reference)
    ).select_related("to_line"):
        issued.setdefault((indicator.reference, indicator.to_line.scope_path), []).append(indicator)
    pending: dict[tuple[str, str], Any] = {}
    for supplement in IndicatorSupplement.objects.filter(
        indicator__reference__in=list(by_reference), status=ChangeStatus.REQUESTED
    ).select_related("indicator__to_line", "requested_by"):
        key = (supplement.indicator.reference, supplement.indicator.to_line.scope_path)
        pending[key] = supplement
    districts = OrgUnit.objects.in_bulk({t["district_id"] for t in totals})
    rows = []
    for t in totals:
        call, district = calls[t["call_id"]], districts[t["district_id"]]
        key = (call_reference(call), district.path)
        done = sorted(issued.get(key, []), key=lambda i: (i.value_date, i.pk))
        issued_fen = sum(i.amount_fen for i in done)
        rows.append(
            {
                "call": call,
                "district": district,
                "total": t["total"],
                "awards": t["n"],
                "issued": done,
                "issued_fen": issued_fen,
                "first": next((i for i in done if i.kind == BudgetIndicator.Kind.ISSUE), None),
                "pending": pending.get(key),
                "shortfall": t["total"] - issued_fen,
            }
        )
    rows.sort(key=lambda r: (-r["call"].year, r["call"].pk, r["district"].path))
    return rows
