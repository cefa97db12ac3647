"""Writes of the review app: rubrics, panels, draws, declarations, scores, closing,
decisions on the ranked list and spot checks. Refusals are ``ReviewError``."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import secrets
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import Organisation, OrgUnit, Person, User
from core import clock
from core.money import format_fen
from core.numbers import format_quantity, format_score
from funding import services as funding
from funding.models import Call
from projects import services as projects
from projects.cuts import approved_total_fen, funding_approve
from projects.models import Application, Notice

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
    SpotCheck,
    SpotCheckItem,
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


# --- decisions on the ranked list --------------------------------------------------------------


def provisional_list(
    panel: Panel, *, top_n: int | None = None
) -> tuple[list[PanelItem], list[PanelItem]]:
    """The passing items in rank order, as many as fit the call's budget envelope (and
    ``top_n``) → (chosen, the rest)."""
    call = panel.call
    already = (
        Application.objects.filter(call=call, approved_amount_fen__isnull=False).aggregate(
            t=Sum("approved_amount_fen")
        )["t"]
        or 0
    )
    room = call.budget_envelope_fen - already
    chosen: list[PanelItem] = []
    rest: list[PanelItem] = []
    for item in aggregation.frozen_results(panel):
        amount = item.application.amount_requested_fen
        fits = item.passes and amount <= room and (top_n is None or len(chosen) < top_n)
        if fits and item.application.status == Application.Status.REVIEWED:
            chosen.append(item)
            room -= amount
        else:
            rest.append(item)
    return chosen, rest


@transaction.atomic
def decision_publish(
    *, panel: Panel, actor: User, starts_on: dt.date, top_n: int | None = None
) -> Notice:
    """Put the top of the ranked list (within the envelope) on the city notice; the rest
    of the reviewed applications are not funded (rejected with their rank and score)."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.manage_panel", panel) or not actor.has_any_role("city_officer"):
        raise ReviewError(_("Only the city officer decides on the ranked list."))
    if panel.status != Panel.Status.CLOSED or panel.stage != Panel.Stage.CITY:
        raise ReviewError(_("Decide on the list of a closed city panel."))
    chosen, rest = provisional_list(panel, top_n=top_n)
    if not chosen:
        raise ReviewError(_("No passing application fits the budget envelope."))
    try:
        notice = projects.notice_publish(
            level=Notice.Level.CITY,
            call=panel.call,
            unit=panel.unit,
            applications=[i.application for i in chosen],
            starts_on=starts_on,
            actor=actor,
            title=(
                _("%(call)s: provisional award list for public notice")
                if panel.call.programme.is_award
                else _("%(call)s: provisional list for public notice")
            )
            % {"call": panel.call.title},
        )
    except projects.ApplicationError as error:
        raise ReviewError(str(error), reasons=error.reasons) from error
    for item in rest:
        if item.application.status == Application.Status.REVIEWED:
            reason = (
                (
                    _("Not selected: rank %(r)s, score %(s)s")
                    % {"r": item.rank, "s": format_score(item.score)}
                )
                if item.passes
                else (_("Below the passing line: score %(s)s") % {"s": format_score(item.score)})
            )
            projects.application_take(
                application=item.application, name="reject", actor=actor, reason=reason
            )
    return notice


def notice_outcome(notice: Notice, application: Application, objections: list[Any]) -> str:
    """The trail's reason for the step after a notice: "no objection" only when nobody
    objected to this application or to the whole list; otherwise how many objections
    were found unfounded (an upheld one has already returned or rejected it)."""
    from projects.models import Objection

    concerning = [o for o in objections if o.application_id in (None, application.pk)]
    if not concerning:
        return _("Notice %(from)s – %(to)s ended without objection") % {
            "from": notice.starts_on,
            "to": notice.ends_on,
        }
    dismissed = sum(1 for o in concerning if o.status == Objection.Status.DISMISSED)
    return _(
        "Notice %(from)s – %(to)s ended; %(n)d objection(s) filed, checked and found unfounded"
    ) % {"from": notice.starts_on, "to": notice.ends_on, "n": dismissed}


