"""Acceptance (验收) requests and the financial acceptance, closing (结项) and termination
(终止). What a failed or stopped project does to its money is ``projects.payments``.

Refusals are ``ContractError``, whose message the user sees."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from ledger import services as ledger
from ledger.models import Disbursement

from . import locks, surplus
from .contracts import ContractError, _ledger, report_submit
from .models import (
    Acceptance,
    Application,
    Contract,
    ContractIndicator,
    ProgressReport,
    Tranche,
)
from .services import application_take


def completion_pct(actuals: dict[int, Decimal], indicators: list[ContractIndicator]) -> Decimal:
    """指标完成率: the mean over indicators of actual ÷ target, each capped at 100 %;
    truncated (never rounded up) to two decimals so 79.999 % shows as 79.99 %."""
    if not indicators:
        return Decimal(0)
    rates = [min(actuals.get(i.pk, Decimal(0)) / i.target, Decimal(1)) for i in indicators]
    exact = sum(rates, Decimal(0)) * 100 / len(rates)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# --- acceptance (验收): the request and the financial acceptance ------------------------------------


@transaction.atomic
def acceptance_request(
    *,
    application: Application,
    actor: User,
    text: str,
    fund_usage: str,
    actuals: dict[int, Decimal],
    spending: dict[str, Decimal],
) -> Acceptance:
    """申请验收: the final report with the indicator actuals, the fund-usage statement and
    the 经费决算 (``spending``: spent per budget item, checked by ``surplus``)."""
    application = locks.lock_application(application.pk)
    if not fund_usage.strip():
        raise ContractError(_("The fund-usage statement is required."))
    report = (
        ProgressReport.objects.filter(
            application=application, kind=ProgressReport.Kind.FINAL, submitted_at__isnull=True
        )
        .order_by("due_on")
        .first()
    )
    if report is None:  # a second round after rectification files a new final report
        last = (
            ProgressReport.objects.filter(application=application, kind=ProgressReport.Kind.FINAL)
            .order_by("-pk")
            .first()
        )
        report = ProgressReport.objects.create(
            application=application,
            contract=last.contract if last else None,
            kind=ProgressReport.Kind.FINAL,
            title=_("Final report after rectification"),
            due_on=clock.today(),
        )
    contract = Contract.objects.filter(application=application).first()
    spent = surplus.final_spending_check(contract, spending) if contract is not None else None
    report_submit(report=report, actor=actor, text=text, actuals=actuals, spending=spending)
    round_ = application.acceptances.count() + 1
    acceptance = Acceptance.objects.create(
        application=application,
        round=round_,
        report=report,
        fund_usage=fund_usage.strip(),
        requested_at=clock.now(),
    )
    if contract is not None and spent is not None:
        surplus.final_spending_record(acceptance, contract, spent)
    application_take(
        application=application,
        name="request_acceptance",
        actor=actor,
        reason=_("Acceptance requested (round %(n)d)") % {"n": round_},
    )
    return acceptance


@transaction.atomic
def acceptance_finance_record(
    *, acceptance: Acceptance, actor: User, passed: bool, note: str
) -> Acceptance:
    """财务验收, recorded by finance separately from the experts' review."""
    acceptance = (
        Acceptance.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=acceptance.pk)
    )
    if not actor.has_perm("projects.finance_acceptance", acceptance):
        raise ContractError(_("Only finance records the financial acceptance."))
    if acceptance.conclusion:
        raise ContractError(_("The acceptance is already concluded."))
    if not passed and not note.strip():
        raise ContractError(_("Say what problems were found."))
    acceptance.finance_result = (
        Acceptance.FinanceResult.PASSED if passed else Acceptance.FinanceResult.PROBLEMS
    )
    acceptance.finance_note = note.strip()
    acceptance.finance_by, acceptance.finance_at = actor, clock.now()
    acceptance.save()
    return acceptance


def remaining_commitment_fen(contract: Contract) -> int:
    commitment = contract.commitment
    if commitment is None:
        return 0
    return ledger.account_balance(commitment.account_id)


