"""项目变更: the applicant asks, the city officer decides (docs/decisions.md, "Changes and
mid-term checks").

* 延期 (term extension): a new end date after the current one; limited by the
  programme's ``ExtensionRule`` (default: once per project, at most 12 months in total
  beyond the end date as signed). Approved, it moves the contract's end date (the
  acceptance deadline), the final report's due date to it and an unfiled progress
  report to the middle of the new term; the reminders follow the due dates.
* 承担单位: another organisation of the project's district, not a government body, not
  debarred; the project and its contract pass to it.
* 指标: new targets of the contract's indicators (their names and units stay).
* 负责人: another person of the undertaking organisation leads the project; the 限项
  rules of a new application (``limits.leader_problems``) apply to them, asked again on
  approval. The former leader leaves the team; a member promoted leaves the members.
* 成员: the member list as a whole is replaced by the one asked for (persons of the
  undertaking organisation, not the leader, none debarred).

Every decision is told to the applicant (inbox and mail, ``notices.services.notify``).
Every approved change writes a new ``ContractVersion`` (version 1, the 任务书 as signed,
is kept first). Request and decision are rows of the 状态记录.

Refusals are ``ChangeError`` (an ``ApplicationError``), whose message the user sees.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Organisation, Person, User
from core import clock
from core.numbers import format_quantity
from funding.models import Call, Programme
from funding.services import active_debarment
from notices.services import notify

from . import limits, locks, team
from .change_models import DEFAULT_MAX_EXTENSION_MONTHS, DEFAULT_MAX_EXTENSIONS
from .contracts import add_months
from .documents import contract_content
from .models import (
    Application,
    ChangeRequest,
    Contract,
    ContractVersion,
    ExtensionRule,
    ProgressReport,
    TeamMember,
    TransitionLog,
)
from .reminders import _applicant_users
from .services import ApplicationError

S = Application.Status
Kind = ChangeRequest.Kind

# A change is asked for, and approved, only while the project is under way.
CHANGEABLE = (S.CONTRACTED, S.IN_PROGRESS)
TARGET_MAX = Decimal("999999999999.99")  # the column: 14 digits, 2 decimals


class ChangeError(ApplicationError):
    pass


def extension_limits(application: Application) -> tuple[int, int]:
    """(extensions allowed, months in total) for the project: the call's rule, else the
    programme's, else once and 12 months."""
    rules = {
        r.call_id: r
        for r in ExtensionRule.objects.filter(programme_id=application.call.programme_id).filter(
            Q(call_id=application.call_id) | Q(call__isnull=True)
        )
    }
    rule = rules.get(application.call_id) or rules.get(None)
    if rule is None:
        return DEFAULT_MAX_EXTENSIONS, DEFAULT_MAX_EXTENSION_MONTHS
    return rule.max_extensions, rule.max_months


def signed_end_date(contract: Contract) -> dt.date:
    """The end date before any extension."""
    first = (
        contract.change_requests.filter(kind=Kind.EXTENSION, status=ChangeRequest.Status.APPROVED)
        .order_by("decided_at", "pk")
        .values_list("old_end_date", flat=True)
        .first()
    )
    return first or contract.end_date


def extension_refusal(contract: Contract, new_end_date: dt.date) -> str | None:
    """Why extending ``contract`` to ``new_end_date`` is not allowed (None: it is)."""
    application = contract.application
    allowed, months = extension_limits(application)
    if new_end_date <= contract.end_date:
        return _("The new end date must be after the current end date (%(date)s).") % {
            "date": contract.end_date
        }
    done = contract.change_requests.filter(
        kind=Kind.EXTENSION, status=ChangeRequest.Status.APPROVED
    ).count()
    if done >= allowed:
        return _(
            "%(number)s has already been extended %(done)d time(s); the programme allows "
            "%(allowed)d extension(s) per project."
        ) % {"number": application.number, "done": done, "allowed": allowed}
    latest = add_months(signed_end_date(contract), months)
    if new_end_date > latest:
        return _(
            "The programme allows at most %(months)d months of extension in total: the end "
            "date may move to %(latest)s at the latest."
        ) % {"months": months, "latest": latest}
    return None