@transaction.atomic
def decision_approve(*, notice: Notice, actor: User) -> list[Application]:
    """立项 / 授予 every application of the city notice once it has ended with no open
    objection; an upheld objection already rejected its application."""
    notice = Notice.objects.select_for_update(of=("self",)).select_related("call").get(pk=notice.pk)
    if notice.level != Notice.Level.CITY:
        raise ReviewError(_("Approve from a city notice."))
    if not actor.has_perm(
        "projects.decide_application", next(iter(notice.applications.all()), None)
    ):
        raise ReviewError(_("You may not approve this list."))
    today = clock.today()
    approved = []
    problems: list[str] = []
    candidates = list(
        notice.applications.filter(status=Application.Status.PUBLICITY).prefetch_related(
            "notices__objections"
        )
    )
    if not candidates:
        raise ReviewError(_("Every application of this notice is already decided."))
    for application in candidates:
        problems += projects.notice_blockers(application, day=today, level=Notice.Level.CITY)
    if problems:
        raise ReviewError(problems[0], reasons=problems)
    total = sum(approved_total_fen(a) for a in candidates)
    already = (
        Application.objects.filter(call=notice.call, approved_amount_fen__isnull=False).aggregate(
            t=Sum("approved_amount_fen")
        )["t"]
        or 0
    )
    if already + total > notice.call.budget_envelope_fen:
        raise ReviewError(
            _(
                "Approving %(t)s yuan would exceed the call's envelope of %(e)s yuan (%(a)s yuan already approved)."
            )
            % {
                "t": format_fen(total),
                "e": format_fen(notice.call.budget_envelope_fen),
                "a": format_fen(already),
            }
        )
    from projects.awards import award_report_schedule

    objections = list(notice.objections.all())
    for application in candidates:
        approved.append(
            projects.application_take(
                application=application,
                name="approve",
                actor=actor,
                reason=notice_outcome(notice, application, objections),
                # what was asked, less any 核减 (projects.cuts)
                approved_amount_fen=funding_approve(application),
            )
        )
        if application.is_award:
            award_report_schedule(application)
    return approved


# --- spot checks (抽查) -----------------------------------------------------------------------

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


# --- the 专家 workbook ---------------------------------------------------------------


