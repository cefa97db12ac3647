"""Workflows of the projects app: lock → check → transition → log, in one transaction.

Every refusal is an ``ApplicationError`` whose message is shown to the user as is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from accounts.models import Organisation, OrgUnit, Person, User
from core import clock
from core.money import format_fen, yuan_to_fen
from core.uploads import validate_upload
from funding.calendar import CalendarUnknown, period_end
from funding.eligibility import failed_rules
from funding.models import Call, Category, Instrument
from funding.services import active_debarment

from . import limits, locks, payments
from .models import (
    Application,
    ApplicationBudgetItem,
    ApplicationFunding,
    Attachment,
    Notice,
    Objection,
    TransitionLog,
    action_label,
)
from .throttle import objection_refusal


class ApplicationError(Exception):
    """A refusal with a message for the user (one or several reasons)."""

    def __init__(self, message: str, *, reasons: list[str] | None = None) -> None:
        self.reasons = reasons or [message]
        super().__init__(message)


class ApplicationConflict(ApplicationError):
    """Someone else acted on the same record first (HTTP 409 on the API)."""


class ObjectionThrottled(ApplicationError):
    """Too many objections from one address or to one notice (HTTP 429)."""


S = Application.Status


def _state_label(state: str) -> str:
    return str(S(state).label)


def _take(
    application: Application, name: str, *, actor: User | None, reason: str = ""
) -> Application:
    """Run transition ``name`` on a locked application and log it.

    The permission of the transition is asked here too, so no caller can skip it;
    ``actor=None`` is the system itself (e.g. payment confirmation)."""
    method = getattr(application, name)
    before = application.status
    if not can_proceed(method, check_conditions=False):
        raise ApplicationConflict(
            _(
                "%(number)s is now “%(state)s”; “%(action)s” is not possible from there. Refresh the page."
            )
            % {
                "number": application.number,
                "state": _state_label(before),
                "action": action_label(name, application),
            }
        )
    problem = _condition_problem(application, name)
    if problem:
        raise ApplicationError(problem)
    if actor is not None and not has_transition_perm(method, actor):
        raise ApplicationError(
            _("You may not do “%(action)s” on %(number)s.")
            % {"action": action_label(name, application), "number": application.number}
        )
    try:
        method()
    except TransitionNotAllowed as exc:
        raise ApplicationError(
            _("%(number)s does not yet meet the conditions for “%(action)s”.")
            % {"number": application.number, "action": action_label(name, application)}
        ) from exc
    try:
        application.save()
    except ConcurrentTransition as exc:
        raise ApplicationConflict(
            _(
                "%(number)s was changed by someone else at the same time. Refresh the page and try again."
            )
            % {"number": application.number}
        ) from exc
    if application.status in payments.MONEY_STOPS:
        cancelled = payments.money_stops(
            application, actor=actor, reason=reason or action_label(name, application)
        )
        if cancelled:
            reason = "；".join(
                filter(
                    None,
                    [
                        reason,
                        _("payment orders cancelled: %(numbers)s")
                        % {"numbers": "、".join(cancelled)},
                    ],
                )
            )
    TransitionLog.objects.create(
        application=application,
        transition=name,
        from_state=before,
        to_state=application.status,
        actor=actor,
        reason=reason,
        at=clock.now(),
    )
    return application


def _condition_problem(application: Application, name: str) -> str:
    """Why the flow itself does not allow step ``name`` now (not a matter of who asks):
    django-fsm's permission check includes the conditions, so without this a missing
    formal check or a step the flow does not have would read as "you may not"."""
    number = application.number
    checked = application.formal_check_at is not None
    if name == "start_district_publicity":
        if not application.is_award:
            return _(
                "%(number)s is a sci-tech project: its flow has no district public notice. After "
                "the formal check the district officer puts it on a recommendation list directly."
            ) % {"number": number}
        if not checked:
            return _(
                "%(number)s has not passed the formal check (形式审查); check it before the notice."
            ) % {"number": number}
    if name == "recommend":
        if not checked:
            return _("%(number)s has not passed the formal check.") % {"number": number}
        if application.is_award and application.status == S.SUBMITTED:
            return _("%(number)s must first be on the district public notice (区县公示).") % {
                "number": number
            }
    if name == "sign_contract" and application.is_award:
        return _("%(number)s is an award: awards have no contract (任务书).") % {"number": number}
    return ""


# --- drafting ---------------------------------------------------------------------


def _next_number(call: Call) -> str:
    """KPHN-2026-0001: per call, under the call row's lock."""
    Call.objects.select_for_update().filter(pk=call.pk).first()
    n = Application.objects.filter(call=call).count() + 1
    while True:
        number = f"{call.programme.code}-{call.year}-{n:04d}"
        if not Application.objects.filter(number=number).exists():
            return number
        n += 1