def organisation_refusal(application: Application, organisation: Organisation) -> str | None:
    """Why ``organisation`` may not take the project over (None: it may)."""
    if organisation.pk == application.organisation_id:
        return _("%(name)s already undertakes the project.") % {"name": organisation.name}
    if not organisation.region.path.startswith(application.district.path):
        return _("%(name)s is not in %(district)s, the project's district.") % {
            "name": organisation.name,
            "district": application.district.name,
        }
    if organisation.org_type == Organisation.Type.GOVERNMENT:
        return _("%(name)s is a government body and cannot undertake a project.") % {
            "name": organisation.name
        }
    debarment = active_debarment(organisation=organisation, person=None, day=clock.today())
    if debarment is not None:
        return _("%(name)s is barred until %(date)s (%(reason)s).") % {
            "name": organisation.name,
            "date": debarment.ends_on,
            "reason": debarment.reason,
        }
    return None


def eligible_organisations(application: Application) -> Any:
    """The organisations a 承担单位 change may name (the debarment is checked on submit)."""
    organisations = Organisation.objects.filter(
        region__path__startswith=application.district.path
    ).exclude(org_type=Organisation.Type.GOVERNMENT)
    if application.organisation_id is not None:
        organisations = organisations.exclude(pk=application.organisation_id)
    return organisations.order_by("name", "pk")


def _targets(contract: Contract, targets: dict[int, Any]) -> dict[str, list[str]]:
    indicators = {i.pk: i for i in contract.indicators.all()}
    changed: dict[str, list[str]] = {}
    for pk, value in targets.items():
        indicator = indicators.get(int(pk))
        if indicator is None:
            raise ChangeError(_("Indicator %(pk)s is not in this contract.") % {"pk": pk})
        try:
            new = Decimal(str(value)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise ChangeError(
                _("%(name)s: the target must be a number.") % {"name": indicator.name}
            ) from exc
        if new <= 0 or new > TARGET_MAX:
            raise ChangeError(
                _("%(name)s: the target must be above 0 and at most %(max)s.")
                % {"name": indicator.name, "max": format_quantity(TARGET_MAX)}
            )
        if new != indicator.target:
            changed[str(indicator.pk)] = [str(indicator.target), str(new)]
    if not changed:
        raise ChangeError(_("No target was changed."))
    return changed


def _log(application: Application, name: str, actor: User, reason: str) -> None:
    TransitionLog.objects.create(
        application=application,
        transition=name,
        from_state=application.status,
        to_state=application.status,
        actor=actor,
        reason=reason,
        at=clock.now(),
    )


def describe(change: ChangeRequest) -> str:
    """The change in one line, for the trail, the pages and the version note."""
    if change.kind == Kind.EXTENSION:
        before = change.old_end_date or change.contract.end_date
        return _("end date %(old)s → %(new)s") % {"old": before, "new": change.new_end_date}
    if change.kind == Kind.ORGANISATION:
        before_org = change.old_organisation or change.contract.application.organisation
        return _("undertaking organisation %(old)s → %(new)s") % {
            "old": before_org.name if before_org else "—",
            "new": change.new_organisation.name if change.new_organisation else "—",
        }
    if change.kind == Kind.LEADER:
        leads = [m["name"] for m in _before(change) if m["kind"] == TeamMember.Kind.LEAD]
        lead = change.new_team.get("lead") or {}
        return _("project leader %(old)s → %(new)s") % {
            "old": "、".join(leads) or "—",
            "new": lead.get("name", "—"),
        }
    if change.kind == Kind.MEMBERS:
        kept = [m["name"] for m in _before(change) if m["kind"] == TeamMember.Kind.MEMBER]
        return _("team members %(old)s → %(new)s") % {
            "old": "、".join(kept) or "—",
            "new": "、".join(m["name"] for m in change.new_team.get("members", [])) or "—",
        }
    names = dict(change.contract.indicators.values_list("pk", "name"))
    return "；".join(
        _("%(name)s target %(old)s → %(new)s")
        % {
            "name": names.get(int(pk), pk),
            "old": format_quantity(Decimal(old)),
            "new": format_quantity(Decimal(new)),
        }
        for pk, (old, new) in change.new_targets.items()
    )


def _lock_contract(contract: Contract) -> tuple[Application, Contract]:
    # the lock order of ledger.locks: the application before its contract
    application = locks.lock_application(
        Contract.objects.values_list("application_id", flat=True).get(pk=contract.pk)
    )
    locked = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application__call__programme", "application__district", "repayable")
        .get(pk=contract.pk)
    )
    return application, locked


def _check_changeable(application: Application, contract: Contract) -> None:
    if contract.status != Contract.Status.SIGNED or application.status not in CHANGEABLE:
        raise ChangeError(
            _("%(number)s is “%(state)s”: its contract can no longer be changed.")
            % {"number": application.number, "state": application.get_status_display()}
        )


