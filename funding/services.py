"""Writes of the funding app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrgUnit, Person, User
from core import clock

from .models import (
    Call,
    Category,
    Debarment,
    DistrictStatistic,
    EligibilityRule,
    Programme,
    Quota,
    QuotaCut,
)


class FundingError(Exception):
    """A refusal with a message for the user."""


@transaction.atomic
def programme_create(*, actor: User | None = None, **fields: Any) -> Programme:
    programme = Programme(**fields)
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def category_create(
    *,
    programme: Programme,
    code: str,
    name: str,
    rules: list[dict[str, Any]] = (),  # type: ignore[assignment]
    actor: User | None = None,
    **fields: Any,
) -> Category:
    category = Category(programme=programme, code=code, name=name, **fields)
    category.full_clean()
    category.save()
    for order, rule_fields in enumerate(rules):
        rule = EligibilityRule(category=category, order=order, **rule_fields)
        rule.full_clean()
        rule.save()
    return category


@transaction.atomic
def call_create(
    *, programme: Programme, categories: list[Category], actor: User | None = None, **fields: Any
) -> Call:
    call = Call(programme=programme, **fields)
    call.full_clean(exclude=["status"])  # protected FSM field: set only by transitions
    call.save()
    call.categories.set(categories)
    return call


@transaction.atomic
def call_open(*, call: Call, actor: User | None = None) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    call.open()
    call.save()
    return call


@transaction.atomic
def call_advance(*, call: Call, name: str, actor: User | None = None) -> Call:
    """Move a call along its own state machine: close, start_review, decide, archive."""
    if name not in {"close", "start_review", "decide", "archive"}:
        raise ValueError(name)
    call = Call.objects.select_for_update().get(pk=call.pk)
    getattr(call, name)()
    call.save()
    return call


@transaction.atomic
def call_close(*, call: Call, actor: User | None = None) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    call.close()
    call.save()
    return call


def _cut(count: int, amount_fen: int, pct: int) -> tuple[int, int]:
    """Reduce by ``pct`` %, at least one place when there is one (减少参评数额比例)."""
    if pct <= 0:
        return count, amount_fen
    places = max(1, -(-count * pct // 100)) if count else 0
    return max(0, count - places), amount_fen * (100 - pct) // 100


@transaction.atomic
def quota_set(
    *,
    call: Call,
    district: OrgUnit,
    category: Category,
    max_count: int,
    max_amount_fen: int,
    actor: User | None = None,
) -> Quota:
    """Set a quota; cuts recorded for this district and year are applied to it."""
    notes = []
    for cut in QuotaCut.objects.filter(programme=call.programme, district=district, year=call.year):
        max_count, max_amount_fen = _cut(max_count, max_amount_fen, cut.pct)
        notes.append(f"−{cut.pct}% {cut.reason}")
    quota, _created = Quota.objects.update_or_create(
        call=call,
        district=district,
        category=category,
        defaults={
            "max_count": max_count,
            "max_amount_fen": max_amount_fen,
            "cut_note": "; ".join(notes)[:200],
        },
    )
    quota.full_clean()
    return quota


@transaction.atomic
def quota_cut_register(
    *,
    programme: Programme,
    district: OrgUnit,
    year: int,
    reason: str,
    source: str = "",
    actor: User | None = None,
) -> QuotaCut:
    """Record the programme's fraud cut for ``district`` in ``year``; quotas of that
    year's call that already exist are reduced at once."""
    cut = QuotaCut.objects.create(
        programme=programme,
        district=district,
        year=year,
        pct=programme.fraud_quota_cut_pct,
        reason=reason[:300],
        source=source,
    )
    for quota in Quota.objects.select_for_update().filter(
        call__programme=programme, call__year=year, district=district
    ):
        quota.max_count, quota.max_amount_fen = _cut(quota.max_count, quota.max_amount_fen, cut.pct)
        note = f"−{cut.pct}% {reason}"
        quota.cut_note = (f"{quota.cut_note}; {note}" if quota.cut_note else note)[:200]
        quota.save(update_fields=["max_count", "max_amount_fen", "cut_note"])
    return cut


@transaction.atomic
def district_statistic_set(
    *, district: OrgUnit, year: int, farmer_avg_income: Decimal
) -> DistrictStatistic:
    stat, _created = DistrictStatistic.objects.update_or_create(
        district=district, year=year, defaults={"farmer_avg_income": farmer_avg_income}
    )
    return stat


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
