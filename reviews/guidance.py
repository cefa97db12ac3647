"""What happens next on a panel, and who does it (issue 13, 6); see projects.guidance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import clock
from projects.guidance import Step
from projects.models import AWARD_STATUS_LABELS, Application, Notice

from .models import Assignment, Panel


@dataclass(frozen=True)
class NoticeState:
    """Where the city notice of a closed city panel stands."""

    notice: Notice
    state: str  # "upcoming", "running", "ended" (approval due) or "decided"
    pending: int  # applications still on notice (公示中)
    approved: int  # applications approved (立项 / 授予) from it

    @property
    def running(self) -> bool:
        return self.state in ("upcoming", "running")


def notice_state(notice: Notice | None) -> NoticeState | None:
    if notice is None:
        return None
    statuses: Counter[str] = Counter(
        {
            row["status"]: row["n"]
            for row in notice.applications.order_by().values("status").annotate(n=Count("pk"))
        }
    )
    pending = statuses[Application.Status.PUBLICITY]
    approved = sum(n for s, n in statuses.items() if s not in _NOT_APPROVED)
    today = clock.today()
    if not pending:
        state = "decided"
    elif today < notice.starts_on:
        state = "upcoming"
    elif notice.is_running_on(today):
        state = "running"
    else:
        state = "ended"
    return NoticeState(notice=notice, state=state, pending=pending, approved=approved)


_NOT_APPROVED = {
    Application.Status.PUBLICITY,
    Application.Status.REJECTED,
    Application.Status.RETURNED,
    Application.Status.DISQUALIFIED,
    Application.Status.WITHDRAWN,
}


def _officer(panel: Panel) -> str:
    role = Role.DISTRICT_OFFICER if panel.stage == Panel.Stage.DISTRICT else Role.CITY_OFFICER
    return str(role.label)


def panel_steps(
    panel: Panel,
    user: Any,
    *,
    waiting: Sequence[Application],
    notice: NoticeState | None = None,
    waiting_total: int | None = None,
) -> list[Step]:
    """``waiting`` may be the first of the applications waiting, ``waiting_total`` how
    many there are (``len(waiting)`` when not given)."""
    mine = user.has_perm("reviews.manage_panel", panel)
    officer = _officer(panel)
    award = panel.call.programme.flow == "award"
    steps: list[Step] = []

    def by_officer(text: str) -> None:
        steps.append(Step(text=text, who=officer, mine=mine))

    live = short = 0
    if panel.status != Panel.Status.CLOSED:
        # two aggregates in the database, never a row per assignment
        live = Assignment.objects.live().filter(panel=panel).count()
        # the items with their full size, from the panel's assignments (index on panel
        # and status), not every assignment joined to the items
        full = (
            Assignment.objects.live()
            .filter(panel=panel)
            .values("item_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=panel.size)
            .values("item_id")
        )
        short = panel.items.exclude(pk__in=full).count()
    if panel.status == Panel.Status.SETUP:
        if not live:
            by_officer(
                _(
                    "Draw the experts (随机抽取): %(n)d per item, without conflicts; the seed is "
                    "recorded so that anyone can repeat the draw."
                )
                % {"n": panel.size}
            )
        elif short:
            by_officer(
                _("%(n)d item(s) still lack experts: draw again to fill them.") % {"n": short}
            )
        else:
            by_officer(
                _(
                    "Every item has its experts: open scoring. The experts are then invited to "
                    "declare conflicts and score by %(date)s."
                )
                % {"date": panel.deadline.isoformat()}
            )
    elif panel.status == Panel.Status.OPEN:
        pending = (
            Assignment.objects.live()
            .filter(panel=panel)
            .exclude(status=Assignment.Status.SUBMITTED)
            .count()
        )
        if pending:
            steps.append(
                Step(
                    text=_(
                        "%(n)d sheet(s) are not submitted yet: each expert declares conflicts and "
                        "scores by %(date)s."
                    )
                    % {"n": pending, "date": panel.deadline.isoformat()},
                    who=str(Role.EXPERT.label),
                )
            )
            by_officer(
                _(
                    "Enter paper sheets with the panel's template (import), replace an expert who "
                    "cannot score, reopen a sheet that must be corrected."
                )
            )
        if short:
            by_officer(
                _("%(n)d item(s) lack experts (conflicts declared): draw again to fill them.")
                % {"n": short}
            )
        if not pending and not short:
            by_officer(_("Every sheet is in: close the panel to freeze the results."))
    elif panel.stage == Panel.Stage.CITY:
        steps += _decision_steps(panel, notice, officer=officer, mine=mine, award=award)
    elif panel.stage == Panel.Stage.DISTRICT:
        by_officer(
            _(
                "The results are frozen: put the applications that pass on a recommendation list "
                "and submit it to the city."
            )
        )
    else:
        steps.append(
            Step(
                text=_(
                    "The results are frozen: finance records each financial acceptance, then the "
                    "city officer concludes each acceptance."
                ),
                who=f"{Role.FINANCE.label}、{Role.CITY_OFFICER.label}",
            )
        )
    n_waiting = len(waiting) if waiting_total is None else waiting_total
    if n_waiting:
        numbers = "、".join(a.number for a in waiting[:10])
        if panel.status == Panel.Status.CLOSED:
            by_officer(
                _(
                    "%(n)d application(s) reached this stage after the panel closed (%(numbers)s): "
                    "a closed panel's results are frozen, so set up another panel for them."
                )
                % {"n": n_waiting, "numbers": numbers}
            )
        else:
            by_officer(
                _(
                    "%(n)d application(s) reached this stage after the panel was set up "
                    "(%(numbers)s): add them to this panel; their experts are drawn at once."
                )
                % {"n": n_waiting, "numbers": numbers}
            )
    return steps


def _decision_steps(
    panel: Panel, notice: NoticeState | None, *, officer: str, mine: bool, award: bool
) -> list[Step]:
    if notice is None:
        return [
            Step(
                text=_(
                    "Decide: put the top of the ranked list, within the budget envelope, on "
                    "public notice (%(notice)s); the other reviewed applications are not funded."
                )
                % {
                    "notice": AWARD_STATUS_LABELS[Application.Status.PUBLICITY]
                    if award
                    else Application.Status.PUBLICITY.label
                },
                who=officer,
                mine=mine,
            )
        ]
    if notice.running:
        return [
            Step(
                text=_(
                    "The list is on public notice until %(date)s; objections are handled on the "
                    "notice page. Approval is possible from the day after."
                )
                % {"date": notice.notice.ends_on.isoformat()},
                who=officer,
                mine=mine,
            )
        ]
    if notice.state == "ended":
        return [
            Step(
                text=(
                    _("The public notice ended on %(date)s: grant the awards on the list.")
                    if award
                    else _("The public notice ended on %(date)s: approve the list.")
                )
                % {"date": notice.notice.ends_on.isoformat()},
                who=officer,
                mine=mine,
            )
        ]
    if award:
        return [
            Step(
                text=_(
                    "The awards are granted: the city's finance issues the budget indicators to "
                    "the districts, and each district finance bureau pays its awardees."
                ),
                who=f"{Role.FINANCE.label}、{Role.DISTRICT_FINANCE.label}",
            )
        ]
    return [
        Step(
            text=_(
                "The projects are approved: the city officer drafts each contract (任务书) on the "
                "application page."
            ),
            who=str(Role.CITY_OFFICER.label),
            mine=mine,
        )
    ]