@transaction.atomic
def expert_update(
    *, expert: ExpertProfile, actor: User | None = None, **changes: object
) -> ExpertProfile:
    allowed = {"title", "specialties", "load_cap", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    for name, value in changes.items():
        setattr(expert, name, value.strip() if isinstance(value, str) else value)
    expert.full_clean()
    expert.save()
    return expert


@transaction.atomic
def expert_upsert(
    *,
    name: str,
    id_number: str,
    region: OrgUnit,
    title: str,
    specialties: str,
    organisation: Organisation | None = None,
    mobile: str | None = None,
    email: str | None = None,
    actor: User | None = None,
) -> tuple[ExpertProfile, str]:
    """An expert from the 专家 workbook, keyed by the 身份证号: the person is created or
    brought up to date, then the expert profile. Returns the profile and ``"created"``,
    ``"updated"`` or ``"unchanged"``. ``None`` for the employer, mobile or email keeps
    what is stored. A number registered for a person of another name is refused: a
    typo in the number must not rename someone."""
    from django.core.exceptions import ValidationError

    from accounts import services as accounts_services
    from accounts.identifiers import mask_name, normalise

    number = normalise(id_number)
    person = Person.objects.select_for_update().filter(id_number=number).first()
    outcome = "unchanged"
    if person is None:
        person = accounts_services.person_create(
            name=name,
            id_number=number,
            region=region,
            organisation=organisation,
            mobile=mobile or "",
            email=email or "",
            actor=actor,
        )
        outcome = "created"
    else:
        if person.name != name.strip():
            raise ValidationError(
                {
                    "name": _("This ID card number is registered for %(name)s; the name differs.")
                    % {"name": mask_name(person.name)}
                }
            )
        wanted: dict[str, object] = {"region": region}
        for field_name, value in (
            ("organisation", organisation),
            ("mobile", mobile),
            ("email", email),
        ):
            if value is not None:
                wanted[field_name] = value.strip() if isinstance(value, str) else value
        changed = {
            k: v
            for k, v in wanted.items()
            if (
                getattr(person, f"{k}_id") != getattr(v, "pk", None)
                if k in ("region", "organisation")
                else getattr(person, k) != v
            )
        }
        if changed:
            accounts_services.person_update(person=person, actor=actor, **changed)
            outcome = "updated"
    expert = ExpertProfile.objects.select_for_update().filter(person=person).first()
    if expert is None:
        expert = expert_register(person=person, title=title, specialties=specialties, actor=actor)
        return expert, "created"
    profile_changes = {
        k: v
        for k, v in (("title", title), ("specialties", specialties.strip()))
        if getattr(expert, k) != v
    }
    if profile_changes:
        expert_update(expert=expert, actor=actor, **profile_changes)
        outcome = "updated"
    return expert, outcome


# --- acceptance conclusion (验收结论) ----------------------------------------------------------


def acceptance_panel_item(application: Application) -> PanelItem | None:
    return (
        PanelItem.objects.filter(
            application=application,
            panel__stage=Panel.Stage.ACCEPTANCE,
            panel__status=Panel.Status.CLOSED,
        )
        .select_related("panel__rubric")
        .order_by("-panel__closed_at")
        .first()
    )


def acceptance_completion(acceptance: Any, item: PanelItem | None) -> Decimal:
    """Projects: the indicators of the contract (actual ÷ target, capped, averaged).
    Awards have no contract indicators: the acceptance panel's score as a share of the
    rubric's maximum stands for the completion."""
    from projects.closing import completion_pct

    contract = getattr(acceptance.application, "contract", None)
    indicators = list(contract.indicators.all()) if contract is not None else []
    if indicators:
        actuals = {a.indicator_id: a.value for a in acceptance.report.actuals.all()}
        return completion_pct(actuals, indicators)
    if item is None or item.score is None:
        return Decimal(0)
    maximum = item.panel.rubric.maximum_total()
    return (item.score * 100 / maximum).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


def acceptance_outcome(
    *,
    completion: Decimal,
    programme: Any,
    false_data: bool,
    months_late: int,
    disputed: list[str],
    round_: int,
    due: dt.date | None = None,
    requested_on: dt.date | None = None,
) -> tuple[str, list[str]]:
    """The conclusion by the programme's thresholds (DESIGN §3) → (conclusion, reasons).
    ``months_late`` counts months begun (``months_overdue``); with ``due`` and
    ``requested_on`` the reason names the dates."""
    reasons: list[str] = []
    if false_data:
        reasons.append(_("False data was found."))
    if completion < programme.acceptance_fail_below_pct:
        reasons.append(
            _("Indicator completion %(c)s %% is below %(t)s %%.")
            % {"c": completion, "t": format_quantity(programme.acceptance_fail_below_pct)}
        )
    if months_late > programme.acceptance_overdue_fail_months:
        if due is not None and requested_on is not None:
            reasons.append(
                _(
                    "Acceptance was requested on %(r)s, more than %(t)d months after it was due on %(d)s."
                )
                % {
                    "r": requested_on.isoformat(),
                    "d": due.isoformat(),
                    "t": programme.acceptance_overdue_fail_months,
                }
            )
        else:
            reasons.append(
                _("Acceptance was requested %(m)d months late (more than %(t)d).")
                % {"m": months_late, "t": programme.acceptance_overdue_fail_months}
            )
    if reasons:
        return "fail", reasons
    if completion < programme.acceptance_rectify_below_pct:
        reasons.append(
            _("Indicator completion %(c)s %% is below %(t)s %%.")
            % {"c": completion, "t": format_quantity(programme.acceptance_rectify_below_pct)}
        )
    reasons += disputed
    if reasons:
        if round_ > 1:  # one chance of rectification only
            return "fail", [*reasons, _("Rectification did not resolve it.")]
        return "rectify", reasons
    return "accept", [_("Indicators completed at %(c)s %%.") % {"c": completion}]


def months_overdue(due: dt.date, requested_on: dt.date) -> int:
    """Calendar months begun since ``due``: 0 on or before it, otherwise the least ``m``
    with ``requested_on <= add_months(due, m)``. So "more than N months overdue"
    (DESIGN §3) is exactly ``requested_on > add_months(due, N)``: due 2028-12-31, a
    request on 2029-06-30 is 6 months overdue, one on 2029-07-01 is 7."""
    from projects.contracts import add_months

    if requested_on <= due:
        return 0
    # a lower bound: add_months(due, k - 1) falls before the month of the request
    months = max(1, (requested_on.year - due.year) * 12 + requested_on.month - due.month - 1)
    while requested_on > add_months(due, months):
        months += 1
    return months


@transaction.atomic
def acceptance_conclude(
    *, acceptance: Any, actor: User, false_data: bool = False, note: str = ""
) -> Any:
    """Record the conclusion of an acceptance from the panel, the financial acceptance and
    the indicators, and carry out its effects on the project and the money."""
    from projects import contracts
    from projects.models import Acceptance, Contract

    acceptance = (
        Acceptance.objects.select_for_update(of=("self",))
        .select_related("application__call__programme", "report")
        .get(pk=acceptance.pk)
    )
    application = acceptance.application
    if not actor.has_perm("projects.conclude_acceptance", application):
        raise ReviewError(_("You may not conclude this acceptance."))
    if acceptance.conclusion:
        raise ReviewError(_("The acceptance is already concluded."))
    if application.status != Application.Status.ACCEPTANCE_REVIEW:
        raise ReviewError(
            _("The acceptance panel has not reviewed %(n)s yet.") % {"n": application.number}
        )
    item = acceptance_panel_item(application)
    if item is None:
        raise ReviewError(
            _("The acceptance panel of %(n)s is not closed yet.") % {"n": application.number}
        )
    if not acceptance.finance_result:
        raise ReviewError(_("Finance has not recorded the financial acceptance yet."))
    disputed = []
    if not item.passes:
        disputed.append(
            _("The acceptance panel's score %(s)s does not pass.") % {"s": format_score(item.score)}
        )
    if item.flagged:
        disputed.append(
            _("The experts' scores differ widely (max − min %(r)s).")
            % {"r": format_score(item.spread_range)}
        )
    if acceptance.finance_result == Acceptance.FinanceResult.PROBLEMS:
        disputed.append(
            _("Financial acceptance found problems: %(n)s") % {"n": acceptance.finance_note}
        )
    contract = Contract.objects.filter(application=application).first()
    due = contract.end_date if contract is not None else acceptance.report.due_on
    earlier = (
        Acceptance.objects.filter(application=application, round__lt=acceptance.round)
        .exclude(rectify_due__isnull=True)
        .order_by("-round")
        .first()
    )
    if earlier is not None and earlier.rectify_due is not None:
        due = earlier.rectify_due  # after a rectification, it is due when that period ends
    # the date in Beijing: a request at 07:00 on 1 July is still 30 June in UTC
    requested_on = clock.local_date(acceptance.requested_at)
    late = months_overdue(due, requested_on)
    completion = acceptance_completion(acceptance, item)
    conclusion, reasons = acceptance_outcome(
        completion=completion,
        programme=application.call.programme,
        false_data=false_data,
        months_late=late,
        disputed=disputed,
        round_=acceptance.round,
        due=due,
        requested_on=requested_on,
    )
    if note.strip():
        reasons.append(note.strip())
    acceptance.completion_pct = completion
    acceptance.false_data = false_data
    acceptance.conclusion = conclusion
    acceptance.conclusion_reason = "\n".join(str(r) for r in reasons)
    acceptance.concluded_by, acceptance.concluded_at = actor, clock.now()
    reason_text = "；".join(str(r) for r in reasons)
    if conclusion == "accept":
        year = application.call.year
        n = Acceptance.objects.filter(certificate_number__startswith=f"YSZS-{year}-").count() + 1
        acceptance.certificate_number = f"YSZS-{year}-{n:04d}"
        projects.application_take(
            application=application, name="accept", actor=actor, reason=reason_text
        )
    elif conclusion == "rectify":
        acceptance.rectify_due = contracts.add_months(
            clock.today(), application.call.programme.rectification_months
        )
        projects.application_take(
            application=application,
            name="require_rectification",
            actor=actor,
            reason=_("Due %(d)s: %(r)s") % {"d": acceptance.rectify_due, "r": reason_text},
        )
    else:
        # the transition stops the money too (projects.payments.money_stops)
        projects.application_take(
            application=application, name="fail_acceptance", actor=actor, reason=reason_text
        )
    acceptance.save()
    return acceptance