@transaction.atomic
def change_request(
    *,
    contract: Contract,
    kind: str,
    reason: str,
    actor: User,
    new_end_date: dt.date | None = None,
    new_organisation: Organisation | None = None,
    targets: dict[int, Any] | None = None,
    leader: dict[str, Any] | None = None,
    members: list[dict[str, Any]] | None = None,
) -> ChangeRequest:
    """The applicant asks for a change of the signed 任务书.

    ``leader`` (负责人) and each of ``members`` (成员, the whole new list) is a dict with
    ``title`` (职称), ``duty`` (分工) and either ``person`` (a Person of the undertaking
    organisation) or ``name``, ``id_number`` and ``mobile`` of a person to record."""
    application, contract = _lock_contract(contract)
    if not actor.has_perm("projects.request_change", application):
        raise ChangeError(_("Only the applicant of the project asks for a change."))
    _check_changeable(application, contract)
    reason = (reason or "").strip()
    if not reason:
        raise ChangeError(_("A reason is required."))
    change = ChangeRequest(
        contract=contract,
        kind=kind,
        reason=reason[: ChangeRequest.REASON_MAX_LENGTH],
        requested_by=actor,
        requested_at=clock.now(),
    )
    if kind == Kind.EXTENSION:
        if new_end_date is None:
            raise ChangeError(_("State the new end date."))
        refusal = extension_refusal(contract, new_end_date)
        if refusal:
            raise ChangeError(refusal)
        change.new_end_date = new_end_date
    elif kind == Kind.ORGANISATION:
        if new_organisation is None:
            raise ChangeError(_("Choose the new undertaking organisation."))
        refusal = organisation_refusal(application, new_organisation)
        if refusal:
            raise ChangeError(refusal)
        change.new_organisation = new_organisation
    elif kind == Kind.INDICATORS:
        change.new_targets = _targets(contract, targets or {})
    elif kind == Kind.LEADER:
        if not leader:
            raise ChangeError(_("Name the new project leader."))
        entry = _team_entry(application, leader, actor)
        person = Person.objects.get(pk=entry["person"])
        refusal = leader_refusal(application, person)
        if refusal:
            raise ChangeError(refusal)
        change.new_leader = person
        change.new_team = {"lead": entry}
    elif kind == Kind.MEMBERS:
        entries = [_team_entry(application, m, actor) for m in members or []]
        refusal = members_refusal(application, entries)
        if refusal:
            raise ChangeError(refusal)
        change.new_team = {"members": entries}
    else:
        raise ChangeError(_("Unknown kind of change."))
    if contract.change_requests.filter(kind=kind, status=ChangeRequest.Status.REQUESTED).exists():
        raise ChangeError(
            _("A change of this kind is already waiting for a decision: “%(kind)s”.")
            % {"kind": change.get_kind_display()}
        )
    change.save()
    _log(
        application,
        "change_request",
        actor,
        f"{change.get_kind_display()}：{describe(change)}；{reason}",
    )
    return change


def _first_version(contract: Contract) -> None:
    """Version 1 is the 任务书 as signed, kept before the first change is written."""
    if not contract.versions.exists():
        ContractVersion.objects.create(
            contract=contract,
            number=1,
            content=contract_content(contract),
            made_at=contract.signed_at or clock.now(),
            note="",
        )


def _move_due_dates(contract: Contract, new_end: dt.date) -> None:
    """An extension moves what is due by the end: the final report to the new end date,
    an unfiled progress report to the middle of the new term (never earlier than it was)."""
    middle = contract.start_date + (new_end - contract.start_date) / 2
    for report in contract.reports.filter(submitted_at__isnull=True).select_for_update(
        of=("self",)
    ):
        if report.kind == ProgressReport.Kind.FINAL:
            report.due_on = new_end
        else:
            report.due_on = max(report.due_on, middle)
        report.save(update_fields=["due_on"])


@transaction.atomic
def change_decide(
    *, change: ChangeRequest, approve: bool, reason: str, actor: User
) -> ChangeRequest:
    """The city officer approves (the change takes effect and a new 任务书 version is
    written) or rejects it; both with a reason, in the trail."""
    contract_pk = ChangeRequest.objects.values_list("contract_id", flat=True).get(pk=change.pk)
    application, contract = _lock_contract(Contract(pk=contract_pk))
    change = ChangeRequest.objects.select_for_update(of=("self",)).get(pk=change.pk)
    change.contract = contract
    if not actor.has_perm("projects.decide_change", application):
        raise ChangeError(_("Only the city officer decides on a project change."))
    if change.status != ChangeRequest.Status.REQUESTED:
        raise ChangeError(_("This change is already decided."))
    reason = (reason or "").strip()
    if not reason:
        raise ChangeError(_("A reason is required."))
    if approve:
        _check_changeable(application, contract)
        _approve(change, application, contract)
    change.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
    change.decided_by, change.decided_at = actor, clock.now()
    change.decision_reason = reason[: ChangeRequest.REASON_MAX_LENGTH]
    if approve:
        _first_version(contract)
        last = contract.versions.order_by("-number").values_list("number", flat=True).first() or 1
        change.version = ContractVersion.objects.create(
            contract=contract,
            number=last + 1,
            content=contract_content(contract),
            made_at=change.decided_at,
            note=f"{change.get_kind_display()}：{describe(change)}"[:300],
        )
    change.save()
    _log(
        application,
        "change_approve" if approve else "change_reject",
        actor,
        f"{change.get_kind_display()}：{describe(change)}；{reason}",
    )
    _tell_applicant(change, application)
    return change


