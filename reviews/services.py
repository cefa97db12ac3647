"""Writes of the review app: rubrics, panels, draws, declarations, scores, closing,
decisions on the ranked list and spot checks. Refusals are ``ReviewError``."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import OrgUnit, Person, User
from core import clock
from core.numbers import format_score
from funding.models import Call
from projects import services as projects
from projects.models import Application

from . import aggregation, conflicts, notifications
from .draw import DrawError, draw
from .models import (
    Assignment,
    AssignmentLog,
    Criterion,
    Draw,
    ExclusionRequest,
    ExpertProfile,
    Panel,
    PanelItem,
    Rubric,
    Score,
)


class ReviewError(Exception):
    def __init__(self, message: str, *, reasons: list[str] | None = None) -> None:
        self.reasons = reasons or [message]
        super().__init__(message)


# --- experts ------------------------------------------------------------------------


@transaction.atomic
def expert_register(
    *, person: Person, title: str, specialties: str, load_cap: int = 20, actor: User | None = None
) -> ExpertProfile:
    expert = ExpertProfile(
        person=person, title=title, specialties=specialties.strip(), load_cap=load_cap
    )
    expert.full_clean()
    expert.save()
    return expert


@transaction.atomic
def exclusion_request_add(
    *, application: Application, expert: ExpertProfile, reason: str, actor: User
) -> ExclusionRequest:
    """申请回避: at most three experts, while the application can still be edited."""
    if not actor.has_perm("projects.change_application", application):
        raise ReviewError(
            _("Exclusions can be asked only while the application is a draft or returned.")
        )
    if not reason.strip():
        raise ReviewError(_("A reason is required."))
    if (
        ExclusionRequest.objects.filter(application=application).count()
        >= ExclusionRequest.MAX_PER_APPLICATION
    ):
        raise ReviewError(
            _("At most %(n)d experts can be excluded.")
            % {"n": ExclusionRequest.MAX_PER_APPLICATION}
        )
    request, _created = ExclusionRequest.objects.get_or_create(
        application=application,
        expert=expert,
        defaults={"reason": reason.strip(), "requested_at": clock.now()},
    )
    return request


@transaction.atomic
def exclusion_request_remove(*, request: ExclusionRequest, actor: User) -> None:
    if not actor.has_perm("projects.change_application", request.application):
        raise ReviewError(
            _("Exclusions can be changed only while the application is a draft or returned.")
        )
    request.delete()


# --- rubrics ------------------------------------------------------------------------


@transaction.atomic
def rubric_create(
    *,
    code: str,
    name: str,
    criteria: list[dict[str, Any]],
    total_threshold: Decimal = Decimal("60"),
    version: int = 1,
) -> Rubric:
    rubric = Rubric(code=code, name=name, total_threshold=total_threshold, version=version)
    rubric.full_clean()
    rubric.save()
    for order, fields in enumerate(criteria, start=1):
        criterion = Criterion(rubric=rubric, order=order, **fields)
        criterion.full_clean()
        criterion.save()
    return rubric


@transaction.atomic
def rubric_new_version(*, rubric: Rubric, actor: User | None = None) -> Rubric:
    """A frozen rubric is never edited: its next version is a copy to edit."""
    latest = Rubric.objects.filter(code=rubric.code).order_by("-version").first()
    version = (latest.version if latest else rubric.version) + 1
    return rubric_create(
        code=rubric.code,
        name=rubric.name,
        total_threshold=rubric.total_threshold,
        version=version,
        criteria=[
            {
                "code": c.code,
                "name": c.name,
                "weight": c.weight,
                "max_score": c.max_score,
                "min_score": c.min_score,
            }
            for c in rubric.criteria.all()
        ],
    )


# --- panels and the draw ------------------------------------------------------------------


def _log(assignment: Assignment, action: str, actor: User | None, reason: str = "") -> None:
    AssignmentLog.objects.create(
        assignment=assignment, action=action, actor=actor, reason=reason, at=clock.now()
    )


def default_items(*, call: Call, stage: str, unit: OrgUnit) -> list[Application]:
    """What a new panel reviews: the applications waiting for a panel of its stage (not
    on another panel that will review them)."""
    from .selectors import waiting_for_panel

    return list(waiting_for_panel(call=call, stage=stage, unit=unit))


@transaction.atomic
def panel_create(
    *,
    call: Call,
    stage: str,
    name: str,
    unit: OrgUnit,
    rubric: Rubric,
    deadline: dt.date,
    actor: User,
    applications: list[Application] | None = None,
    size: int = 5,
    blind: bool = False,
    aggregation: str = Panel.Aggregation.MEAN,
    calibrate: bool = False,
    spread_threshold: Decimal = Decimal("20"),
) -> Panel:
    panel = Panel(
        call=call,
        stage=stage,
        name=name,
        unit=unit,
        rubric=rubric,
        size=size,
        blind=blind,
        aggregation=aggregation,
        calibrate=calibrate,
        spread_threshold=spread_threshold,
        deadline=deadline,
        created_by=actor,
        created_at=clock.now(),
    )
    if not actor.has_perm("reviews.manage_panel", panel):
        raise ReviewError(_("You may not set up panels for %(unit)s.") % {"unit": unit})
    panel.full_clean(exclude=["status"])
    panel.save()
    items = (
        applications
        if applications is not None
        else default_items(call=call, stage=stage, unit=unit)
    )
    if not items:
        raise ReviewError(_("There is nothing for this panel to review yet."))
    PanelItem.objects.bulk_create(PanelItem(panel=panel, application=a) for a in items)
    return panel


def _pool() -> list[ExpertProfile]:
    return list(ExpertProfile.objects.active().select_related("person").order_by("pk"))


def _open_loads(exclude_panel: Panel) -> Counter[int]:
    """Live assignments of every expert on other panels still scoring."""
    rows = (
        Assignment.objects.live()
        .filter(panel__status=Panel.Status.OPEN)
        .exclude(panel=exclude_panel)
        .values("expert_id")
        .annotate(n=Count("pk"))
    )
    return Counter({r["expert_id"]: r["n"] for r in rows})


def draw_plan(panel: Panel, *, seed: int, missing: dict[int, int]) -> dict[int, list[int]]:
    """Which experts the draw with ``seed`` would put on the items of ``missing``
    (item id → how many), without writing anything: item id → expert ids."""
    items = {i.pk: i for i in panel.items.select_related("application")}
    pool = _pool()
    experts = conflicts.expert_facts(pool)
    facts = conflicts.item_facts(i.application for i in items.values())
    own_district = conflicts.excludes_own_district(panel)
    already: dict[int, set[int]] = {}
    for item_id, expert_id in Assignment.objects.filter(panel=panel).values_list(
        "item_id", "expert_id"
    ):
        already.setdefault(item_id, set()).add(expert_id)
    loads = _open_loads(panel)
    for expert_id, n in Counter(
        Assignment.objects.live().filter(panel=panel).values_list("expert_id", flat=True)
    ).items():
        loads[expert_id] += n
    try:
        result = draw(
            items=sorted(missing),
            experts=[e.pk for e in pool],
            size=lambda item_id: missing[item_id],
            seed=seed,
            conflicts=lambda item_id, expert_id: (
                conflicts.conflict_reason(
                    facts[items[item_id].application_id],
                    experts[expert_id],
                    exclude_own_district=own_district,
                )
                is not None
            ),
            loads=dict(loads),
            caps={e.pk: e.load_cap for e in pool},
            already=already,
        )
    except DrawError as error:
        item = items[error.item]  # type: ignore[index]
        raise ReviewError(
            _(
                "%(number)s needs %(n)d more experts but only %(a)d eligible experts are left (conflicts and load caps excluded)."
            )
            % {"number": item.application.number, "n": error.needed, "a": error.available}
        ) from error
    return {item_id: list(expert_ids) for item_id, expert_ids in result.assignments.items()}


def _draw_into(
    panel: Panel, *, actor: User, seed: int | None, purpose: str, missing: dict[int, int]
) -> Draw:
    """Draw experts for ``missing`` (item id → how many) and create the assignments."""
    seed = seed if seed is not None else secrets.randbelow(2**62)
    plan = draw_plan(panel, seed=seed, missing=missing)
    items = {i.pk: i for i in panel.items.filter(pk__in=list(plan))}
    record = Draw.objects.create(
        panel=panel, seed=seed, made_by=actor, made_at=clock.now(), purpose=purpose
    )
    created = []
    for item_id, expert_ids in plan.items():
        for expert_id in expert_ids:
            assignment = Assignment.objects.create(
                panel=panel, item=items[item_id], expert_id=expert_id, draw=record
            )
            _log(
                assignment,
                "drawn",
                actor,
                _("Draw #%(n)d, seed %(seed)d") % {"n": record.pk, "seed": seed},
            )
            created.append(assignment)
    # in the draw's transaction: the inbox has it at once, the mail goes after commit
    notifications.experts_invited(created)
    return record


def _lock_panel(panel: Panel) -> Panel:
    return (
        Panel.objects.select_for_update(of=("self",))
        .select_related("call__programme", "rubric", "unit")
        .get(pk=panel.pk)
    )


@transaction.atomic
def panel_draw(*, panel: Panel, actor: User, seed: int | None = None) -> Draw:
    """随机抽取 experts for every item (the panel's size each); the seed is recorded."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.manage_panel", panel):
        raise ReviewError(_("You may not manage this panel."))
    if panel.status == Panel.Status.CLOSED:
        raise ReviewError(_("The panel is closed."))
    live = Counter(Assignment.objects.live().filter(panel=panel).values_list("item_id", flat=True))
    missing = {
        i: panel.size - live[i]
        for i in panel.items.values_list("pk", flat=True)
        if panel.size - live[i] > 0
    }
    if not missing:
        from .selectors import waiting_for

        waiting = [a.number for a in waiting_for(panel)]
        if waiting:
            raise ReviewError(
                _(
                    "Every item on this panel already has its experts. %(n)d application(s) "
                    "that reached this stage since are not on it (%(numbers)s): add them with "
                    "“Add to this panel”, which draws their experts."
                )
                % {"n": len(waiting), "numbers": "、".join(waiting[:10])}
            )
        raise ReviewError(
            _("Every item already has its experts; no application is waiting to join this panel.")
        )
    return _draw_into(
        panel, actor=actor, seed=seed, purpose="draw" if not live else "fill", missing=missing
    )


@transaction.atomic
def panel_open(*, panel: Panel, actor: User) -> Panel:
    """Scoring starts; on a city panel the applications move to expert review."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.manage_panel", panel):
        raise ReviewError(_("You may not manage this panel."))
    live = Counter(Assignment.objects.live().filter(panel=panel).values_list("item_id", flat=True))
    short = [i for i in panel.items.select_related("application") if live[i.pk] < panel.size]
    if short:
        raise ReviewError(
            _("Experts are still missing on %(items)s.")
            % {"items": "、".join(i.application.number for i in short[:10])}
        )
    try:
        panel.open()
    except TransitionNotAllowed as exc:
        raise ReviewError(_("The panel is already open or closed.")) from exc
    panel.save()
    if panel.stage == Panel.Stage.CITY:
        for item in panel.items.select_related("application"):
            projects.application_take(
                application=item.application,
                name="open_review",
                actor=actor,
                reason=_("Panel %(p)s") % {"p": panel.name},
            )
    elif panel.stage == Panel.Stage.ACCEPTANCE:
        for item in panel.items.select_related("application"):
            projects.application_take(
                application=item.application,
                name="open_acceptance",
                actor=actor,
                reason=_("Panel %(p)s") % {"p": panel.name},
            )
    return panel


def _lock_assignment(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related(
            "panel__rubric", "panel__call__programme", "item__application", "expert__person"
        )
        .get(pk=assignment.pk)
    )


def _transition(assignment: Assignment, name: str) -> None:
    try:
        getattr(assignment, name)()
        assignment.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ReviewError(
            _("This assignment is now “%(s)s”; refresh the page.")
            % {"s": assignment.get_status_display()}
        ) from exc


def _is_the_expert(assignment: Assignment, actor: User) -> bool:
    return actor.person_id is not None and assignment.expert.person_id == actor.person_id


@transaction.atomic
def assignment_declare(
    *, assignment: Assignment, actor: User, conflict: bool, reason: str = ""
) -> Assignment:
    """The expert declares: no conflict (the application opens to them), or a conflict
    (the assignment is released and a replacement drawn)."""
    assignment = _lock_assignment(assignment)
    if not _is_the_expert(assignment, actor):
        raise ReviewError(_("Only the invited expert can declare."))
    if assignment.panel.status == Panel.Status.CLOSED:
        raise ReviewError(_("The panel is closed."))
    assignment.declared_at = clock.now()
    if conflict:
        if not reason.strip():
            raise ReviewError(_("Say what the conflict is."))
        assignment.conflict_declared = True
        assignment.release_reason = reason.strip()
        _transition(assignment, "decline")
        _log(assignment, "conflict_declared", actor, reason.strip())
        # no one eligible left: the officer sees the missing slot on the panel page
        with contextlib.suppress(ReviewError):
            _draw_into(
                assignment.panel,
                actor=actor,
                seed=None,
                purpose="replace",
                missing={assignment.item_id: 1},
            )
    else:
        _transition(assignment, "accept")
        _log(assignment, "no_conflict_declared", actor)
    return assignment


@transaction.atomic
def assignment_replace(
    *, assignment: Assignment, actor: User, reason: str, seed: int | None = None
) -> Draw:
    """An officer releases an expert (with the reason) and draws a replacement."""
    assignment = _lock_assignment(assignment)
    if not actor.has_perm("reviews.manage_panel", assignment.panel):
        raise ReviewError(_("You may not manage this panel."))
    if not reason.strip():
        raise ReviewError(_("A reason is required."))
    if assignment.panel.status == Panel.Status.CLOSED:
        raise ReviewError(_("The panel is closed."))
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ReviewError(
            _("A submitted assignment cannot be replaced; reopen it first if it must change.")
        )
    assignment.release_reason = reason.strip()
    _transition(assignment, "decline")
    _log(assignment, "replaced", actor, reason.strip())
    return _draw_into(
        assignment.panel, actor=actor, seed=seed, purpose="replace", missing={assignment.item_id: 1}
    )


@transaction.atomic
def assignment_reopen(*, assignment: Assignment, actor: User, reason: str) -> Assignment:
    assignment = _lock_assignment(assignment)
    if not actor.has_perm("reviews.manage_panel", assignment.panel):
        raise ReviewError(_("You may not manage this panel."))
    if assignment.panel.status != Panel.Status.OPEN:
        raise ReviewError(_("Scores can be reopened only while the panel is scoring."))
    if not reason.strip():
        raise ReviewError(_("A reason is required."))
    _transition(assignment, "reopen")
    _log(assignment, "reopened", actor, reason.strip())
    return assignment


def score_problem(criterion: Criterion, text: Any) -> tuple[Decimal | None, str]:
    """One criterion's score as typed → (the value, "") or (None, the problem naming the
    criterion and its range). A blank is (None, "")."""
    if text is None or str(text).strip() == "":
        return None, ""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    # "NaN", "sNaN" and "Infinity" parse as decimals but are not scores
    if not value.is_finite():
        return None, _("%(c)s: “%(v)s” is not a number.") % {"c": criterion.name, "v": text}
    # the range first: quantizing a huge value such as 1e30 would raise
    if not Decimal(0) <= value <= criterion.max_score:
        return None, _("%(c)s: the score must be between 0 and %(max)s.") % {
            "c": criterion.name,
            "max": plain_number(criterion.max_score),
        }
    if value != value.quantize(Decimal("0.01")):
        return None, _("%(c)s: at most two decimals.") % {"c": criterion.name}
    return value, ""


def plain_number(value: Decimal) -> str:
    """40.00 → "40", 12.50 → "12.5": a rubric's bounds as people write them."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_scores(
    assignment: Assignment, raw: dict[str, Any]
) -> tuple[dict[int, Decimal], list[str]]:
    """criterion id → value, and the problems (a value outside [0, maximum], not a number)."""
    values: dict[int, Decimal] = {}
    problems: list[str] = []
    for criterion in assignment.panel.rubric.criteria.all():
        value, problem = score_problem(criterion, raw.get(criterion.code))
        if problem:
            problems.append(problem)
        elif value is not None:
            values[criterion.pk] = value
    return values, problems


