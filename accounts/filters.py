from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .identifiers import normalise
from .models import Organisation, OrgUnit, Person
from .roles import REGION_READERS
from .selectors import districts_for


class _ScopedFilterSet(django_filters.FilterSet):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = districts_for(user=user, roles=REGION_READERS)


class OrganisationFilter(_ScopedFilterSet):
    q = django_filters.CharFilter(label=_("name or code"), method="search", max_length=100)
    org_type = django_filters.ChoiceFilter(label=_("type"), choices=Organisation.Type.choices)
    region = django_filters.ModelChoiceFilter(label=_("district"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Organisation
        fields = ["q", "org_type", "region"]

    def search(
        self, queryset: QuerySet[Organisation], name: str, value: str
    ) -> QuerySet[Organisation]:
        return queryset.filter(Q(name__icontains=value.strip()) | Q(credit_code=normalise(value)))


class PersonFilter(_ScopedFilterSet):
    q = django_filters.CharFilter(label=_("name"), method="search", max_length=100)
    region = django_filters.ModelChoiceFilter(label=_("district"), queryset=OrgUnit.objects.none())

    class Meta:
        model = Person
        fields = ["q", "region"]

    def search(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return queryset.filter(name__icontains=value.strip())
