"""Quotas (推荐名额) and the cuts registered against them (名额核减)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User

from .. import trail
from ..models import (
    Call,
    Category,
    ConfigChange,
    Programme,
    Quota,
    QuotaCut,
)
from .calls import authorise_call, lock_call
from .common import MAX_AMOUNT_FEN, FundingError

S = ConfigChange.Subject
A = ConfigChange.Action

# --- quotas -----------------------------------------------------------------------------


def _cut(count: int, amount_fen: int, pct: int) -> tuple[int, int]:
    """Reduce by ``pct`` %, at least one place when there is one (减少参评数额比例)."""
    if pct <= 0:
        return count, amount_fen
    places = max(1, -(-count * pct // 100)) if count else 0
    return max(0, count - places), amount_fen * (100 - pct) // 100


def _after_cuts(count: int, amount_fen: int, cuts: Iterable[QuotaCut]) -> tuple[int, int, str]:
    """The allotment less every cut, one after the other, and the note that says why."""
    notes = []
    for cut in cuts:
        count, amount_fen = _cut(count, amount_fen, cut.pct)
        notes.append(f"−{cut.pct}% {cut.reason}")
    return count, amount_fen, "; ".join(notes)[:200]


def _cuts(programme: Programme, district: OrgUnit, year: int) -> list[QuotaCut]:
    return list(
        QuotaCut.objects.filter(programme=programme, district=district, year=year).order_by("pk")
    )


def quota_refusal(*, call: Call, district: OrgUnit, category: Category) -> str | None:
    """Why no quota can be set for this call, district and category, or None."""
    if call.status in (Call.Status.DECIDED, Call.Status.ARCHIVED):
        return _("The call is “%(status)s”: its quotas no longer change.") % {
            "status": call.get_status_display()
        }
    owner = call.programme.owner_unit
    if district.level != OrgUnit.Level.DISTRICT or not district.is_within(owner):
        return _("%(district)s is not a district of %(owner)s.") % {
            "district": district.name,
            "owner": owner.name,
        }
    if not call.categories.filter(pk=category.pk).exists():
        return _("“%(category)s” is not a category of this call.") % {"category": category.name}
    return None


def _write(
    call: Call, district: OrgUnit, category: Category, count: int, amount_fen: int
) -> tuple[Quota, dict[str, Any] | None]:
    """Store one allotment and what is left of it after the cuts; the trail entry of
    the change (None when nothing changed)."""
    refusal = quota_refusal(call=call, district=district, category=category)
    if refusal:
        raise FundingError(refusal)
    if count < 0 or not 0 <= amount_fen <= MAX_AMOUNT_FEN:
        raise ValidationError(
            _("A quota is a number of places from 0 and an amount from 0 to 10 billion yuan.")
        )
    left, left_fen, note = _after_cuts(
        count, amount_fen, _cuts(call.programme, district, call.year)
    )
    quota = (
        Quota.objects.select_for_update()
        .filter(call=call, district=district, category=category)
        .first()
    )
    before = [quota.allotted_count, quota.allotted_amount_fen] if quota else None
    before_left = [quota.max_count, quota.max_amount_fen] if quota else None
    if quota is None:
        quota = Quota(call=call, district=district, category=category)
    quota.allotted_count, quota.allotted_amount_fen = count, amount_fen
    quota.max_count, quota.max_amount_fen, quota.cut_note = left, left_fen, note
    quota.full_clean()
    quota.save()
    if before == [count, amount_fen] and before_left == [left, left_fen]:
        return quota, None
    return quota, {
        "field": "quota",
        "label": f"{district.name} · {category.name}",
        "from": before,
        "to": [count, amount_fen],
        "after_cuts": [left, left_fen],
    }


def _record(call: Call, changes: list[dict[str, Any]], actor: User | None, name: str) -> None:
    if changes:
        trail.record(
            unit=call.programme.owner_unit,
            programme=call.programme,
            call=call,
            subject=S.QUOTA,
            subject_name=name,
            action=A.UPDATE,
            actor=actor,
            changes=changes,
        )


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
    """Allot a district ``max_count`` places and ``max_amount_fen`` for a category of a
    call. What the district may use is the allotment less every cut registered for it
    in this programme and year (``QuotaCut``); both are kept, so setting the same
    allotment again changes nothing and a later cut is applied to the allotment."""
    call = lock_call(call)
    authorise_call(call, actor)
    quota, change = _write(call, district, category, max_count, max_amount_fen)
    _record(call, [change] if change else [], actor, f"{district.name} · {category.name}")
    return quota


@dataclass(frozen=True)
class QuotaRow:
    district: OrgUnit
    category: Category
    count: int
    amount_fen: int


@transaction.atomic
def quotas_set(*, call: Call, rows: Iterable[QuotaRow], actor: User | None = None) -> list[Quota]:
    """Several quotas of one call at once (the page's grid): all or none, one trail row."""
    call = lock_call(call)
    authorise_call(call, actor)
    quotas, changes = [], []
    for row in rows:
        quota, change = _write(call, row.district, row.category, row.count, row.amount_fen)
        quotas.append(quota)
        if change:
            changes.append(change)
    _record(call, changes, actor, call.title)
    return quotas


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
    """Record the programme's fraud cut for ``district`` in ``year`` (a spot check's
    finding: the spot-check service authorises its actor); quotas of that year's call
    that already exist are recomputed from their allotment at once, and quotas set
    later are cut by ``quota_set``."""
    cut = QuotaCut.objects.create(
        programme=programme,
        district=district,
        year=year,
        pct=programme.fraud_quota_cut_pct,
        reason=reason[:300],
        source=source,
    )
    cuts = _cuts(programme, district, year)
    reduced = []
    for quota in (
        Quota.objects.select_for_update()
        .filter(call__programme=programme, call__year=year, district=district)
        .select_related("category")
        .order_by("pk")
    ):
        before = [quota.max_count, quota.max_amount_fen]
        quota.max_count, quota.max_amount_fen, quota.cut_note = _after_cuts(
            quota.allotted_count, quota.allotted_amount_fen, cuts
        )
        quota.save(update_fields=["max_count", "max_amount_fen", "cut_note"])
        reduced.append(
            {
                "field": "quota_left",
                "label": f"{district.name} · {quota.category.name}",
                "from": before,
                "to": [quota.max_count, quota.max_amount_fen],
            }
        )
    call = Call.objects.filter(programme=programme, year=year).first()
    trail.record(
        unit=programme.owner_unit,
        programme=programme,
        call=call,
        subject=S.QUOTA_CUT,
        subject_name=f"{district.name} {year}",
        action=A.CUT,
        actor=actor,
        changes=[{"field": "pct", "from": None, "to": cut.pct}, *reduced],
        note=cut.reason,
    )
    return cut
