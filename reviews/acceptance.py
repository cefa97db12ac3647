"""The acceptance conclusion (验收结论) drawn from the experts' opinions.

Split out of ``reviews.services``, which re-exports these names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.numbers import format_quantity, format_score
from projects import services as projects
from projects.models import Application

from .models import (
    Panel,
    PanelItem,
)
from .services import (
    ReviewError,
)


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
