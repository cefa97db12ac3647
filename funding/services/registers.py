"""District statistics and debarments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrgUnit, Person, User
from core import clock

from .. import trail
from ..facts import FACTS
from ..models import (
    ConfigChange,
    Debarment,
    DistrictStatistic,
)
from .common import authorise

S = ConfigChange.Subject
A = ConfigChange.Action


# --- district statistics ------------------------------------------------------------------


@transaction.atomic
def district_statistic_set(
    *,
    district: OrgUnit,
    year: int,
    farmer_avg_income: Decimal,
    actor: User | None = None,
) -> DistrictStatistic:
    """区县农民年均纯收入 of a year (the cooperative rule measures member income by it)."""
    authorise(
        actor,
        "funding.set_statistic",
        district,
        _("You may not enter figures for %(d)s.") % {"d": district.name},
    )
    if district.level != OrgUnit.Level.DISTRICT:
        raise ValidationError({"district": _("Figures are entered per district.")})
    stat = (
        DistrictStatistic.objects.select_for_update().filter(district=district, year=year).first()
    )
    before = trail.snapshot(stat, ("farmer_avg_income",)) if stat else {}
    if stat is None:
        stat = DistrictStatistic(district=district, year=year)
    stat.farmer_avg_income = farmer_avg_income
    stat.full_clean()
    stat.save()
    changes = trail.diff(before, trail.snapshot(stat, ("farmer_avg_income",)))
    if changes:
        trail.record(
            unit=district,
            subject=S.STATISTIC,
            subject_name=f"{district.name} {year}",
            action=A.UPDATE if before else A.CREATE,
            actor=actor,
            changes=changes,
        )
    return stat


# --- debarments -----------------------------------------------------------------------------


@transaction.atomic
def debarment_create(
    *,
    organisation: Organisation | None,
    person: Person | None,
    reason: str,
    years: int,
    starts_on: dt.date | None = None,
    source: str = "",
    actor: User | None = None,
) -> Debarment:
    if not reason.strip():
        raise ValidationError({"reason": _("A reason is required.")})
    start = starts_on or clock.today()
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    debarment = Debarment(
        organisation=organisation,
        person=person,
        reason=reason.strip(),
        starts_on=start,
        ends_on=end,
        source=source,
        created_by=actor,
    )
    debarment.full_clean()
    debarment.save()
    return debarment


def active_debarment(
    *, organisation: Organisation | None, person: Person | None, day: dt.date
) -> Debarment | None:
    return (
        Debarment.objects.active_on(day)
        .of(organisation=organisation, person=person)
        .order_by("-ends_on")
        .first()
    )


def fact_choices() -> list[tuple[str, str]]:
    """The facts a rule may test, for a page's select."""
    return [(key, str(fact.label)) for key, fact in FACTS.items()]