@transaction.atomic
def application_create(
    *,
    call: Call,
    category: Category,
    title: str,
    actor: User,
    organisation: Organisation | None = None,
    person: Person | None = None,
    district: OrgUnit | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    summary: str = "",
) -> Application:
    if not call.categories.filter(pk=category.pk).exists():
        raise ApplicationError(_("Category %(c)s is not part of this call.") % {"c": category})
    if category.is_individual and person is None:
        raise ApplicationError(_("This category nominates a person: choose the nominee."))
    if not category.is_individual and organisation is None:
        raise ApplicationError(_("This category is for organisations: choose the organisation."))
    region = district or (
        organisation.region if organisation else person.region if person else None
    )
    if region is None or region.level != OrgUnit.Level.DISTRICT:
        raise ApplicationError(_("The application must belong to a district."))
    application = Application(
        number=_next_number(call),
        call=call,
        category=category,
        title=title.strip(),
        organisation=organisation,
        person=person,
        district=region,
        contact_name=contact_name,
        contact_phone=contact_phone,
        summary=summary,
        created_by=actor,
    )
    application.full_clean(exclude=["status"])
    application.save()
    TransitionLog.objects.create(
        application=application,
        transition="create",
        from_state=S.DRAFT,
        to_state=S.DRAFT,
        actor=actor,
        at=clock.now(),
    )
    return application


@transaction.atomic
def application_update(
    *,
    application: Application,
    actor: User,
    title: str | None = None,
    summary: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    facts: dict[str, Any] | None = None,
    funding: dict[str, Decimal] | None = None,
    budget_items: dict[str, Decimal] | None = None,
) -> Application:
    """Edit a draft or returned application: text, facts, and the amounts (yuan)."""
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.change_application", application):
        raise ApplicationError(
            _("%(number)s can no longer be edited (it is “%(state)s”).")
            % {"number": application.number, "state": application.get_status_display()}
        )
    for name, value in (
        ("title", title),
        ("summary", summary),
        ("contact_name", contact_name),
        ("contact_phone", contact_phone),
    ):
        if value is not None:
            setattr(application, name, value.strip())
    if facts is not None:
        application.facts = {
            k: _json_fact(v) for k, v in facts.items() if v is not None and v != ""
        }
    if funding is not None:
        allowed = set(application.call.programme.instruments)
        bad = [k for k, v in funding.items() if v and k not in allowed]
        if bad:
            raise ApplicationError(
                _("This programme does not fund by %(i)s.")
                % {"i": ", ".join(str(Instrument(b).label) for b in bad)}
            )
        application.funding.all().delete()
        ApplicationFunding.objects.bulk_create(
            ApplicationFunding(application=application, instrument=k, amount_fen=yuan_to_fen(v))
            for k, v in funding.items()
            if v
        )
        application.amount_requested_fen = sum(yuan_to_fen(v) for v in funding.values() if v)
    if budget_items is not None:
        application.budget_items.all().delete()
        ApplicationBudgetItem.objects.bulk_create(
            ApplicationBudgetItem(application=application, item=k, amount_fen=yuan_to_fen(v))
            for k, v in budget_items.items()
            if v
        )
    application.full_clean(exclude=["status"])
    application.save()
    return application


