"""Who may not review an application (回避), decided in one place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from projects.models import Application

from .models import Assignment, ExclusionRequest, ExpertProfile, Panel


@dataclass(frozen=True)
class ExpertFacts:
    pk: int
    person_id: int
    organisation_id: int | None
    district_id: int


@dataclass(frozen=True)
class ItemFacts:
    application_id: int
    organisation_id: int | None
    person_id: int | None
    district_id: int
    excluded: frozenset[int]  # expert ids the applicant asked to exclude
    declared: frozenset[int]  # expert ids that declared a conflict with it


def conflict_reason(
    item: ItemFacts, expert: ExpertFacts, *, exclude_own_district: bool
) -> str | None:
    """Why ``expert`` may not review ``item``, or None."""
    if item.person_id is not None and item.person_id == expert.person_id:
        return "own application"
    if item.organisation_id is not None and item.organisation_id == expert.organisation_id:
        return "same organisation"
    if exclude_own_district and item.district_id == expert.district_id:
        return "same district"
    if expert.pk in item.excluded:
        return "applicant asked to exclude"
    if expert.pk in item.declared:
        return "conflict declared"
    return None


def expert_facts(experts: Iterable[ExpertProfile]) -> dict[int, ExpertFacts]:
    return {
        e.pk: ExpertFacts(e.pk, e.person_id, e.person.organisation_id, e.person.region_id)
        for e in experts
    }


def item_facts(applications: Iterable[Application]) -> dict[int, ItemFacts]:
    apps = list(applications)
    ids = [a.pk for a in apps]
    excluded: dict[int, set[int]] = {}
    for app_id, expert_id in ExclusionRequest.objects.filter(application_id__in=ids).values_list(
        "application_id", "expert_id"
    ):
        excluded.setdefault(app_id, set()).add(expert_id)
    declared: dict[int, set[int]] = {}
    for app_id, expert_id in Assignment.objects.filter(
        item__application_id__in=ids, conflict_declared=True
    ).values_list("item__application_id", "expert_id"):
        declared.setdefault(app_id, set()).add(expert_id)
    return {
        a.pk: ItemFacts(
            application_id=a.pk,
            organisation_id=a.organisation_id,
            person_id=a.person_id,
            district_id=a.district_id,
            excluded=frozenset(excluded.get(a.pk, ())),
            declared=frozenset(declared.get(a.pk, ())),
        )
        for a in apps
    }


def excludes_own_district(panel: Panel) -> bool:
    return panel.stage == Panel.Stage.CITY and panel.call.programme.city_panel_excludes_own_district
