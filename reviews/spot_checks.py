"""Spot checks (抽查) of awards and their outcomes.

Split out of ``reviews.services``, which re-exports these names."""

from __future__ import annotations

import random
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from funding import services as funding
from funding.models import Call
from projects import services as projects
from projects.models import Application

from .models import (
    SpotCheck,
    SpotCheckItem,
)
from .services import (
    ReviewError,
)

SPOT_CHECK_POPULATION = (
    Application.Status.RECOMMENDED,
    Application.Status.UNDER_REVIEW,
    Application.Status.REVIEWED,
    Application.Status.PUBLICITY,
    Application.Status.APPROVED,
)


@transaction.atomic
def spot_check_draw(
    *, call: Call, actor: User, sample_size: int, seed: int | None = None
) -> SpotCheck:
    """A reproducible random sample of the call's recommended award nominations."""
    if not call.programme.is_award:
        raise ReviewError(_("Spot checks are for award nominations."))
    check = SpotCheck(
        call=call,
        seed=0,
        sample_size=sample_size,
        population=0,
        drawn_by=actor,
        drawn_at=clock.now(),
    )
    if not actor.has_perm("reviews.manage_spotcheck", check):
        raise ReviewError(_("You may not draw spot checks for this call."))
    population = list(
        Application.objects.filter(call=call, status__in=SPOT_CHECK_POPULATION)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if sample_size < 1 or sample_size > len(population):
        raise ReviewError(
            _("Choose a sample between 1 and %(n)d (the recommended nominations).")
            % {"n": len(population)}
        )
    check.seed = seed if seed is not None else secrets.randbelow(2**62)
    check.population = len(population)
    check.save()
    sample = random.Random(check.seed).sample(population, sample_size)  # noqa: S311 - reproducible
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(spot_check=check, application_id=pk) for pk in sorted(sample)
    )
    return check


@transaction.atomic
def spot_check_record(*, item: SpotCheckItem, actor: User, fraud: bool, note: str) -> SpotCheckItem:
    """Pass, or fraud: the nomination is disqualified, the applicant debarred for the
    programme's years, and the district's quota in next year's call cut."""
    item = (
        SpotCheckItem.objects.select_for_update(of=("self",))
        .select_related(
            "spot_check__call__programme", "application__district", "application__category"
        )
        .get(pk=item.pk)
    )
    if not actor.has_perm("reviews.manage_spotcheck", item.spot_check):
        raise ReviewError(_("You may not record spot-check findings."))
    if item.result != SpotCheckItem.Result.PENDING:
        raise ReviewError(_("The finding is already recorded."))
    if not note.strip():
        raise ReviewError(_("Describe what was found."))
    item.result = SpotCheckItem.Result.FRAUD if fraud else SpotCheckItem.Result.PASSED
    item.note = note.strip()
    item.recorded_by = actor
    item.recorded_at = clock.now()
    item.save()
    if fraud:
        application = item.application
        programme = item.spot_check.call.programme
        reason = _("Spot check: fraud found (%(note)s)") % {"note": note.strip()}
        try:
            projects.application_take(
                application=application, name="disqualify", actor=actor, reason=reason
            )
        except projects.ApplicationError as error:
            raise ReviewError(str(error)) from error
        individual = application.category.is_individual and application.person_id is not None
        funding.debarment_create(
            organisation=None if individual else application.organisation,
            person=application.person if individual else None,
            reason=reason,
            years=programme.debarment_years,
            source=application.number,
            actor=actor,
        )
        funding.quota_cut_register(
            programme=programme,
            district=application.district,
            year=item.spot_check.call.year + 1,
            reason=_("Fraud in %(number)s") % {"number": application.number},
            source=application.number,
            actor=actor,
        )
    return item