def _json_fact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


@transaction.atomic
def application_attach(
    *, application: Application, file: Any, kind: str, actor: User
) -> Attachment:
    application = locks.lock_application(application.pk)
    if not can_attach(actor, application):
        raise ApplicationError(
            _("Files can be added only while the application is a draft or returned.")
        )
    try:
        validate_upload(file)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc
    attachment = Attachment(
        application=application,
        kind=kind,
        original_name=(file.name or "")[-200:],
        size=file.size or 0,
        uploaded_by=actor,
    )
    attachment.file.save(file.name, file, save=False)
    attachment.full_clean()
    attachment.save()
    return attachment


ATTACHABLE_LATER = (S.IN_PROGRESS, S.RECTIFYING, S.ACCEPTANCE_REQUESTED)


def can_attach(actor: Any, application: Application) -> bool:
    """Drafts take files; so does a project being carried out (reports, acceptance)."""
    if actor.has_perm("projects.change_application", application):
        return True
    return application.status in ATTACHABLE_LATER and actor.has_perm(
        "projects.attach_application", application
    )


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: User) -> None:
    application = locks.lock_application(attachment.application_id)
    if not actor.has_perm("projects.change_application", application):
        raise ApplicationError(
            _("Files can be removed only while the application is a draft or returned.")
        )
    storage, name = attachment.file.storage, str(attachment.file.name)
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- submission and the district stage ------------------------------------------------


def submission_problems(application: Application, *, day: dt.date) -> list[str]:
    """Everything that stops ``application`` from being submitted on ``day``."""
    problems: list[str] = []
    call = application.call
    if not call.accepts_submissions_on(day):
        if day > call.closes_on or call.status != Call.Status.OPEN:
            problems.append(
                _("The call closed on %(date)s; submissions are no longer accepted.")
                % {"date": call.closes_on}
            )
        else:
            problems.append(_("The call opens on %(date)s.") % {"date": call.opens_on})
    debarment = active_debarment(
        organisation=application.organisation, person=application.person, day=day
    )
    if debarment is not None:
        problems.append(
            _("%(who)s is barred from applying until %(date)s (%(reason)s).")
            % {
                "who": debarment.organisation or debarment.person,
                "date": debarment.ends_on,
                "reason": debarment.reason,
            }
        )
    problems += limits.limit_problems(application, day=day)
    problems += failed_rules(
        application.category, application.facts, district=application.district, year=call.year
    )
    funding_total = application.amount_requested_fen
    items_total = sum(application.budget_items.values_list("amount_fen", flat=True))
    if funding_total <= 0:
        problems.append(_("State the amount requested."))
    elif items_total != funding_total:
        problems.append(
            _(
                "The budget items add up to %(items)s yuan but the amount requested is %(total)s yuan."
            )
            % {"items": format_fen(items_total), "total": format_fen(funding_total)}
        )
    if not application.title.strip():
        problems.append(_("The title is missing."))
    from .subsidy import loan_problems

    problems += loan_problems(application)
    return problems


@transaction.atomic
def application_submit(*, application: Application, actor: User) -> Application:
    application = locks.lock_application(application.pk)
    problems = submission_problems(application, day=clock.today())
    if problems:
        raise ApplicationError(problems[0], reasons=problems)
    application.submitted_at = clock.now()
    return _take(application, "submit", actor=actor)


@transaction.atomic
def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    application = locks.lock_application(application.pk)
    return _take(application, "withdraw", actor=actor, reason=reason)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("A reason is required."))
    return reason


@transaction.atomic
def application_return(*, application: Application, actor: User, reason: str) -> Application:
    reason = _require_reason(reason)
    application = locks.lock_application(application.pk)
    return _take(application, "return_for_revision", actor=actor, reason=reason)


