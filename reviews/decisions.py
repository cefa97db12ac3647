"""Decisions on the ranked list: provisional list, decision, approval.

Split out of ``reviews.services``, which re-exports these names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.money import format_fen
from core.numbers import format_score
from projects import services as projects
from projects.cuts import approved_total_fen, funding_approve
from projects.models import Application, Notice

from . import aggregation
from .models import (
    Panel,
    PanelItem,
)
from .services import (
    ReviewError,
    _lock_panel,
)


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
