"""Reads of the call-management pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import OrgUnit
from accounts.permissions import scope_of

from .models import (
    Call,
    Category,
    ConfigChange,
    DistrictStatistic,
    EligibilityRule,
    Programme,
    Quota,
    QuotaCut,
)

_RULES = Prefetch("rules", queryset=EligibilityRule.objects.order_by("order", "pk"))


def programme_list(*, user: Any) -> QuerySet[Programme]:
    return (
        Programme.objects.visible_to(user)
        .select_related("owner_unit", "lead_body", "co_owner")
        .prefetch_related(Prefetch("calls", queryset=Call.objects.order_by("-year")))
        .order_by("code")
    )


def programme_detail(*, user: Any, pk: int) -> Programme:
    return (
        Programme.objects.visible_to(user)
        .select_related("owner_unit", "lead_body", "co_owner")
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.prefetch_related(_RULES)),
            Prefetch("calls", queryset=Call.objects.order_by("-year")),
        )
        .get(pk=pk)
    )


def call_detail(*, user: Any, pk: int) -> Call:
    return (
        Call.objects.visible_to(user)
        .select_related("programme__owner_unit")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=Category.objects.order_by("order", "code").prefetch_related(_RULES),
            )
        )
        .get(pk=pk)
    )


def districts_of(call: Call) -> list[OrgUnit]:
    """The districts that may hold quotas: those of the programme's region."""
    return list(OrgUnit.objects.subtree_of(call.programme.owner_unit).districts().order_by("code"))


@dataclass
class QuotaGridRow:
    district: OrgUnit
    cells: list[Quota | None]
    cuts: list[QuotaCut]


def quota_grid(call: Call) -> list[QuotaGridRow]:
    """Per district of the programme's region, the call's quota of each category (or
    None) and the cuts registered for that district in the call's year."""
    categories = list(call.categories.all())
    quotas = {(q.district_id, q.category_id): q for q in Quota.objects.filter(call=call)}
    cuts: dict[int, list[QuotaCut]] = {}
    for cut in QuotaCut.objects.filter(programme=call.programme, year=call.year).order_by("pk"):
        cuts.setdefault(cut.district_id, []).append(cut)
    return [
        QuotaGridRow(
            district=district,
            cells=[quotas.get((district.pk, c.pk)) for c in categories],
            cuts=cuts.get(district.pk, []),
        )
        for district in districts_of(call)
    ]


def call_trail(call: Call) -> QuerySet[ConfigChange]:
    """The call's own changes, and those of its categories and their rules."""
    categories = [c.name for c in call.categories.all()]
    return (
        ConfigChange.objects.filter(
            Q(call=call)
            | Q(
                programme=call.programme,
                call__isnull=True,
                subject__in=[ConfigChange.Subject.CATEGORY, ConfigChange.Subject.RULE],
                subject_name__in=categories,
            )
        )
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def programme_trail(programme: Programme) -> QuerySet[ConfigChange]:
    return (
        ConfigChange.objects.filter(programme=programme)
        .select_related("actor", "call")
        .order_by("-at", "-pk")
    )


def quota_list(*, user: Any) -> QuerySet[Quota]:
    """The quotas a user reads: a district officer those of their district."""
    return (
        Quota.objects.visible_to(user)
        .select_related("call__programme", "district", "category")
        .order_by("-call__year", "call__programme__code", "district__code", "category__order")
    )


def statistic_districts(*, user: Any, roles: tuple[str, ...]) -> QuerySet[OrgUnit]:
    paths = scope_of(user).paths_for(roles)
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return OrgUnit.objects.districts().filter(q).order_by("code")


def statistic_list(*, user: Any) -> QuerySet[DistrictStatistic]:
    from accounts.permissions import visible_q

    return (
        DistrictStatistic.objects.filter(visible_q(user, region="district"))
        .select_related("district")
        .order_by("-year", "district__code")
    )