@transaction.atomic
def application_reject(*, application: Application, actor: User, reason: str) -> Application:
    reason = _require_reason(reason)
    application = locks.lock_application(application.pk)
    return _take(application, "reject", actor=actor, reason=reason)


@transaction.atomic
def application_formal_check(*, application: Application, actor: User) -> Application:
    """形式审查 passed: the material is complete; the application may go on the notice."""
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.formal_check_application", application):
        raise ApplicationError(
            _("You may not check %(number)s now.") % {"number": application.number}
        )
    application.formal_check_at = clock.now()
    application.formal_check_by = actor
    application.save(update_fields=["formal_check_at", "formal_check_by", "updated_at"])
    TransitionLog.objects.create(
        application=application,
        transition="formal_check",
        from_state=application.status,
        to_state=application.status,
        actor=actor,
        reason=_("Formal check passed"),
        at=clock.now(),
    )
    return application


# --- public notice (公示) ------------------------------------------------------------


@transaction.atomic
def notice_publish(
    *,
    level: str,
    call: Call,
    unit: OrgUnit,
    applications: list[Application],
    starts_on: dt.date,
    actor: User,
    title: str = "",
    body: str = "",
) -> Notice:
    """Publish a notice for ``applications``; at district level (award flow) each moves
    to ``district_publicity``. The end date follows the call's length and day kind."""
    if not applications:
        raise ApplicationError(_("Choose at least one application for the notice."))
    if starts_on < clock.today():
        raise ApplicationError(_("A notice cannot start in the past."))
    try:
        ends_on = period_end(starts_on, call.publicity_days, call.publicity_day_kind)
    except CalendarUnknown as exc:
        raise ApplicationError(str(exc)) from exc
    locked = locks.lock_applications(a.pk for a in applications)
    for application in locked:
        if application.call_id != call.pk or not application.district.is_within(unit):
            raise ApplicationError(
                _("%(number)s is not in this call and region.") % {"number": application.number}
            )
    notice = Notice.objects.create(
        level=level,
        call=call,
        unit=unit,
        title=title
        or _("%(call)s: list of %(unit)s for public notice")
        % {"call": call.title, "unit": unit.name},
        body=body,
        starts_on=starts_on,
        ends_on=ends_on,
        days=call.publicity_days,
        day_kind=call.publicity_day_kind,
        published_by=actor,
        published_at=clock.now(),
    )
    notice.applications.set(locked)
    step = "start_district_publicity" if level == Notice.Level.DISTRICT else "start_publicity"
    for application in locked:
        _take(
            application,
            step,
            actor=actor,
            reason=_("Notice %(from)s – %(to)s") % {"from": starts_on, "to": ends_on},
        )
    return notice


