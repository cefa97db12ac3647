"""核减 and the re-spread of the budget that follows it.

The approving officer may grant less than was asked under each instrument (never more,
never nothing), with a reason; the cut is in the application's trail. The approved
amount per instrument is kept on ``ApplicationFunding.approved_fen`` from approval on.
After a cut the 任务书 is drafted with the budget items as asked; the applicant spreads
them over the approved total (``contract_budget_respread``) and the 任务书 cannot be
confirmed or signed until they add up (``budget_problem``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.money import MoneyError, format_fen, yuan_to_fen
from funding.models import Instrument

from . import locks
from .models import (
    PROJECT_BUDGET_ITEMS,
    Application,
    ApplicationFunding,
    ApprovalCut,
    BudgetItem,
    Contract,
    ContractBudgetItem,
    TransitionLog,
)
from .services import ApplicationError

S = Application.Status
CUTTABLE = (S.REVIEWED, S.PUBLICITY, S.APPROVED)
# the order in which instruments are listed and a rounding remainder is placed
INSTRUMENT_ORDER = (
    Instrument.GRANT,
    Instrument.INTEREST_SUBSIDY,
    Instrument.REPAYABLE,
    Instrument.AWARD,
)


def _label(instrument: str) -> str:
    return str(Instrument(instrument).label)


def approved_by_instrument(application: Application) -> dict[str, int]:
    """What is granted under each instrument (fen): the approved amounts recorded at
    approval; before approval, what was asked less the cuts made so far. An application
    approved before amounts were kept per instrument has its total spread in proportion
    to what was asked (the remainder of the rounding to the first instrument)."""
    rows = sorted(
        application.funding.all(), key=lambda f: INSTRUMENT_ORDER.index(Instrument(f.instrument))
    )
    if rows and all(f.approved_fen is not None for f in rows):
        return {f.instrument: int(f.approved_fen or 0) for f in rows}
    cuts = {c.instrument: c.approved_fen for c in application.cuts.all()}
    asked = {f.instrument: cuts.get(f.instrument, f.amount_fen) for f in rows}
    total = application.approved_amount_fen
    if total is None or total == sum(asked.values()) or not asked:
        return asked
    requested = sum(asked.values()) or 1
    scaled = {k: v * total // requested for k, v in asked.items()}
    first = next(iter(scaled))
    scaled[first] += total - sum(scaled.values())
    return scaled


def approved_total_fen(application: Application) -> int:
    return sum(approved_by_instrument(application).values())


def funding_approve(application: Application) -> int:
    """At approval: record the approved amount of each instrument (what was asked, less
    any cut); returns the total."""
    amounts = approved_by_instrument(application)
    for row in application.funding.all():
        ApplicationFunding.objects.filter(pk=row.pk).update(approved_fen=amounts[row.instrument])
    return sum(amounts.values())


def cut_summary(application: Application) -> str:
    """``无偿资助 300,000.00 → 250,000.00 元`` for each cut instrument."""
    return "；".join(
        _("%(i)s %(asked)s → %(approved)s yuan")
        % {
            "i": _label(c.instrument),
            "asked": format_fen(c.requested_fen),
            "approved": format_fen(c.approved_fen),
        }
        for c in application.cuts.order_by("instrument")
    )


@transaction.atomic
def approval_cut(
    *, application: Application, amounts: dict[str, Decimal], reason: str, actor: User
) -> Application:
    """核减: grant ``amounts`` (yuan, per instrument) instead of what was asked.

    Possible from the end of the review until the 任务书 is drafted, by whoever may
    approve the application. An amount equal to the request takes a cut back."""
    application = locks.lock_application(application.pk)
    if application.is_award:
        raise ApplicationError(_("An award is granted as nominated; 核减 applies to projects."))
    if not actor.has_perm("projects.decide_application", application):
        raise ApplicationError(_("Only the approving officer may cut the amount (核减)."))
    has_contract = Contract.objects.filter(application=application).exists()
    if application.status not in CUTTABLE or has_contract:
        raise ApplicationError(
            _(
                "%(n)s is “%(s)s”: the amount can be cut after the review and before the 任务书 is drafted."
            )
            % {"n": application.number, "s": application.get_status_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the amount is cut (核减理由)."))
    if len(reason) > 300:
        raise ApplicationError(_("The reason may have at most 300 characters."))
    requested = {f.instrument: f for f in application.funding.all()}
    problems: list[str] = []
    wanted: dict[str, int] = {}
    for instrument, amount in amounts.items():
        if amount is None or amount == "":
            continue
        if instrument not in requested:
            problems.append(
                _("%(i)s: nothing was asked under this instrument.") % {"i": _label(instrument)}
            )
            continue
        try:
            fen = yuan_to_fen(amount)
        except MoneyError as error:
            problems.append(f"{_label(instrument)}: {error}")
            continue
        asked = requested[instrument].amount_fen
        if fen <= 0:
            problems.append(
                _("%(i)s: the approved amount must be more than 0 yuan.")
                % {"i": _label(instrument)}
            )
        elif fen > asked:
            problems.append(
                _("%(i)s: %(a)s yuan is more than the %(r)s yuan asked; a cut never grants more.")
                % {"i": _label(instrument), "a": format_fen(fen), "r": format_fen(asked)}
            )
        else:
            wanted[instrument] = fen
    if problems:
        raise ApplicationError(problems[0], reasons=problems)
    existing = {c.instrument: c for c in application.cuts.all()}
    changed = False
    for instrument, fen in wanted.items():
        asked = requested[instrument].amount_fen
        cut = existing.get(instrument)
        if fen == asked:
            if cut is not None:
                cut.delete()
                changed = True
            continue
        if cut is not None and cut.approved_fen == fen:
            continue
        ApprovalCut.objects.update_or_create(
            application=application,
            instrument=instrument,
            defaults={
                "requested_fen": asked,
                "approved_fen": fen,
                "reason": reason,
                "cut_by": actor,
                "cut_at": clock.now(),
            },
        )
        changed = True
    if not changed:
        raise ApplicationError(_("These amounts are what is already approved; nothing changed."))
    if application.status == S.APPROVED:
        application.approved_amount_fen = funding_approve(application)
        application.save(update_fields=["approved_amount_fen", "updated_at"])
    summary = cut_summary(application) or _("no cut: the amounts asked are granted")
    TransitionLog.objects.create(
        application=application,
        transition="cut",
        from_state=application.status,
        to_state=application.status,
        actor=actor,
        reason=f"{summary}。{reason}",
        at=clock.now(),
    )
    return application


# --- the re-spread of the 任务书 budget ---------------------------------------------------


def budget_problem(contract: Contract) -> str | None:
    """Why the 任务书's budget items do not add up to its amount (None when they do)."""
    total = sum(contract.budget.values_list("amount_fen", flat=True))
    if total == contract.amount_fen:
        return None
    return _(
        "The budget items add up to %(items)s yuan but the approved amount is %(amount)s yuan: "
        "the applicant re-spreads the budget (调整预算明细) before the 任务书 is confirmed and signed."
    ) % {"items": format_fen(total), "amount": format_fen(contract.amount_fen)}