def _tell_applicant(change: ChangeRequest, application: Application) -> None:
    """The decision in the inbox (and by mail) of the applicant's users and of whoever
    asked, with a link to the project."""
    approved = change.status == ChangeRequest.Status.APPROVED
    subject = (
        _("Project change approved: %(number)s %(kind)s")
        if approved
        else _("Project change rejected: %(number)s %(kind)s")
    ) % {"number": application.number, "kind": change.get_kind_display()}
    body = _("%(change)s. Reason: %(reason)s") % {
        "change": describe(change),
        "reason": change.decision_reason,
    }
    users = [*_applicant_users(application), change.requested_by]
    notify(users, subject, body, reverse("application_detail", args=[application.pk]))


def _approve(change: ChangeRequest, application: Application, contract: Contract) -> None:
    """Apply ``change`` (its checks asked again: the world may have moved since)."""
    if change.kind == Kind.EXTENSION:
        assert change.new_end_date is not None
        refusal = extension_refusal(contract, change.new_end_date)
        if refusal:
            raise ChangeError(refusal)
        # the version before the change is kept first
        _first_version(contract)
        change.old_end_date = contract.end_date
        contract.end_date = change.new_end_date
        contract.save(update_fields=["end_date"])
        _move_due_dates(contract, change.new_end_date)
    elif change.kind == Kind.ORGANISATION:
        organisation = change.new_organisation
        assert organisation is not None
        refusal = organisation_refusal(application, organisation)
        if refusal:
            raise ChangeError(refusal)
        _first_version(contract)
        change.old_organisation = application.organisation
        application.organisation = organisation
        application.save(update_fields=["organisation", "updated_at"])
    elif change.kind in (Kind.LEADER, Kind.MEMBERS):
        _first_version(contract)
        _apply_team(change, application)
    else:
        _first_version(contract)
        indicators = {i.pk: i for i in contract.indicators.select_for_update(of=("self",))}
        for pk, (_old, new) in change.new_targets.items():
            indicator = indicators.get(int(pk))
            if indicator is None:
                continue
            indicator.target = Decimal(new)
            indicator.save(update_fields=["target"])


# --- 负责人 and 成员 ----------------------------------------------------------------------

MAX_MEMBERS = 50


def _team_snapshot(application: Application) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind,
            "person": m.person_id,
            "name": m.person.name,
            "title": m.title,
            "duty": m.duty,
        }
        for m in application.team.in_order()
    ]


def _before(change: ChangeRequest) -> list[dict[str, Any]]:
    """The team before the change: as kept on approval, else as it stands."""
    if change.status == ChangeRequest.Status.APPROVED:
        return list(change.team_before)
    return _team_snapshot(change.contract.application)


def _team_entry(application: Application, entry: dict[str, Any], actor: User) -> dict[str, Any]:
    """One person asked for (found, or recorded in the undertaking organisation), as kept
    on the change."""
    organisation = application.organisation
    if organisation is None:
        raise ChangeError(_("Only an organisation's project names a team."))
    title = str(entry.get("title") or "").strip()
    duty = str(entry.get("duty") or "").strip()
    person = entry.get("person")
    label = person.name if isinstance(person, Person) else str(entry.get("name") or "").strip()
    if not title:
        raise ChangeError(
            _("%(name)s: state the person's professional title (职称).") % {"name": label or "—"}
        )
    if len(title) > 50 or len(duty) > 100:
        raise ChangeError(
            _("%(name)s: the title has at most 50 characters, the task at most 100.")
            % {"name": label or "—"}
        )
    if person is None:
        person = team.team_person_record(
            organisation=organisation,
            name=label,
            id_number=str(entry.get("id_number") or ""),
            mobile=str(entry.get("mobile") or ""),
            actor=actor,
        )
    if person.organisation_id != organisation.pk:
        raise ChangeError(
            _("%(name)s is not a person of %(organisation)s, the undertaking organisation.")
            % {"name": person.name, "organisation": organisation.name}
        )
    return {"person": person.pk, "name": person.name, "title": title, "duty": duty}


