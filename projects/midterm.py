"""中期检查: the city officer opens a check round for a programme's projects of one year
and records one finding per project.

* 合格: nothing follows.
* 整改: what to fix and by when; every payment of the project is held
  (``projects.payments.midterm_hold``, asked by every payment path) until the applicant
  reports the rectification and the officer accepts it.
* 不合格: the project is terminated through the termination path
  (``closing.project_terminate``: its planned tranches stop, open payment orders are
  cancelled and the commitment is released, ``projects.payments.money_stops``).

Every finding, report and acceptance is a row of the 状态记录. A 整改 finding and its
acceptance are told (inbox and mail) to the applicant and to the finance staff of the
programme's unit, who pay the tranches held; a reported rectification to the officer
who recorded the finding. Refusals are
``MidtermError`` (an ``ApplicationError``), whose message the user sees.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core import clock
from funding.models import Programme
from notices.services import notify

from . import closing, locks
from .models import Application, MidtermCheck, MidtermFinding, TransitionLog
from .reminders import _applicant_users
from .services import ApplicationError

S = Application.Status
Result = MidtermFinding.Result
# The projects a check round looks at: signed and not yet in acceptance.
CHECKED = (S.CONTRACTED, S.IN_PROGRESS)


class MidtermError(ApplicationError):
    pass


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


def _tell_applicant_and_finance(
    finding: MidtermFinding, application: Application, subject: str, body: str
) -> None:
    finance = User.objects.filter(
        is_active=True,
        memberships__role=Role.FINANCE,
        memberships__org_unit_id=finding.check_round.programme.owner_unit_id,
    ).distinct()
    notify(
        [*_applicant_users(application), *finance],
        subject,
        body,
        reverse("finding_detail", args=[finding.pk]),
    )


def projects_to_check(check_round: MidtermCheck) -> list[Application]:
    """The programme's projects of the round's year that are under way and have no
    finding in this round yet."""
    return list(
        Application.objects.filter(
            call__programme=check_round.programme,
            call__year=check_round.year,
            status__in=CHECKED,
        )
        .exclude(midterm_findings__check_round=check_round)
        .select_related("organisation", "person", "category")
        .order_by("number")
    )


@transaction.atomic
def midterm_check_create(
    *, programme: Programme, year: int, title: str, check_date: dt.date, actor: User
) -> MidtermCheck:
    check_round = MidtermCheck(
        programme=programme,
        year=year,
        title=(title or "").strip(),
        check_date=check_date,
        created_by=actor,
        created_at=clock.now(),
    )
    if not actor.has_perm("projects.manage_midterm", check_round):
        raise MidtermError(_("Only the city officer of the programme opens a mid-term check."))
    if programme.is_award:
        raise MidtermError(_("Awards have no contract and no mid-term check."))
    if not check_round.title:
        check_round.title = _("Mid-term check %(year)d %(programme)s") % {
            "year": year,
            "programme": programme.name,
        }
    check_round.save()
    return check_round


@transaction.atomic
def midterm_finding_record(
    *,
    check_round: MidtermCheck,
    application: Application,
    result: str,
    actor: User,
    note: str = "",
    to_fix: str = "",
    rectify_due: dt.date | None = None,
) -> MidtermFinding:
    """The finding on one project; 不合格 terminates it in the same transaction."""
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.manage_midterm", check_round):
        raise MidtermError(_("Only the city officer of the programme records findings."))
    if (
        application.call.programme_id != check_round.programme_id
        or application.call.year != check_round.year
    ):
        raise MidtermError(
            _("%(number)s is not a project of this check (%(check)s).")
            % {"number": application.number, "check": check_round.title}
        )
    if application.status not in CHECKED:
        raise MidtermError(
            _("%(number)s is “%(state)s”: a mid-term finding is no longer possible.")
            % {"number": application.number, "state": application.get_status_display()}
        )
    if MidtermFinding.objects.filter(check_round=check_round, application=application).exists():
        raise MidtermError(
            _("%(number)s already has a finding in this check.") % {"number": application.number}
        )
    note, to_fix = (note or "").strip(), (to_fix or "").strip()
    if result not in Result.values:
        raise MidtermError(_("Choose the finding."))
    if result == Result.RECTIFY:
        if not to_fix:
            raise MidtermError(_("Say what is to be fixed."))
        if rectify_due is None or rectify_due <= clock.today():
            raise MidtermError(_("The rectification deadline must be a day after today."))
    else:
        to_fix, rectify_due = "", None
    if result == Result.FAIL and not note:
        raise MidtermError(_("Give the reasons for the failed finding."))
    finding = MidtermFinding.objects.create(
        check_round=check_round,
        application=application,
        result=result,
        note=note[: MidtermFinding.TEXT_MAX_LENGTH],
        to_fix=to_fix[: MidtermFinding.TEXT_MAX_LENGTH],
        rectify_due=rectify_due,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    summary = f"{check_round.title}：{finding.get_result_display()}"
    if result == Result.RECTIFY:
        summary += _("; to fix by %(date)s: %(fix)s") % {"date": rectify_due, "fix": to_fix}
    elif note:
        summary += f"；{note}"
    _log(application, "midterm_finding", actor, summary)
    if result == Result.RECTIFY:
        _tell_applicant_and_finance(
            finding,
            application,
            _("Mid-term check: %(number)s must rectify by %(date)s")
            % {"number": application.number, "date": rectify_due},
            _("%(fix)s. The project's payments are held until the rectification is accepted.")
            % {"fix": to_fix},
        )
    if result == Result.FAIL:
        closing.project_terminate(
            application=application,
            actor=actor,
            reason=_("Failed the mid-term check “%(check)s”: %(note)s")
            % {"check": check_round.title, "note": note},
        )
    return finding


def _lock_finding(finding: MidtermFinding) -> tuple[Application, MidtermFinding]:
    application = locks.lock_application(
        MidtermFinding.objects.values_list("application_id", flat=True).get(pk=finding.pk)
    )
    locked = (
        MidtermFinding.objects.select_for_update(of=("self",))
        .select_related("check_round__programme__owner_unit")
        .get(pk=finding.pk)
    )
    return application, locked


@transaction.atomic
def midterm_rectification_report(
    *, finding: MidtermFinding, text: str, actor: User
) -> MidtermFinding:
    """The applicant says what was rectified (again, if the officer asks for more)."""
    application, finding = _lock_finding(finding)
    if not actor.has_perm("projects.rectify_midterm", application):
        raise MidtermError(_("Only the applicant of the project reports the rectification."))
    if not finding.is_holding:
        raise MidtermError(_("There is no rectification open on this finding."))
    text = (text or "").strip()
    if not text:
        raise MidtermError(_("Say what was rectified."))
    finding.rectification = text[: MidtermFinding.TEXT_MAX_LENGTH]
    finding.rectified_by, finding.rectified_at = actor, clock.now()
    finding.save(update_fields=["rectification", "rectified_by", "rectified_at"])
    _log(application, "midterm_rectified", actor, f"{finding.check_round.title}：{text}")
    notify(
        finding.recorded_by,
        _("Mid-term check: %(number)s reported its rectification") % {"number": application.number},
        text,
        reverse("finding_detail", args=[finding.pk]),
    )
    return finding


@transaction.atomic
def midterm_rectification_accept(*, finding: MidtermFinding, actor: User) -> MidtermFinding:
    """The officer accepts the rectification: the hold on the project's money ends."""
    application, finding = _lock_finding(finding)
    if not actor.has_perm("projects.manage_midterm", finding.check_round):
        raise MidtermError(_("Only the city officer of the programme accepts a rectification."))
    if not finding.is_holding:
        raise MidtermError(_("There is no rectification open on this finding."))
    if finding.rectified_at is None:
        raise MidtermError(_("The applicant has not reported the rectification yet."))
    finding.resolved_by, finding.resolved_at = actor, clock.now()
    finding.save(update_fields=["resolved_by", "resolved_at"])
    _log(
        application,
        "midterm_resolved",
        actor,
        _("%(check)s: rectification accepted; payments may resume.")
        % {"check": finding.check_round.title},
    )
    _tell_applicant_and_finance(
        finding,
        application,
        _("Mid-term check: the rectification of %(number)s is accepted")
        % {"number": application.number},
        _("%(check)s: rectification accepted; payments may resume.")
        % {"check": finding.check_round.title},
    )
    return finding