@transaction.atomic
def contract_budget_respread(
    *, contract: Contract, items: dict[str, Decimal], actor: User
) -> Contract:
    """The applicant spreads the 任务书's budget over the approved amount: the items must
    add up to it exactly, and no item may be more than the application asked for it."""
    locks.lock_application(
        Contract.objects.values_list("application_id", flat=True).get(pk=contract.pk)
    )
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=contract.pk)
    )
    application = contract.application
    if not actor.has_perm("projects.request_acceptance", application):
        raise ApplicationError(_("Only the applicant re-spreads the budget."))
    if contract.status != Contract.Status.DRAFT:
        raise ApplicationError(
            _("The budget can be re-spread only before the applicant confirms the 任务书.")
        )
    asked = {b.item: b.amount_fen for b in application.budget_items.all()}
    labels = dict(BudgetItem.choices)
    problems: list[str] = []
    spread: dict[str, int] = {}
    for item, amount in items.items():
        if amount is None or amount == "":
            continue
        if item not in PROJECT_BUDGET_ITEMS:
            problems.append(_("Unknown budget item."))
            continue
        try:
            fen = yuan_to_fen(amount)
        except MoneyError as error:
            problems.append(f"{labels.get(item, item)}: {error}")
            continue
        if fen < 0:
            problems.append(_("%(i)s: an amount cannot be negative.") % {"i": labels[item]})
        elif fen > asked.get(item, 0):
            problems.append(
                _("%(i)s: %(a)s yuan is more than the %(r)s yuan the application asked for it.")
                % {
                    "i": labels[item],
                    "a": format_fen(fen),
                    "r": format_fen(asked.get(item, 0)),
                }
            )
        elif fen:
            spread[item] = fen
    total = sum(spread.values())
    if not problems and total != contract.amount_fen:
        problems.append(
            _("The items add up to %(t)s yuan; they must add up to the approved %(a)s yuan.")
            % {"t": format_fen(total), "a": format_fen(contract.amount_fen)}
        )
    if problems:
        raise ApplicationError(problems[0], reasons=problems)
    contract.budget.all().delete()
    ContractBudgetItem.objects.bulk_create(
        ContractBudgetItem(contract=contract, item=item, amount_fen=fen)
        for item, fen in spread.items()
    )
    TransitionLog.objects.create(
        application=application,
        transition="respread",
        from_state=application.status,
        to_state=application.status,
        actor=actor,
        reason="；".join(f"{labels[i]} {format_fen(f)}" for i, f in spread.items()),
        at=clock.now(),
    )
    return contract
