from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from accounts.roles import REGION_READERS
from accounts.selectors import districts_for
from funding.models import Call, Category

from .models import Application

S = Application.Status
# The stages the menu's 合同与验收 entries list (the same list page, filtered).
STAGES = {
    "under_way": (S.APPROVED, S.CONTRACTED, S.IN_PROGRESS),
    "acceptance": (S.ACCEPTANCE_REQUESTED, S.ACCEPTANCE_REVIEW, S.RECTIFYING, S.ACCEPTED, S.FAILED),
}
STAGE_CHOICES = [
    ("under_way", _("Contracts and implementation")),
    ("acceptance", _("Acceptance and closing")),
]


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("number, title or applicant"), method="search", max_length=100
    )
    stage = django_filters.ChoiceFilter(
        label=_("stage"),
        choices=STAGE_CHOICES,
        method="in_stage",
    )
    status = django_filters.ChoiceFilter(label=_("status"), choices=Application.Status.choices)
    call = django_filters.ModelChoiceFilter(label=_("call"), queryset=Call.objects.all())
    category = django_filters.ModelChoiceFilter(
        label=_("category"), queryset=Category.objects.all()
    )
    district = django_filters.ModelChoiceFilter(
        label=_("district"), queryset=OrgUnit.objects.none()
    )

    class Meta:
        model = Application
        fields = ["q", "stage", "status", "call", "category", "district"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = districts_for(user=user, roles=REGION_READERS)

    def search(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        value = value.strip()
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(organisation__name__icontains=value)
            | Q(person__name__icontains=value)
        )

    def in_stage(
        self, queryset: QuerySet[Application], name: str, value: str
    ) -> QuerySet[Application]:
        return queryset.filter(status__in=STAGES[value])