def leader_refusal(application: Application, person: Person) -> str | None:
    """Why ``person`` may not take over as the project's leader (None: they may)."""
    if person.organisation_id != application.organisation_id:
        return _("%(name)s is not a person of the undertaking organisation.") % {
            "name": person.name
        }
    if application.team.leads().filter(person=person).exists():
        return _("%(name)s already leads the project.") % {"name": person.name}
    problems = limits.leader_problems(application, person, day=clock.today())
    return " ".join(problems) or None


def members_refusal(application: Application, entries: list[dict[str, Any]]) -> str | None:
    """Why the member list ``entries`` may not replace the project's (None: it may)."""
    if len(entries) > MAX_MEMBERS:
        return _("At most %(max)d members.") % {"max": MAX_MEMBERS}
    ids = [e["person"] for e in entries]
    if len(set(ids)) != len(ids):
        return _("A person is listed twice.")
    lead = application.team.leads().select_related("person").first()
    if lead is not None and lead.person_id in ids:
        return _("%(name)s leads the project and cannot also be a member.") % {
            "name": lead.person.name
        }
    current = [
        (m.person_id, m.title, m.duty)
        for m in application.team.filter(kind=TeamMember.Kind.MEMBER).order_by("order", "pk")
    ]
    if current == [(e["person"], e["title"], e["duty"]) for e in entries]:
        return _("The member list is unchanged.")
    persons = Person.objects.in_bulk(ids)
    for entry in entries:
        person = persons.get(entry["person"])
        if person is None or person.organisation_id != application.organisation_id:
            return _("%(name)s is not a person of the undertaking organisation.") % {
                "name": entry["name"]
            }
        debarment = active_debarment(organisation=None, person=person, day=clock.today())
        if debarment is not None:
            return _("%(role)s %(name)s is barred from applying until %(date)s (%(reason)s).") % {
                "role": _("Team member"),
                "name": person.name,
                "date": debarment.ends_on,
                "reason": debarment.reason,
            }
    return None


def _apply_team(change: ChangeRequest, application: Application) -> None:
    """Replace the leader or the members (the checks asked again first)."""
    change.team_before = _team_snapshot(application)
    list(application.team.select_for_update(of=("self",)))  # the rows replaced, locked
    rows = application.team.all()
    if change.kind == Kind.LEADER:
        person = change.new_leader
        assert person is not None
        refusal = leader_refusal(application, person)
        if refusal:
            raise ChangeError(refusal)
        lead = change.new_team["lead"]
        rows.filter(Q(kind=TeamMember.Kind.LEAD) | Q(person=person)).delete()
        TeamMember.objects.create(
            application=application,
            person=person,
            kind=TeamMember.Kind.LEAD,
            title=lead["title"],
            duty=lead["duty"],
            order=0,
        )
        return
    entries = change.new_team.get("members", [])
    refusal = members_refusal(application, entries)
    if refusal:
        raise ChangeError(refusal)
    rows.filter(kind=TeamMember.Kind.MEMBER).delete()
    TeamMember.objects.bulk_create(
        TeamMember(
            application=application,
            person_id=entry["person"],
            kind=TeamMember.Kind.MEMBER,
            title=entry["title"],
            duty=entry["duty"],
            order=n,
        )
        for n, entry in enumerate(entries, start=1)
    )


@transaction.atomic
def extension_rule_set(
    *,
    programme: Programme,
    call: Call | None,
    max_extensions: int,
    max_months: int,
    actor: User,
) -> ExtensionRule:
    """Set the 延期 limits of a programme (``call`` None) or of one of its calls."""
    if not actor.has_perm("projects.set_extension_rule", programme):
        raise ChangeError(_("Only the city officer of the programme sets its extension rules."))
    if call is not None and call.programme_id != programme.pk:
        raise ChangeError(_("The call is not of this programme."))
    if not 0 <= max_extensions <= 5 or not 1 <= max_months <= 36:
        raise ChangeError(_("At most 5 extensions, of 1 to 36 months in total."))
    rule, _created = ExtensionRule.objects.select_for_update().get_or_create(
        programme=programme,
        call=call,
        defaults={"max_extensions": max_extensions, "max_months": max_months},
    )
    rule.max_extensions, rule.max_months = max_extensions, max_months
    rule.save()
    return rule
