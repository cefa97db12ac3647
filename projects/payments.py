"""The money of a record, as the domain sees it: one rule on whether a record may still
receive money, asked by every payment path (the ledger asks it through
``ledger.hooks.payment_refusals``), and what a domain event that ends that right does to
the money in the same transaction (``money_stops``).

Locks follow ``ledger.locks``: the application first (``projects.locks``), then its
contract's tranches, then the ledger's rows, inside the ledger's services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import Disbursement

from . import locks
from .models import Application, Contract, MidtermFinding, Tranche

S = Application.Status

# A granted award is paid from ``approved``; a project once its contract is signed, until
# it is accepted (the last tranche) — and not after it failed, was closed or ended early.
RECEIVES_MONEY = frozenset(
    {
        S.CONTRACTED,
        S.IN_PROGRESS,
        S.ACCEPTANCE_REQUESTED,
        S.ACCEPTANCE_REVIEW,
        S.RECTIFYING,
        S.ACCEPTED,
    }
)

# The states a domain event moves a record to when its right to money ends.
MONEY_STOPS = frozenset({S.DISQUALIFIED, S.REJECTED, S.WITHDRAWN, S.TERMINATED, S.FAILED})


def payment_refusal(application: Application) -> str | None:
    """Why ``application`` may not receive money now (None: it may)."""
    if application.status in RECEIVES_MONEY:
        return midterm_hold(application)
    if application.status == S.APPROVED:
        if application.is_award:
            return None
        return _("%(number)s has no signed contract (任务书) yet; nothing is paid before it.") % {
            "number": application.number
        }
    return _("%(number)s is “%(state)s”: it may no longer receive money.") % {
        "number": application.number,
        "state": application.get_status_display(),
    }


def midterm_hold(application: Application) -> str | None:
    """A 中期检查 finding of 整改 not yet accepted as rectified holds every further
    payment of the project (the next tranche) until the officer accepts it."""
    finding = (
        MidtermFinding.objects.holding()
        .filter(application=application)
        .select_related("check_round")
        .order_by("pk")
        .first()
    )
    if finding is None:
        return None
    return _(
        "%(number)s is held by the mid-term check “%(check)s”: rectification is required "
        "(%(fix)s, due %(date)s). Nothing more is paid until the officer accepts the "
        "rectification."
    ) % {
        "number": application.number,
        "check": finding.check_round.title,
        "fix": finding.to_fix,
        "date": finding.rectify_due,
    }


def payment_refusals(project_refs: Sequence[str]) -> dict[str, str]:
    """Registered with the ledger (``hooks.on_payment_check``): locks the applications
    behind the references, in primary-key order, and answers the refusals."""
    pks = list(Application.objects.filter(number__in=project_refs).values_list("pk", flat=True))
    refusals = {}
    for application in locks.lock_applications(pks):
        reason = payment_refusal(application)
        if reason:
            refusals[application.number] = reason
    return refusals


def money_stops(application: Application, *, actor: Any, reason: str) -> list[str]:
    """What ends a record's right to money does to the money, in the caller's transaction
    (the application is locked): planned tranches stop, every open payment order is
    cancelled (an approval is reversed), what is committed and not paid is released, and
    repayable money that is out falls due at once. Returns the numbers of the orders
    cancelled, for the trail."""
    contract = Contract.objects.filter(application=application).first()
    if contract is not None:
        list(contract.tranches.select_for_update(of=("self",)).order_by("pk"))
    try:
        stopped = ledger.payments_stop(project_ref=application.number, actor=actor, reason=reason)
    except LedgerError as error:
        from .services import ApplicationError

        raise ApplicationError(str(error)) from error
    if contract is not None:
        open_or_planned = contract.tranches.filter(status=Tranche.Status.PLANNED) | (
            contract.tranches.filter(
                status=Tranche.Status.ORDERED,
                disbursement__status__in=[
                    Disbursement.Status.CANCELLED,
                    Disbursement.Status.REJECTED,
                ],
            )
        )
        open_or_planned.update(status=Tranche.Status.STOPPED)
    return [order.number for order in stopped.cancelled]
