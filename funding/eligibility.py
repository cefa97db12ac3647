"""Evaluating a category's eligibility rules against an application's facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import OrgUnit

from .facts import derive
from .models import Category, DistrictStatistic


def district_average_income(district: OrgUnit, year: int) -> Decimal | None:
    """The latest figure entered for the call's year or earlier: the district association
    enters each year's figure when the statistics bureau publishes it, and the latest one
    known is what applications are measured against (docs/decisions.md)."""
    stat = (
        DistrictStatistic.objects.filter(district=district, year__lte=year)
        .order_by("-year")
        .values_list("farmer_avg_income", flat=True)
        .first()
    )
    return stat


def failed_rules(
    category: Category, facts: dict[str, Any], *, district: OrgUnit, year: int
) -> list[str]:
    """The applicant-facing messages of every rule the facts do not satisfy."""
    rules = list(category.rules.all())
    needs_income = any(r.fact == "member_income_above_district_pct" for r in rules)
    average = district_average_income(district, year) if needs_income else None
    typed = derive(facts, district_avg_income=average)
    messages = []
    if needs_income and average is None:
        messages.append(
            _(
                "The farmer average income of %(district)s has not been entered yet; "
                "please ask the district association."
            )
            % {"district": district.name}
        )
    for rule in rules:
        if not rule.passes(typed):
            messages.append(rule.message)
    return messages