@transaction.atomic
def objection_file(
    *,
    notice: Notice,
    application: Application | None,
    name: str,
    contact: str,
    content: str,
    client_ip: str | None = None,
) -> Objection:
    """Anyone may object while the notice runs; name and contact are required. The text
    is bounded and the page throttled per address and per day (``projects.throttle``)."""
    today = clock.today()
    if not notice.is_running_on(today):
        raise ApplicationError(
            _("Objections are received from %(from)s to %(to)s.")
            % {"from": notice.starts_on, "to": notice.ends_on}
        )
    if application is not None and not notice.applications.filter(pk=application.pk).exists():
        raise ApplicationError(_("That application is not on this notice."))
    content = content.strip()
    if len(content) > Objection.CONTENT_MAX_LENGTH:
        raise ApplicationError(
            _("An objection may have at most %(max)d characters (this one has %(n)d).")
            % {"max": Objection.CONTENT_MAX_LENGTH, "n": len(content)}
        )
    now = clock.now()
    # One objection at a time per notice, so the counts below stay true under load.
    locked = locks.lock_notice(notice.pk)
    refusal = objection_refusal(notice=locked, client_ip=client_ip, moment=now)
    if refusal:
        raise ObjectionThrottled(refusal)
    objection = Objection(
        notice=notice,
        application=application,
        name=name.strip(),
        contact=contact.strip(),
        content=content,
        filed_at=now,
        filed_from=client_ip or None,
    )
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def objection_handle(
    *, objection: Objection, actor: User, upheld: bool, resolution: str, outcome: str = ""
) -> Objection:
    """Dismissed: recorded. Upheld: the application is returned or rejected with the reason."""
    resolution = _require_reason(resolution)
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("notice__unit")
        .get(pk=objection.pk)
    )
    if not actor.has_perm("projects.handle_objection", objection.notice):
        raise ApplicationError(_("You may not handle objections to this notice."))
    if objection.status != Objection.Status.OPEN:
        raise ApplicationConflict(_("This objection has already been handled."))
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    objection.resolution = resolution
    objection.handled_by = actor
    objection.handled_at = clock.now()
    if upheld:
        if objection.application_id is None:
            raise ApplicationError(
                _("An upheld objection must concern one application of the notice.")
            )
        if outcome not in Objection.Outcome.values:
            raise ApplicationError(_("Choose whether the application is returned or rejected."))
        objection.outcome = outcome
        application = locks.lock_application(objection.application_id)
        reason = _("Objection upheld: %(r)s") % {"r": resolution}
        name = "return_for_revision" if outcome == Objection.Outcome.RETURNED else "reject"
        _take(application, name, actor=actor, reason=reason)
    objection.full_clean()
    objection.save()
    return objection


def notice_blockers(
    application: Application, *, day: dt.date, level: str = Notice.Level.DISTRICT
) -> list[str]:
    """Why the step after ``application``'s notice cannot be taken on ``day``."""
    notices = [n for n in application.notices.all() if n.level == level]
    if not notices:
        return [_("%(number)s has not been on a public notice.") % {"number": application.number}]
    notice = max(notices, key=lambda n: n.ends_on)
    problems = []
    if not notice.has_ended_by(day):
        problems.append(
            _(
                "The notice for %(number)s runs until %(date)s; the next step is possible from the day after."
            )
            % {"number": application.number, "date": notice.ends_on}
        )
    open_objections = [
        o
        for o in notice.objections.all()
        if o.status == Objection.Status.OPEN and o.application_id in (None, application.pk)
    ]
    if open_objections:
        problems.append(
            _("%(n)d objection(s) to the notice for %(number)s are still open.")
            % {"n": len(open_objections), "number": application.number}
        )
    return problems


# --- steps driven by the apps above (review, contract, acceptance) ---------------------

# Transitions that other apps take through ``application_take``; the ones with their own
# service here (submit, return, notice, recommend …) are not in this list.
DELEGATED = frozenset(
    {
        "open_review",
        "close_review",
        "approve",
        "reject",
        "disqualify",
        "sign_contract",
        "start",
        "request_acceptance",
        "open_acceptance",
        "require_rectification",
        "accept",
        "fail_acceptance",
        "close",
        "terminate",
    }
)


@transaction.atomic
def application_take(
    *, application: Application, name: str, actor: User | None, reason: str = "", **fields: Any
) -> Application:
    """Take transition ``name`` on the locked application, set ``fields`` (e.g. the
    approved amount) and log it. Callers check their own conditions first."""
    if name not in DELEGATED:
        raise ValueError(f"{name} has its own service")
    application = locks.lock_application(application.pk)
    for field_name, value in fields.items():
        setattr(application, field_name, value)
    return _take(application, name, actor=actor, reason=reason)


# Recommendation (推荐) lives in its own module; its names stay importable from here.
from .recommendations import (  # noqa: E402, F401
    quota_usage,
    recommendation_cosign,
    recommendation_list_create,
    recommendation_list_discard,
    recommendation_list_remove,
    recommendation_submit,
    recommendation_uncosign,
)
