"""Recommendation (推荐): the district's list of applications, its co-signature, the
quotas it counts against, and its submission to the city (split out of
``projects.services``, which re-exports these names)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from core import clock
from core.money import format_fen
from funding.models import Call, Quota

from . import locks
from .models import (
    Application,
    RecommendationEntry,
    RecommendationList,
)
from .services import (
    ApplicationConflict,
    ApplicationError,
    _take,
    notice_blockers,
)


@transaction.atomic
def recommendation_list_create(
    *, call: Call, district: OrgUnit, applications: list[Application], actor: User
) -> RecommendationList:
    rec = RecommendationList.objects.create(
        call=call, district=district, created_by=actor, created_at=clock.now()
    )
    if not actor.has_perm("projects.manage_recommendationlist", rec):
        raise ApplicationError(
            _("You may not make a recommendation list for %(d)s.") % {"d": district}
        )
    _list_add(rec, applications)
    return rec


def _list_add(rec: RecommendationList, applications: list[Application]) -> None:
    start = rec.entries.count()
    for offset, application in enumerate(locks.lock_applications(a.pk for a in applications)):
        if application.call_id != rec.call_id or application.district_id != rec.district_id:
            raise ApplicationError(
                _("%(number)s is not in this call and district.") % {"number": application.number}
            )
        if application.status not in Application.DISTRICT_STAGE:
            raise ApplicationError(
                _("%(number)s is “%(state)s” and cannot be recommended.")
                % {"number": application.number, "state": application.get_status_display()}
            )
        if RecommendationEntry.objects.filter(application=application).exists():
            raise ApplicationError(
                _("%(number)s is already on a recommendation list.")
                % {"number": application.number}
            )
        RecommendationEntry.objects.create(
            recommendation_list=rec, application=application, position=start + offset + 1
        )


@transaction.atomic
def recommendation_list_remove(
    *, recommendation_list: RecommendationList, application: Application, actor: User
) -> None:
    rec = locks.lock_recommendation_list(recommendation_list.pk)
    if not actor.has_perm("projects.manage_recommendationlist", rec):
        raise ApplicationError(_("You may not change this list."))
    if rec.status != RecommendationList.Status.DRAFT:
        raise ApplicationError(
            _("Only a draft list can be changed; withdraw the co-signature first.")
        )
    RecommendationEntry.objects.filter(recommendation_list=rec, application=application).delete()


@transaction.atomic
def recommendation_list_discard(*, recommendation_list: RecommendationList, actor: User) -> None:
    rec = locks.lock_recommendation_list(recommendation_list.pk)
    if not actor.has_perm("projects.manage_recommendationlist", rec):
        raise ApplicationError(_("You may not change this list."))
    if rec.status == RecommendationList.Status.SUBMITTED:
        raise ApplicationError(_("A submitted list cannot be discarded."))
    rec.entries.all().delete()
    rec.delete()


@transaction.atomic
def recommendation_cosign(
    *, recommendation_list: RecommendationList, actor: User
) -> RecommendationList:
    """区县财政局 co-signs the list (award flow); the list is frozen from then on."""
    rec = locks.lock_recommendation_list(recommendation_list.pk)
    if not actor.has_perm("projects.cosign_recommendationlist", rec):
        raise ApplicationError(
            _("Only the district finance bureau of %(d)s can co-sign this list.")
            % {"d": rec.district}
        )
    if rec.status != RecommendationList.Status.DRAFT:
        raise ApplicationConflict(_("This list has already been co-signed."))
    if not rec.entries.exists():
        raise ApplicationError(_("The list is empty."))
    rec.status = RecommendationList.Status.COSIGNED
    rec.cosigned_by = actor
    rec.cosigned_at = clock.now()
    rec.save(update_fields=["status", "cosigned_by", "cosigned_at"])
    return rec


@transaction.atomic
def recommendation_uncosign(
    *, recommendation_list: RecommendationList, actor: User
) -> RecommendationList:
    rec = locks.lock_recommendation_list(recommendation_list.pk)
    if not (
        actor.has_perm("projects.cosign_recommendationlist", rec)
        or actor.has_perm("projects.manage_recommendationlist", rec)
    ):
        raise ApplicationError(_("You may not change this list."))
    if rec.status != RecommendationList.Status.COSIGNED:
        raise ApplicationConflict(_("This list is not co-signed."))
    rec.status = RecommendationList.Status.DRAFT
    rec.cosigned_by = None
    rec.cosigned_at = None
    rec.save(update_fields=["status", "cosigned_by", "cosigned_at"])
    return rec


def quota_usage(*, call: Call, district: OrgUnit) -> dict[int, dict[str, int]]:
    """category id → count and amount already recommended (or further) in the call."""
    rows = (
        Application.objects.filter(
            call=call,
            district=district,
            recommendation_entry__recommendation_list__status="submitted",
        )
        .values("category_id")
        .annotate(n=Count("pk"), amount=Sum("amount_requested_fen"))
    )
    return {r["category_id"]: {"count": r["n"], "amount": r["amount"] or 0} for r in rows}


@transaction.atomic
def recommendation_submit(
    *, recommendation_list: RecommendationList, actor: User
) -> RecommendationList:
    """Recommend every application of the list to the city, within the quota.

    Quota rows are locked first (pk order), so two lists submitted at the same moment
    are counted one after the other and cannot together exceed the quota."""
    rec = locks.lock_recommendation_list(recommendation_list.pk)
    call = rec.call
    if not actor.has_perm("projects.manage_recommendationlist", rec):
        raise ApplicationError(_("You may not submit this list."))
    if rec.status == RecommendationList.Status.SUBMITTED:
        raise ApplicationConflict(_("This list has already been submitted."))
    today = clock.today()
    problems: list[str] = []
    if today > call.district_deadline:
        problems.append(
            _("The district deadline (%(date)s) has passed; the list can no longer go to the city.")
            % {"date": call.district_deadline}
        )
    if rec.needs_cosign and rec.status != RecommendationList.Status.COSIGNED:
        problems.append(_("The district finance bureau has not co-signed the list."))
    entries = list(rec.entries.select_related("application"))
    if not entries:
        problems.append(_("The list is empty."))
    category_ids = {e.application.category_id for e in entries}
    quotas = {
        q.category_id: q
        for q in locks.lock_quotas(
            Quota.objects.filter(call=call, district=rec.district, category_id__in=category_ids)
        )
    }
    applications = locks.lock_applications(e.application_id for e in entries)
    prefetched = {
        a.pk: a
        for a in Application.objects.filter(pk__in=[a.pk for a in applications]).prefetch_related(
            "notices__objections"
        )
    }
    for application in applications:
        if application.status not in Application.DISTRICT_STAGE:
            problems.append(
                _("%(number)s is now “%(state)s” and cannot be recommended.")
                % {"number": application.number, "state": application.get_status_display()}
            )
            continue
        if application.formal_check_at is None:
            problems.append(
                _("%(number)s has not passed the formal check.") % {"number": application.number}
            )
        if application.is_award:
            problems += notice_blockers(prefetched[application.pk], day=today)
    used = quota_usage(call=call, district=rec.district)
    adding: dict[int, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for application in applications:
        adding[application.category_id]["count"] += 1
        adding[application.category_id]["amount"] += application.amount_requested_fen
    for category_id, add in sorted(adding.items()):
        quota = quotas.get(category_id)
        category = next(a.category for a in applications if a.category_id == category_id)
        if quota is None:
            problems.append(
                _("%(d)s has no quota for %(c)s in this call.") % {"d": rec.district, "c": category}
            )
            continue
        already = used.get(category_id, {"count": 0, "amount": 0})
        if already["count"] + add["count"] > quota.max_count:
            problems.append(
                _(
                    "%(c)s: the quota is %(max)d; %(used)d already recommended and %(add)d on this list."
                )
                % {
                    "c": category,
                    "max": quota.max_count,
                    "used": already["count"],
                    "add": add["count"],
                }
            )
        if already["amount"] + add["amount"] > quota.max_amount_fen:
            problems.append(
                _(
                    "%(c)s: the amount quota is %(max)s yuan; %(used)s already recommended and %(add)s on this list."
                )
                % {
                    "c": category,
                    "max": format_fen(quota.max_amount_fen),
                    "used": format_fen(already["amount"]),
                    "add": format_fen(add["amount"]),
                }
            )
    if problems:
        raise ApplicationError(problems[0], reasons=problems)
    for application in applications:
        _take(
            application,
            "recommend",
            actor=actor,
            reason=_("Recommendation list #%(n)d") % {"n": rec.pk},
        )
    rec.status = RecommendationList.Status.SUBMITTED
    rec.submitted_by = actor
    rec.submitted_at = clock.now()
    rec.save(update_fields=["status", "submitted_by", "submitted_at"])
    return rec