def _close_subsidy(contract: Contract, application: Application, actor: User) -> list[str]:
    """At closing, the 贷款贴息 not claimed is given back to its line; an open payment
    order of a certificate stops the closing."""
    from .funding_models import ContractSubsidy
    from .subsidy import DEAD_ORDERS

    subsidy = ContractSubsidy.objects.filter(contract=contract).select_related("commitment").first()
    if subsidy is None or subsidy.commitment is None:
        return []
    settled = (*DEAD_ORDERS, Disbursement.Status.PAID, Disbursement.Status.RECONCILED)
    if subsidy.certificates.exclude(disbursement__status__in=settled).exists():
        return [_("A payment order of the interest subsidy is still open.")]
    commitment = subsidy.commitment
    if ledger.account_balance(commitment.account_id):
        _ledger(
            lambda: ledger.commitment_release(
                commitment=commitment,
                value_date=clock.today(),
                actor=actor,
                reason=_("Project closed: interest subsidy not claimed"),
            )
        )
    return []


@transaction.atomic
def project_close(*, application: Application, actor: User) -> Application:
    """已结项: nothing left to pay or recover (or the remainder written off). The 结余 of
    the 决算 is recorded and, where the programme recovers it, posted due back
    (``surplus.surplus_settle``): the project closes with that receivable open, cleared
    when the bank statement brings the money back."""
    application = locks.lock_application(application.pk)
    contract = (
        Contract.objects.filter(application=application)
        .select_related("commitment", "repayable")
        .first()
    )
    problems = []
    if contract is not None:
        open_orders = contract.tranches.filter(status=Tranche.Status.ORDERED).exclude(
            disbursement__status__in=[
                Disbursement.Status.PAID,
                Disbursement.Status.RECONCILED,
                Disbursement.Status.CANCELLED,
                Disbursement.Status.REJECTED,
                Disbursement.Status.RETURNED,
            ]
        )
        if open_orders.exists():
            problems.append(_("A payment order of this project is still open."))
        planned = contract.tranches.filter(status=Tranche.Status.PLANNED)
        if planned.exists() and application.status == Application.Status.ACCEPTED:
            problems.append(
                _("Tranche %(n)s is still to be paid.")
                % {"n": planned.values_list("seq", flat=True)[0]}
            )
        left = remaining_commitment_fen(contract)
        commitment = contract.commitment
        if commitment is None:
            left = 0
        if left and commitment is not None and application.status != Application.Status.ACCEPTED:
            _ledger(
                lambda: ledger.commitment_release(
                    commitment=commitment,
                    value_date=clock.today(),
                    actor=actor,
                    reason=_("Project closed"),
                )
            )
        elif left and commitment is not None and not planned.exists():
            _ledger(
                lambda: ledger.commitment_release(
                    commitment=commitment,
                    value_date=clock.today(),
                    actor=actor,
                    reason=_("Project closed: unspent commitment"),
                )
            )
        problems += _close_subsidy(contract, application, actor)
        if contract.repayable is not None and contract.repayable.status not in (
            "repaid",
            "written_off",
            "scheduled",
        ):
            problems.append(
                _("Repayable funding %(n)s is not yet repaid or written off.")
                % {"n": contract.repayable.number}
            )
    if problems:
        raise ContractError(problems[0], reasons=problems)
    if contract is not None:
        surplus.surplus_settle(application=application, contract=contract, actor=actor)
    return application_take(
        application=application,
        name="close",
        actor=actor,
        reason=_("Nothing left to pay or recover"),
    )


@transaction.atomic
def project_terminate(*, application: Application, actor: User, reason: str) -> Application:
    """终止: the transition stops what is unpaid, releases the commitment and calls in
    repayable money (``projects.payments.money_stops``), all in this transaction."""
    if not reason.strip():
        raise ContractError(_("A reason is required."))
    return application_take(
        application=application, name="terminate", actor=actor, reason=reason.strip()
    )
