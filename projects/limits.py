"""限项: who may lead (or join) one more project, checked when an application is submitted.

``limit_problems`` is called by ``services.submission_problems``, so every door that
submits (the page, an import, the API) meets the same rules. The rules are settings of
the programme of the call (``funding.Programme.lead_*``); an empty setting is no rule.

* A leader holds a project while it is under consideration (submitted → 公示) or in
  progress (approved → 整改中): ``HELD``. One more application must stay within
  ``lead_max_in_progress``, counted over all programmes.
* A leader with a report past its due date and not filed, on a project of theirs still
  in progress (``IN_PROGRESS``), may not apply (``lead_blocked_by_overdue_report``).
* A leader of a project that failed acceptance (验收不通过) within
  ``lead_failed_acceptance_years`` years may not apply.
* No person on the team (leader or member) may be under an active debarment.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Person
from core import clock
from funding.services import active_debarment

from .models import Application, ProgressReport, TransitionLog
from .team_models import TeamMember

S = Application.Status

UNDER_CONSIDERATION = (
    S.SUBMITTED,
    S.DISTRICT_PUBLICITY,
    S.RECOMMENDED,
    S.UNDER_REVIEW,
    S.REVIEWED,
    S.PUBLICITY,
)
IN_PROGRESS = (
    S.APPROVED,
    S.CONTRACTED,
    S.IN_PROGRESS,
    S.ACCEPTANCE_REQUESTED,
    S.ACCEPTANCE_REVIEW,
    S.RECTIFYING,
)
HELD = UNDER_CONSIDERATION + IN_PROGRESS


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def led_by(person_id: int, *, excluding: Application) -> QuerySet[Application]:
    """The other applications and projects this person leads."""
    return Application.objects.filter(
        team__person_id=person_id, team__kind=TeamMember.Kind.LEAD
    ).exclude(pk=excluding.pk)


def _project(application: Application) -> str:
    return f"{application.number}“{application.title}”"


def limit_problems(application: Application, *, day: dt.date) -> list[str]:
    """Every 限项 rule ``application``'s team breaks on ``day``, each naming the project
    and the rule (empty when none)."""
    programme = application.call.programme
    team = list(application.team.in_order())
    problems: list[str] = []
    for member in team:
        if member.person_id == application.person_id:
            continue  # the nominee's own debarment is already reported
        debarment = active_debarment(organisation=None, person=member.person, day=day)
        if debarment is not None:
            problems.append(
                _("%(role)s %(name)s is barred from applying until %(date)s (%(reason)s).")
                % {
                    "role": _("Project leader") if member.is_lead else _("Team member"),
                    "name": member.person.name,
                    "date": debarment.ends_on,
                    "reason": debarment.reason,
                }
            )
    lead = next((m for m in team if m.is_lead), None)
    if lead is None:
        if programme.lead_required:
            problems.append(_("Name the project leader (负责人) on the team page."))
        return problems
    return problems + lead_rule_problems(application, lead.person, day=day)


def leader_problems(application: Application, person: Person, *, day: dt.date) -> list[str]:
    """Why ``person`` may not take over as the leader of ``application`` on ``day`` (a
    负责人 change): an active debarment and every 限项 rule of a new application."""
    problems: list[str] = []
    debarment = active_debarment(organisation=None, person=person, day=day)
    if debarment is not None:
        problems.append(
            _("%(role)s %(name)s is barred from applying until %(date)s (%(reason)s).")
            % {
                "role": _("Project leader"),
                "name": person.name,
                "date": debarment.ends_on,
                "reason": debarment.reason,
            }
        )
    return problems + lead_rule_problems(application, person, day=day)


def lead_rule_problems(application: Application, person: Person, *, day: dt.date) -> list[str]:
    """The 限项 rules of the programme for ``person`` leading ``application``."""
    programme = application.call.programme
    problems: list[str] = []
    name = person.name
    others = led_by(person.pk, excluding=application)
    limit = programme.lead_max_in_progress
    if limit is not None:
        held = list(others.filter(status__in=HELD).order_by("number"))
        if len(held) >= limit:
            problems.append(
                _(
                    "%(name)s already leads %(count)s project(s) in progress or under "
                    "consideration (%(projects)s); %(programme)s allows one leader %(max)s "
                    "at a time (限项)."
                )
                % {
                    "name": name,
                    "count": len(held),
                    "projects": "、".join(_project(a) for a in held),
                    "programme": programme.name,
                    "max": limit,
                }
            )
    if programme.lead_blocked_by_overdue_report:
        overdue = (
            ProgressReport.objects.filter(
                application__in=others.filter(status__in=IN_PROGRESS),
                submitted_at__isnull=True,
                due_on__lt=day,
            )
            .select_related("application")
            .order_by("due_on", "pk")
            .first()
        )
        if overdue is not None:
            problems.append(
                _(
                    "%(name)s leads %(project)s, whose report “%(report)s” was due on "
                    "%(date)s and is not filed: a leader with an overdue report may not "
                    "apply (限项)."
                )
                % {
                    "name": name,
                    "project": _project(overdue.application),
                    "report": overdue.title,
                    "date": overdue.due_on,
                }
            )
    years = programme.lead_failed_acceptance_years
    if years:
        since = _years_before(day, years)
        failed = (
            TransitionLog.objects.filter(
                application__in=others,
                transition="fail_acceptance",
                at__gt=clock.end_of_day(since),
            )
            .select_related("application")
            .order_by("-at")
            .first()
        )
        if failed is not None:
            problems.append(
                _(
                    "%(name)s led %(project)s, which failed acceptance on %(date)s: for "
                    "%(years)s years after that the person may not lead a new application "
                    "(限项)."
                )
                % {
                    "name": name,
                    "project": _project(failed.application),
                    "date": clock.local_date(failed.at),
                    "years": years,
                }
            )
    return problems