@transaction.atomic
def scores_save(
    *,
    assignment: Assignment,
    actor: User,
    values: dict[str, Any],
    comment: str,
    submit: bool,
    offline: bool = False,
) -> Assignment:
    """Save the expert's scores (a draft) or submit them. An officer may enter a paper
    sheet (``offline``) through the same checks."""
    assignment = _lock_assignment(assignment)
    panel = assignment.panel
    if offline:
        if not actor.has_perm("reviews.manage_panel", panel):
            raise ReviewError(_("You may not enter scores on this panel."))
        if assignment.status == Assignment.Status.INVITED:
            _transition(assignment, "accept")
            _log(assignment, "paper_declaration", actor, _("Declaration signed on paper"))
    elif not _is_the_expert(assignment, actor):
        raise ReviewError(_("Only the assigned expert can score."))
    if panel.status != Panel.Status.OPEN:
        raise ReviewError(
            _("The panel is not scoring (it is “%(s)s”); scores cannot change.")
            % {"s": panel.get_status_display()}
        )
    if assignment.status != Assignment.Status.ACCEPTED:
        raise ReviewError(
            _(
                "Scores can be entered after declaring no conflict and before submitting (now “%(s)s”)."
            )
            % {"s": assignment.get_status_display()}
        )
    parsed, problems = parse_scores(assignment, values)
    if problems:
        raise ReviewError(problems[0], reasons=problems)
    criteria = list(panel.rubric.criteria.all())
    if submit:
        missing = [c.name for c in criteria if c.pk not in parsed]
        if missing:
            problems.append(
                _("Score every criterion before submitting: %(c)s.") % {"c": "、".join(missing)}
            )
        if not comment.strip():
            problems.append(_("An opinion is required."))
        if problems:
            raise ReviewError(problems[0], reasons=problems)
    Score.objects.filter(assignment=assignment).exclude(criterion_id__in=parsed).delete()
    for criterion_id, value in parsed.items():
        Score.objects.update_or_create(
            assignment=assignment, criterion_id=criterion_id, defaults={"value": value}
        )
    if parsed and panel.rubric.frozen_at is None:
        Rubric.objects.filter(pk=panel.rubric_id, frozen_at__isnull=True).update(
            frozen_at=clock.now()
        )
    assignment.comment = comment.strip()
    assignment.offline = assignment.offline or offline
    if submit:
        assignment.total = sum((c.weight * parsed[c.pk] for c in criteria), Decimal(0))
        # as the Score rows store them: two decimals
        assignment.marks = {c.code: str(parsed[c.pk].quantize(Decimal("0.01"))) for c in criteria}
        assignment.submitted_at = clock.now()
        _transition(assignment, "submit")
        _log(assignment, "submitted" if not offline else "paper_sheet_entered", actor)
    else:
        assignment.save()
    return assignment


