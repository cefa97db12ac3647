"""Row locks for the projects app: always in primary-key order, so two services that
lock overlapping sets cannot deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from funding.models import Quota

from .models import Application, Notice, RecommendationList


def lock_applications(ids: Iterable[int]) -> list[Application]:
    return list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(ids)))
        .select_related("call__programme", "category", "district")
        .order_by("pk")
    )


def lock_application(pk: int) -> Application:
    locked = lock_applications([pk])
    if not locked:
        raise Application.DoesNotExist
    return locked[0]


def lock_recommendation_list(pk: int) -> RecommendationList:
    return (
        RecommendationList.objects.select_for_update(of=("self",))
        .select_related("call__programme", "district")
        .get(pk=pk)
    )


def lock_quotas(qs: QuerySet[Quota]) -> list[Quota]:
    return list(qs.select_for_update(of=("self",)).select_related("category").order_by("pk"))


def lock_notice(pk: int) -> Notice:
    return Notice.objects.select_for_update(of=("self",)).select_related("unit").get(pk=pk)
