"""Reads for pages and downloads of the accounts app (scoped through permissions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from .models import Organisation, OrgUnit, Person, User
from .permissions import scope_of
from .roles import REGISTRY_EDITORS


def organisation_list(*, user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(user).select_related("region", "region__parent")


def person_list(*, user: Any) -> QuerySet[Person]:
    return Person.objects.visible_to(user).select_related("region", "organisation")


def districts_for(*, user: Any, roles: Any = REGISTRY_EDITORS) -> QuerySet[OrgUnit]:
    """Districts (区县) inside the subtrees where ``user`` holds one of ``roles``."""
    from django.db.models import Q

    q = Q(pk__in=[])
    for path in scope_of(user).paths_for(roles):
        q |= Q(path__startswith=path)
    return OrgUnit.objects.districts().filter(q).select_related("parent")


def users_without_role() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, is_superuser=False)
        .annotate(n_roles=Count("memberships"))
        .filter(n_roles=0)
        .order_by("date_joined")
    )