@transaction.atomic
def panel_close(*, panel: Panel, actor: User) -> list[aggregation.ItemResult]:
    """Freeze the results; on a city panel the applications become ``reviewed``."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.manage_panel", panel):
        raise ReviewError(_("You may not manage this panel."))
    pending = (
        Assignment.objects.live()
        .filter(panel=panel)
        .exclude(status=Assignment.Status.SUBMITTED)
        .count()
    )
    if pending:
        raise ReviewError(_("%(n)d assignments are not submitted yet.") % {"n": pending})
    empty = panel.items.annotate(
        n=Count("assignments", filter=Q(assignments__status="submitted"))
    ).filter(n=0)
    if empty.exists():
        raise ReviewError(_("Some items have no submitted score."))
    try:
        panel.close()
    except TransitionNotAllowed as exc:
        raise ReviewError(_("The panel is not scoring.")) from exc
    panel.closed_at = clock.now()
    panel.save()
    results = aggregation.freeze(panel)
    if panel.stage == Panel.Stage.CITY:
        for item in panel.items.select_related("application"):
            projects.application_take(
                application=item.application,
                name="close_review",
                actor=actor,
                reason=_("Score %(s)s, rank %(r)s")
                % {"s": format_score(item.score), "r": item.rank},
            )
    return results


# Later subjects live in their own modules; their names stay importable from here.
from .acceptance import (  # noqa: E402, F401
    acceptance_completion,
    acceptance_conclude,
    acceptance_outcome,
    acceptance_panel_item,
    months_overdue,
)
from .decisions import (  # noqa: E402, F401
    decision_approve,
    decision_publish,
    notice_outcome,
    provisional_list,
)
from .expert_workbook import (  # noqa: E402, F401
    expert_update,
    expert_upsert,
)
from .spot_checks import (  # noqa: E402, F401
    SPOT_CHECK_POPULATION,
    spot_check_draw,
    spot_check_record,
)
