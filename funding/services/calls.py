"""Calls (年度批次): set-up, the category templates, the call's own state machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock

from .. import trail
from ..category_templates import TEMPLATES
from ..models import (
    Call,
    Category,
    ConfigChange,
    Programme,
    Quota,
)
from .common import MAX_AMOUNT_FEN, FundingError, authorise
from .programmes import category_create

S = ConfigChange.Subject
A = ConfigChange.Action

# --- calls ------------------------------------------------------------------------------

CALL_FIELDS = (
    "title",
    "year",
    "doc_number",
    "opens_on",
    "closes_on",
    "district_deadline",
    "publicity_days",
    "publicity_day_kind",
    "budget_envelope_fen",
)
_ALL_BUT_YEAR = frozenset(CALL_FIELDS) - {"year"}
# What may still change in each state: the window and the notice rules until the review
# starts, the envelope until the decision, the title and 文号 always. The categories are
# those published when the call opens.
CALL_EDITABLE: dict[str, frozenset[str]] = {
    Call.Status.DRAFT: frozenset(CALL_FIELDS) | {"categories"},
    Call.Status.OPEN: _ALL_BUT_YEAR,
    Call.Status.CLOSED: _ALL_BUT_YEAR,
    Call.Status.REVIEWING: frozenset({"title", "doc_number", "budget_envelope_fen"}),
    Call.Status.DECIDED: frozenset({"title", "doc_number"}),
    Call.Status.ARCHIVED: frozenset({"title", "doc_number"}),
}


def _call_snapshot(call: Call) -> dict[str, Any]:
    data = trail.snapshot(call, CALL_FIELDS)
    if call.pk:
        data["categories"] = sorted(call.categories.values_list("name", flat=True))
    return data


def _check_call(call: Call, categories: list[Category] | None) -> None:
    errors: dict[str, str] = {}
    if Call.objects.filter(programme=call.programme, year=call.year).exclude(pk=call.pk).exists():
        errors["year"] = _("%(programme)s already has a call for %(year)s.") % {
            "programme": call.programme,
            "year": call.year,
        }
    elif call.opens_on and call.year and abs(call.opens_on.year - call.year) > 1:
        errors["year"] = _("The call's year is the year it opens in, or the year next to it.")
    if call.opens_on and call.closes_on and call.closes_on < call.opens_on:
        errors["closes_on"] = _("The submission deadline is before the opening day.")
    if call.closes_on and call.district_deadline and call.district_deadline < call.closes_on:
        errors["district_deadline"] = _(
            "The district deadline comes after the submission deadline "
            "(districts check, publish and recommend what was submitted)."
        )
    if not 0 <= (call.budget_envelope_fen or 0) <= MAX_AMOUNT_FEN:
        errors["budget_envelope_fen"] = _("The envelope must lie between 0 and 10 billion yuan.")
    if categories is not None:
        foreign = [c.name for c in categories if c.programme_id != call.programme_id]
        if foreign:
            errors["categories"] = _("Not categories of %(programme)s: %(names)s.") % {
                "programme": call.programme,
                "names": "、".join(foreign),
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def call_create(
    *,
    programme: Programme,
    categories: list[Category] = (),  # type: ignore[assignment]
    actor: User | None = None,
    **fields: Any,
) -> Call:
    authorise(
        actor,
        "funding.manage_programme",
        programme,
        _("You may not create calls of %(p)s.") % {"p": programme},
    )
    if not programme.active:
        raise FundingError(_("%(p)s is no longer active.") % {"p": programme})
    call = Call(programme=programme, **fields)
    if not call.title.strip() and call.year:
        call.title = _("%(year)s %(programme)s") % {"year": call.year, "programme": programme.name}
    categories = list(categories)
    _check_call(call, categories)
    call.full_clean(exclude=["status"])  # protected FSM field: set only by transitions
    call.save()
    call.categories.set(categories)
    trail.record(
        unit=programme.owner_unit,
        programme=programme,
        call=call,
        subject=S.CALL,
        subject_name=call.title,
        action=A.CREATE,
        actor=actor,
        changes=trail.diff({}, _call_snapshot(call)),
    )
    return call


def lock_call(call: Call) -> Call:
    return Call.objects.select_for_update().select_related("programme__owner_unit").get(pk=call.pk)


def authorise_call(call: Call, actor: User | None) -> None:
    authorise(
        actor, "funding.manage_call", call, _("You may not change %(call)s.") % {"call": call}
    )


@transaction.atomic
def call_update(
    *,
    call: Call,
    actor: User | None = None,
    categories: list[Category] | None = None,
    **fields: Any,
) -> Call:
    """Change what the state of the call still allows (``CALL_EDITABLE``)."""
    call = lock_call(call)
    authorise_call(call, actor)
    before = _call_snapshot(call)
    for name, value in fields.items():
        if name not in CALL_FIELDS:
            raise ValueError(name)
        setattr(call, name, value)
    after = trail.snapshot(call, CALL_FIELDS)
    after["categories"] = (
        sorted(c.name for c in categories) if categories is not None else before["categories"]
    )
    changes = trail.diff(before, after)
    allowed = CALL_EDITABLE[call.status]
    locked = [c["field"] for c in changes if c["field"] not in allowed]
    if locked:
        status = call.get_status_display()
        raise ValidationError(
            {
                name: _("The call is “%(status)s”: this can no longer change.") % {"status": status}
                for name in locked
            }
        )
    _check_call(call, categories)
    call.full_clean(exclude=["status"])
    call.save()
    if categories is not None:
        call.categories.set(categories)
    if changes:
        trail.record(
            unit=call.programme.owner_unit,
            programme=call.programme,
            call=call,
            subject=S.CALL,
            subject_name=call.title,
            action=A.UPDATE,
            actor=actor,
            changes=changes,
        )
    return call


@transaction.atomic
def call_apply_template(*, call: Call, key: str, actor: User | None = None) -> list[Category]:
    """Add a template's categories to a draft call in one step: each is created in the
    programme with its rules unless the programme has it already (then it is taken as
    it stands, with the officer's own edits), and put on the call."""
    call = lock_call(call)
    authorise_call(call, actor)
    template = TEMPLATES.get(key)
    if template is None or template.flow != call.programme.flow:
        raise FundingError(_("This template does not fit the programme's flow."))
    if call.status != Call.Status.DRAFT:
        raise FundingError(_("Categories are added before the call opens."))
    before = _call_snapshot(call)
    have = {c.code: c for c in Category.objects.filter(programme=call.programme)}
    names = {c.name for c in have.values()}
    order = max((c.order for c in have.values()), default=0)
    categories: list[Category] = []
    created: list[dict[str, Any]] = []
    for spec in template.categories:
        category = have.get(spec.code)
        if category is None:
            if spec.name in names:
                category = Category.objects.get(programme=call.programme, name=spec.name)
            else:
                order += 1
                category = category_create(
                    programme=call.programme,
                    code=spec.code,
                    name=spec.name,
                    applicant_kind=spec.applicant_kind,
                    extra_facts=list(spec.extra_facts),
                    rules=[dict(r) for r in spec.rules],
                    order=order,
                    actor=actor,
                    record=False,  # the template's one row below says it all
                )
                created.append(
                    {
                        "field": "rules",
                        "label": category.name,
                        "from": None,
                        "to": [str(r["message"]) for r in spec.rules],
                    }
                )
        categories.append(category)
    call.categories.add(*categories)
    trail.record(
        unit=call.programme.owner_unit,
        programme=call.programme,
        call=call,
        subject=S.CALL,
        subject_name=call.title,
        action=A.APPLY_TEMPLATE,
        actor=actor,
        changes=trail.diff(before, _call_snapshot(call)) + created,
        note=str(template.label),
    )
    return categories


def call_open_problems(call: Call, *, day: dt.date) -> list[str]:
    """What stops ``call`` from opening on ``day``."""
    problems: list[str] = []
    categories = list(call.categories.all())
    if not categories:
        problems.append(_("The call has no category yet."))
    with_quota = set(
        Quota.objects.filter(call=call).values_list("category_id", flat=True).distinct()
    )
    for category in categories:
        if category.pk not in with_quota:
            problems.append(
                _("No district has a quota for “%(category)s” yet.") % {"category": category.name}
            )
    if call.closes_on < day:
        problems.append(
            _("The submission deadline %(date)s has passed: move it first.")
            % {"date": call.closes_on.isoformat()}
        )
    return problems


CALL_TRANSITIONS = {
    "open": A.OPEN,
    "close": A.CLOSE,
    "start_review": A.START_REVIEW,
    "decide": A.DECIDE,
    "archive": A.ARCHIVE,
}


@transaction.atomic
def call_advance(*, call: Call, name: str, actor: User | None = None) -> Call:
    """Move a call along its own state machine (draft → open → closed → reviewing →
    decided → archived). Opening needs categories, a quota for each and a deadline
    still ahead."""
    from django_fsm import TransitionNotAllowed

    if name not in CALL_TRANSITIONS:
        raise ValueError(name)
    call = lock_call(call)
    authorise_call(call, actor)
    if name == "open" and call.status == Call.Status.DRAFT:
        problems = call_open_problems(call, day=clock.today())
        if problems:
            raise FundingError(" ".join(problems))
    before = call.status
    try:
        getattr(call, name)()
    except TransitionNotAllowed as exc:
        raise FundingError(
            _("“%(call)s” is “%(status)s”: “%(action)s” is not possible now.")
            % {
                "call": call.title,
                "status": call.get_status_display(),
                "action": A(CALL_TRANSITIONS[name]).label,
            }
        ) from exc
    call.save()
    trail.record(
        unit=call.programme.owner_unit,
        programme=call.programme,
        call=call,
        subject=S.CALL,
        subject_name=call.title,
        action=CALL_TRANSITIONS[name],
        actor=actor,
        changes=[{"field": "status", "from": before, "to": call.status}],
    )
    return call


def call_open(*, call: Call, actor: User | None = None) -> Call:
    return call_advance(call=call, name="open", actor=actor)


def call_close(*, call: Call, actor: User | None = None) -> Call:
    return call_advance(call=call, name="close", actor=actor)
