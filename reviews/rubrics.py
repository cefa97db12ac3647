"""Writes of rubrics (评分标准) from their pages, and the rubric a call is reviewed by.

A city officer makes rubrics for their region; a shared rubric (no region) is the
administrator's. A rubric is edited in place until a score uses it (it is frozen then:
``scores_save``); after that its next version is a copy to edit. Every change is
written to the configuration trail (``funding.ConfigChange``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from funding import trail
from funding.models import Call, ConfigChange
from funding.services import authorise as funding_authorise

from .models import CallRubric, Criterion, Rubric, Score
from .services import ReviewError

S = ConfigChange.Subject
A = ConfigChange.Action

MAX_WEIGHT = Decimal("999.99")
MAX_SCORE = Decimal("9999.99")


def plain(number: Decimal) -> str:
    """100.00 → "100", 2.50 → "2.5" (never "1E+2")."""
    return f"{number.normalize():f}"


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: Decimal
    max_score: Decimal
    min_score: Decimal | None = None
    code: str = ""  # kept for a criterion that already exists


def _authorise(actor: User | None, perm: str, obj: Any, refusal: str) -> None:
    if actor is not None and not actor.has_perm(perm, obj):
        raise ReviewError(refusal)


def rubric_problems(
    *, name: str, total_threshold: Decimal, criteria: list[CriterionSpec]
) -> list[str]:
    """Everything wrong with a rubric as typed, each naming the criterion."""
    problems: list[str] = []
    if not name.strip():
        problems.append(_("The rubric needs a name."))
    if not criteria:
        problems.append(_("A rubric has at least one criterion."))
    seen: set[str] = set()
    for n, c in enumerate(criteria, start=1):
        label = c.name.strip() or _("criterion %(n)s") % {"n": n}
        if not c.name.strip():
            problems.append(_("Criterion %(n)s has no name.") % {"n": n})
        elif c.name.strip() in seen:
            problems.append(_("Two criteria are named %(name)s.") % {"name": label})
        seen.add(c.name.strip())
        if not Decimal(0) < c.weight <= MAX_WEIGHT:
            problems.append(
                _("%(c)s: the weight lies above 0 and at most %(max)s.")
                % {"c": label, "max": MAX_WEIGHT}
            )
        if not Decimal(0) < c.max_score <= MAX_SCORE:
            problems.append(
                _("%(c)s: the maximum lies above 0 and at most %(max)s.")
                % {"c": label, "max": MAX_SCORE}
            )
        if c.min_score is not None and not Decimal(0) <= c.min_score <= c.max_score:
            problems.append(
                _("%(c)s: the minimum to pass lies between 0 and the maximum (%(max)s).")
                % {"c": label, "max": c.max_score}
            )
    total = sum((c.weight * c.max_score for c in criteria), Decimal(0))
    if total_threshold < 0 or (criteria and total_threshold > total):
        problems.append(
            _("The passing total lies between 0 and the highest total possible (%(total)s).")
            % {"total": plain(total)}
        )
    return problems


def _criteria_words(rubric: Rubric) -> list[str]:
    return [
        f"{c.name} ×{plain(c.weight)} ≤{plain(c.max_score)}"
        + (f" ≥{plain(c.min_score)}" if c.min_score is not None else "")
        for c in rubric.criteria.all()
    ]


def _snapshot(rubric: Rubric) -> dict[str, Any]:
    data = trail.snapshot(rubric, ("name", "total_threshold"))
    data["criteria"] = _criteria_words(rubric)
    return data


def _trail_unit(rubric: Rubric) -> OrgUnit:
    if rubric.owner_unit_id:
        return rubric.owner_unit  # type: ignore[return-value]
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    assert root is not None
    return root


def _record(rubric: Rubric, action: str, actor: User | None, changes: list[Any]) -> None:
    trail.record(
        unit=_trail_unit(rubric),
        subject=S.RUBRIC,
        subject_name=str(rubric),
        action=action,
        actor=actor,
        changes=changes,
    )


def _next_code() -> str:
    n = Rubric.objects.values("code").distinct().count() + 1
    while Rubric.objects.filter(code=f"R{n}").exists():
        n += 1
    return f"R{n}"


def _write_criteria(rubric: Rubric, criteria: list[CriterionSpec]) -> None:
    existing = {c.code: c for c in rubric.criteria.all()}
    kept = {c.code for c in criteria if c.code in existing}
    Criterion.objects.filter(rubric=rubric).exclude(code__in=kept).delete()
    taken = set(kept)
    n = 0
    for order, spec in enumerate(criteria, start=1):
        criterion = existing.get(spec.code) if spec.code in kept else None
        if criterion is None:
            n += 1
            while f"c{n}" in taken:
                n += 1
            criterion = Criterion(rubric=rubric, code=f"c{n}")
            taken.add(criterion.code)
        criterion.name = spec.name.strip()
        criterion.weight = spec.weight
        criterion.max_score = spec.max_score
        criterion.min_score = spec.min_score
        criterion.order = order
        criterion.full_clean()
        criterion.save()


@transaction.atomic
def rubric_save(
    *,
    name: str,
    total_threshold: Decimal,
    criteria: list[CriterionSpec],
    actor: User | None,
    rubric: Rubric | None = None,
    owner_unit: OrgUnit | None = None,
) -> Rubric:
    """Make a rubric for ``owner_unit`` (``rubric`` None) or change one no score uses."""
    if rubric is None:
        _authorise(actor, "reviews.create_rubric", None, _("You may not make rubrics."))
        rubric = Rubric(code=_next_code(), owner_unit=owner_unit)
        _authorise(
            actor,
            "reviews.manage_rubric",
            rubric,
            _("You may not make rubrics for %(unit)s.") % {"unit": owner_unit or _("all regions")},
        )
        before: dict[str, Any] = {}
    else:
        rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
        _authorise(
            actor, "reviews.manage_rubric", rubric, _("You may not change %(r)s.") % {"r": rubric}
        )
        if rubric.is_frozen or Score.objects.filter(criterion__rubric=rubric).exists():
            raise ReviewError(
                _("%(r)s is already used by scores: make its next version and change that.")
                % {"r": rubric}
            )
        before = _snapshot(rubric)
    problems = rubric_problems(name=name, total_threshold=total_threshold, criteria=criteria)
    if problems:
        raise ReviewError(problems[0], reasons=problems)
    rubric.name = name.strip()
    rubric.total_threshold = total_threshold
    rubric.full_clean()
    rubric.save()
    _write_criteria(rubric, criteria)
    changes = trail.diff(before, _snapshot(rubric))
    if changes:
        _record(rubric, A.UPDATE if before else A.CREATE, actor, changes)
    return rubric


@transaction.atomic
def rubric_next_version(*, rubric: Rubric, actor: User | None) -> Rubric:
    """The next version of a rubric, a copy to edit (the old one stays with its scores)."""
    from .services import rubric_new_version

    _authorise(
        actor, "reviews.manage_rubric", rubric, _("You may not change %(r)s.") % {"r": rubric}
    )
    copy = rubric_new_version(rubric=rubric, actor=actor)
    copy.owner_unit = rubric.owner_unit
    copy.save(update_fields=["owner_unit"])
    _record(copy, A.CREATE, actor, trail.diff({}, _snapshot(copy)))
    return copy


def rubric_fits_call(rubric: Rubric, call: Call) -> bool:
    """A call may be reviewed by a shared rubric or one of a region above its owner."""
    return rubric.owner_unit_id is None or call.scope_path.startswith(
        rubric.owner_unit.path  # type: ignore[union-attr]
    )


@transaction.atomic
def call_rubric_set(*, call: Call, rubric: Rubric, actor: User | None) -> CallRubric:
    call = Call.objects.select_for_update().select_related("programme__owner_unit").get(pk=call.pk)
    funding_authorise(
        actor, "funding.manage_call", call, _("You may not change %(call)s.") % {"call": call}
    )
    if call.status in (Call.Status.DECIDED, Call.Status.ARCHIVED):
        raise ReviewError(
            _("The call is “%(status)s”: its rubric no longer changes.")
            % {"status": call.get_status_display()}
        )
    if not rubric_fits_call(rubric, call):
        raise ReviewError(_("%(r)s belongs to another region than the call.") % {"r": rubric})
    current = CallRubric.objects.filter(call=call).select_related("rubric").first()
    before = str(current.rubric) if current else None
    if current is None:
        current = CallRubric.objects.create(call=call, rubric=rubric)
    else:
        current.rubric = rubric
        current.save(update_fields=["rubric"])
    if before != str(rubric):
        trail.record(
            unit=call.programme.owner_unit,
            programme=call.programme,
            call=call,
            subject=S.CALL,
            subject_name=call.title,
            action=A.UPDATE,
            actor=actor,
            changes=[{"field": "rubric", "from": before, "to": str(rubric)}],
        )
    return current


def call_rubric(call: Call) -> Rubric | None:
    link = CallRubric.objects.filter(call=call).select_related("rubric").first()
    return link.rubric if link else None
