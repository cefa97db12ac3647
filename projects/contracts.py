"""Services of the contract stage: the 任务书, tranches, progress reports, budget changes
(预算调剂). The award flow's money is in ``projects.awards``, acceptance and closing in
``projects.closing``. Money moves only through ``ledger.services``.

Refusals are ``ContractError`` (an ``ApplicationError``), whose message the user sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.money import fen_to_yuan, format_fen, yuan_to_fen
from funding.models import Instrument
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import BudgetLine, Disbursement

from . import cuts, locks, payments
from .models import (
    Application,
    BudgetChange,
    Contract,
    ContractBudgetItem,
    ContractIndicator,
    ContractSubsidy,
    IndicatorActual,
    ProgressReport,
    Spending,
    Tranche,
)
from .services import ApplicationError, application_take


class ContractError(ApplicationError):
    pass


def _ledger(call: Any) -> Any:
    """Run a ledger service, turning its refusal into ours."""
    try:
        return call()
    except LedgerError as error:
        raise ContractError(str(error)) from error


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def budget_lines_for(application: Application, instrument: str | None = None) -> Any:
    """Budget lines of the programme and year in the city's scope (not district lines)."""
    lines = BudgetLine.objects.filter(
        programme_code=application.call.programme.code,
        year=application.call.year,
        scope_path=application.call.programme.owner_unit.path,
    ).order_by("code")
    return lines.filter(instrument=instrument) if instrument else lines


def _next_contract_number(application: Application) -> str:
    year = application.call.year
    n = Contract.objects.filter(number__startswith=f"RWS-{year}-").count() + 1
    while Contract.objects.filter(number=f"RWS-{year}-{n:04d}").exists():
        n += 1
    return f"RWS-{year}-{n:04d}"


def default_tranches(amount_fen: int, repayable_fen: int) -> list[dict[str, Any]]:
    """60 % of the grant on signing and 40 % after acceptance; the repayable part is paid
    on signing (it is repaid on the schedule from the end of the project)."""
    grant = amount_fen - repayable_fen
    plan: list[dict[str, Any]] = []
    if grant:
        first = grant * 60 // 100
        plan += [
            {"trigger": Tranche.Trigger.ON_SIGNING, "amount_fen": first, "repayable": False},
            {
                "trigger": Tranche.Trigger.AFTER_ACCEPTANCE,
                "amount_fen": grant - first,
                "repayable": False,
            },
        ]
    if repayable_fen:
        plan.insert(
            1 if grant else 0,
            {"trigger": Tranche.Trigger.ON_SIGNING, "amount_fen": repayable_fen, "repayable": True},
        )
    return [p for p in plan if p["amount_fen"] > 0]


@transaction.atomic
def contract_draft(
    *,
    application: Application,
    actor: User,
    start_date: dt.date,
    end_date: dt.date,
    indicators: list[dict[str, Any]],
    payee_account: str,
    budget_line: BudgetLine | None = None,
    payee_bank: str = "",
    repay_terms: dict[str, Any] | None = None,
    tranche_plan: list[dict[str, Any]] | None = None,
) -> Contract:
    """Draft the 任务书 of an approved project: its budget follows the application's
    items scaled to the approved amount; the tranche plan is the default one unless
    ``tranche_plan`` (trigger, amount_fen, repayable per tranche) adds up to the amount."""
    application = locks.lock_application(application.pk)
    if application.is_award or application.status != Application.Status.APPROVED:
        raise ContractError(_("Only an approved project gets a contract."))
    if not actor.has_perm("projects.contract_application", application):
        raise ContractError(_("You may not draft this contract."))
    if Contract.objects.filter(application=application).exists():
        raise ContractError(_("This project already has a contract."))
    if not indicators:
        raise ContractError(_("A contract needs at least one indicator (考核指标)."))
    amount = application.approved_amount_fen or 0
    requested = application.amount_requested_fen or 1
    # each instrument on the line of its instrument (核减 per instrument, ``projects.cuts``)
    amounts = cuts.approved_by_instrument(application)
    repayable_fen = amounts.get(Instrument.REPAYABLE, 0)
    subsidy_fen = amounts.get(Instrument.INTEREST_SUBSIDY, 0)
    grant_fen = amount - repayable_fen - subsidy_fen
    main_instrument = (
        Instrument.GRANT if grant_fen or not subsidy_fen else Instrument.INTEREST_SUBSIDY
    )
    budget_line = budget_line or budget_lines_for(application, main_instrument).first()
    repay_line = (
        budget_lines_for(application, Instrument.REPAYABLE).first() if repayable_fen else None
    )
    subsidy_line = (
        budget_lines_for(application, Instrument.INTEREST_SUBSIDY).first() if subsidy_fen else None
    )
    missing = [
        i
        for i, line in (
            (main_instrument, budget_line),
            (Instrument.REPAYABLE, repay_line if repayable_fen else True),
            (Instrument.INTEREST_SUBSIDY, subsidy_line if subsidy_fen else True),
        )
        if line is None
    ]
    if missing:
        raise ContractError(
            _("No budget line of %(p)s %(y)s for %(i)s exists yet.")
            % {
                "p": application.call.programme.name,
                "y": application.call.year,
                "i": "、".join(str(Instrument(i).label) for i in missing),
            }
        )
    if budget_line is not None and budget_line.instrument != main_instrument:
        raise ContractError(
            _("The budget line %(l)s is not a line of %(i)s.")
            % {"l": budget_line.name, "i": Instrument(main_instrument).label}
        )
    terms = repay_terms or {}
    contract = Contract(
        application=application,
        number=_next_contract_number(application),
        start_date=start_date,
        end_date=end_date,
        amount_fen=amount,
        budget_line=budget_line,
        payee_account="".join(payee_account.split()),
        payee_bank=payee_bank,
        drafted_by=actor,
        drafted_at=clock.now(),
        repay_principal_fen=repayable_fen,
        repay_budget_line=repay_line,
        repay_term_months=terms.get("term_months") if repayable_fen else None,
        repay_grace_months=terms.get("grace_months", 0) if repayable_fen else None,
        repay_period_months=terms.get("period_months", 6) if repayable_fen else None,
        repay_method=terms.get("method", Contract.RepayMethod.EQUAL_PRINCIPAL)
        if repayable_fen
        else "",
        fee_rate=terms.get("fee_rate") if repayable_fen else None,
        overdue_rate=terms.get("overdue_rate") if repayable_fen else None,
    )
    if repayable_fen and not (
        contract.repay_term_months
        and contract.fee_rate is not None
        and contract.overdue_rate is not None
    ):
        raise ContractError(
            _("Repayable funding needs its terms: term, usage-fee rate and overdue rate.")
        )
    if not contract.payee_account:
        raise ContractError(_("The payee's bank account is required."))
    contract.full_clean()
    contract.save()
    for order, fields in enumerate(indicators, start=1):
        ContractIndicator.objects.create(contract=contract, order=order, **fields)
    if subsidy_fen and subsidy_line is not None:
        ContractSubsidy.objects.create(
            contract=contract, amount_fen=subsidy_fen, budget_line=subsidy_line
        )
    items = list(application.budget_items.all())
    if application.cuts.exists():
        # after a 核减 the applicant re-spreads the items (``cuts.contract_budget_respread``)
        scaled = [(i.item, i.amount_fen) for i in items]
    else:
        scaled = [(i.item, i.amount_fen * amount // requested) for i in items]
    if scaled and not application.cuts.exists():  # the rounding remainder goes to the largest item
        remainder = amount - sum(a for _i, a in scaled)
        largest = max(range(len(scaled)), key=lambda n: scaled[n][1])
        scaled[largest] = (scaled[largest][0], scaled[largest][1] + remainder)
    ContractBudgetItem.objects.bulk_create(
        ContractBudgetItem(contract=contract, item=i, amount_fen=a) for i, a in scaled
    )
    # the subsidy is paid against interest certificates (``projects.subsidy``), not tranches
    tranched = grant_fen + repayable_fen
    plan = tranche_plan or default_tranches(tranched, repayable_fen)
    if sum(t["amount_fen"] for t in plan) != tranched or any(t["amount_fen"] <= 0 for t in plan):
        raise ContractError(_("The tranches must add up to the contract amount."))
    for seq, tranche in enumerate(plan, start=1):
        Tranche.objects.create(
            contract=contract,
            seq=seq,
            trigger=tranche["trigger"],
            amount_fen=tranche["amount_fen"],
            repayable=tranche["repayable"],
        )
    return contract


@transaction.atomic
def contract_confirm(*, contract: Contract, actor: User) -> Contract:
    """The applicant has read and confirms the 任务书 online."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=contract.pk)
    )
    if not actor.has_perm(
        "projects.request_acceptance", contract.application
    ):  # the applicant's own project
        raise ContractError(_("Only the applicant confirms the contract."))
    if contract.status != Contract.Status.DRAFT:
        raise ContractError(_("The contract is already confirmed."))
    problem = cuts.budget_problem(contract)
    if problem:
        raise ContractError(problem)
    contract.status = Contract.Status.CONFIRMED
    contract.confirmed_by = actor
    contract.confirmed_at = clock.now()
    contract.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return contract


@transaction.atomic
def contract_sign(*, contract: Contract, actor: User) -> Contract:
    """The officer signs: the project becomes ``contracted``, the amount is committed on
    the budget line, the repayable account is opened, and the reports are scheduled."""
    # the lock order of ledger.locks: the application before its contract
    locks.lock_application(
        Contract.objects.values_list("application_id", flat=True).get(pk=contract.pk)
    )
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application__call__programme", "budget_line", "repay_budget_line")
        .get(pk=contract.pk)
    )
    application = contract.application
    if contract.status != Contract.Status.CONFIRMED:
        raise ContractError(_("The applicant has not confirmed the contract yet."))
    if not actor.has_perm("projects.contract_application", application):
        raise ContractError(_("You may not sign this contract."))
    problem = cuts.budget_problem(contract)
    if problem:
        raise ContractError(problem)
    today = clock.today()
    payee = (
        application.organisation.name if application.organisation else application.applicant_name
    )
    subsidy = (
        ContractSubsidy.objects.filter(contract=contract).select_related("budget_line").first()
    )
    subsidy_fen = subsidy.amount_fen if subsidy else 0
    grant_fen = contract.amount_fen - contract.repay_principal_fen - subsidy_fen
    if subsidy is not None:
        # 贷款贴息 on its own line: kept apart from the grant in the ledger and the reports
        subsidy.commitment = _ledger(
            lambda: ledger.commitment_post(
                budget_line=subsidy.budget_line,
                project_ref=application.number,
                amount=fen_to_yuan(subsidy_fen),
                value_date=today,
                actor=actor,
                payee_name=payee,
                scope_path=application.district.path,
                memo=_("Contract %(n)s signed: interest subsidy") % {"n": contract.number},
            )
        )
        subsidy.save(update_fields=["commitment"])
    if grant_fen:
        contract.commitment = _ledger(
            lambda: ledger.commitment_post(
                budget_line=contract.budget_line,
                project_ref=application.number,
                amount=fen_to_yuan(grant_fen),
                value_date=today,
                actor=actor,
                payee_name=payee,
                scope_path=application.district.path,
                memo=_("Contract %(n)s signed") % {"n": contract.number},
            )
        )
    if contract.repay_principal_fen:
        repay_line, term = contract.repay_budget_line, contract.repay_term_months
        fee_rate, overdue_rate = contract.fee_rate, contract.overdue_rate
        if repay_line is None or term is None or fee_rate is None or overdue_rate is None:
            raise ContractError(
                _("Repayable funding needs its terms: term, usage-fee rate and overdue rate.")
            )
        contract.repayable = _ledger(
            lambda: ledger.repayable_open(
                budget_line=repay_line,
                project_ref=application.number,
                borrower_name=payee,
                principal=fen_to_yuan(contract.repay_principal_fen),
                start_date=contract.end_date,
                term_months=term,
                grace_months=contract.repay_grace_months or 0,
                period_months=contract.repay_period_months or 6,
                method=contract.repay_method,
                fee_rate=fee_rate,
                overdue_rate=overdue_rate,
                actor=actor,
                scope_path=application.district.path,
                borrower_account=contract.payee_account,
                borrower_ref=application.organisation.credit_code
                if application.organisation
                else "",
            )
        )
    contract.status = Contract.Status.SIGNED
    contract.signed_by = actor
    contract.signed_at = clock.now()
    contract.save()
    application_take(
        application=application,
        name="sign_contract",
        actor=actor,
        reason=_("Contract %(n)s") % {"n": contract.number},
    )
    middle = contract.start_date + (contract.end_date - contract.start_date) / 2
    ProgressReport.objects.create(
        application=application,
        contract=contract,
        title=_("Mid-term progress report"),
        due_on=middle,
    )
    ProgressReport.objects.create(
        application=application,
        contract=contract,
        kind=ProgressReport.Kind.FINAL,
        title=_("Final report and fund-usage statement"),
        due_on=contract.end_date,
    )
    return contract


# --- tranches -------------------------------------------------------------------------------


def tranche_due(tranche: Tranche) -> bool:
    """Whether the tranche may be ordered now (its trigger has happened)."""
    application = tranche.contract.application
    if tranche.trigger == Tranche.Trigger.ON_SIGNING:
        return tranche.contract.status == Contract.Status.SIGNED
    if tranche.trigger == Tranche.Trigger.MIDTERM:
        return tranche.contract.reports.filter(
            kind=ProgressReport.Kind.PROGRESS, submitted_at__isnull=False
        ).exists()
    return application.status in (Application.Status.ACCEPTED,)


@transaction.atomic
def tranche_order(*, tranche: Tranche, actor: User) -> Disbursement:
    """Finance makes the 拨付单 of a tranche (maker); approval and payment follow in the
    ledger (a different person approves). Refused when the project may no longer receive
    money (``projects.payments``)."""
    # the lock order of ledger.locks: the application before its contract's tranches
    application = locks.lock_application(
        Tranche.objects.values_list("contract__application_id", flat=True).get(pk=tranche.pk)
    )
    refusal = payments.payment_refusal(application)
    if refusal:
        raise ContractError(refusal)
    tranche = (
        Tranche.objects.select_for_update(of=("self",))
        .select_related(
            "contract__application__organisation",
            "contract__budget_line",
            "contract__repay_budget_line",
            "contract__commitment",
            "contract__repayable",
        )
        .get(pk=tranche.pk)
    )
    contract = tranche.contract
    application = contract.application
    if not actor.has_perm("ledger.add_disbursement", None):
        raise ContractError(_("Only finance makes payment orders."))
    if tranche.status != Tranche.Status.PLANNED:
        raise ContractError(_("This tranche already has a payment order or is stopped."))
    if not tranche_due(tranche):
        raise ContractError(
            _("This tranche is not due yet (%(t)s).") % {"t": tranche.get_trigger_display()}
        )
    payee = (
        application.organisation.name if application.organisation else application.applicant_name
    )
    line = contract.repay_budget_line if tranche.repayable else contract.budget_line
    if line is None:
        raise ContractError(_("The contract has no budget line for this tranche."))
    disbursement = _ledger(
        lambda: ledger.disbursement_create(
            budget_line=line,
            amount=fen_to_yuan(tranche.amount_fen),
            payee_name=payee,
            payee_account=contract.payee_account,
            payee_bank=contract.payee_bank,
            actor=actor,
            commitment=None if tranche.repayable else contract.commitment,
            repayable=contract.repayable if tranche.repayable else None,
            project_ref=application.number,
            tranche_no=tranche.seq,
            payee_ref=application.organisation.credit_code if application.organisation else "",
            purpose=_("%(c)s tranche %(n)d") % {"c": contract.number, "n": tranche.seq},
        )
    )
    tranche.disbursement = disbursement
    tranche.status = Tranche.Status.ORDERED
    tranche.save(update_fields=["disbursement", "status"])
    return disbursement


def on_disbursement_paid(disbursement: Disbursement) -> None:
    """Registered with the ledger: the first paid money starts the project (实施中)."""
    if not disbursement.project_ref:
        return
    application = Application.objects.filter(number=disbursement.project_ref).first()
    if application is None:
        return
    if application.status == Application.Status.CONTRACTED or (
        application.status == Application.Status.APPROVED and application.is_award
    ):
        application_take(
            application=application,
            name="start",
            actor=None,
            reason=_("Payment %(n)s made") % {"n": disbursement.number},
        )


# --- progress reports and budget changes ----------------------------------------------------


def allowed_fen(contract: Contract, item: str) -> int:
    """What may be spent on ``item``: the contract amount (or the approved change) plus
    the programme's tolerance."""
    change = (
        contract.budget_changes.filter(item=item, status=BudgetChange.Status.APPROVED)
        .order_by("-decided_at")
        .first()
    )
    base = (
        change.new_amount_fen
        if change
        else (contract.budget.filter(item=item).values_list("amount_fen", flat=True).first() or 0)
    )
    tolerance = contract.application.call.programme.budget_item_tolerance_pct
    return base + base * tolerance // 100


def _check_report(
    report: ProgressReport,
    actor: User,
    text: str,
    actuals: dict[int, Decimal],
    spending: dict[str, Decimal],
) -> list[str]:
    problems = []
    if not actor.has_perm("projects.request_acceptance", report.application):
        return [_("Only the applicant files reports.")]
    if report.submitted_at is not None:
        return [_("This report has already been filed.")]
    if not text.strip():
        problems.append(_("The report text is required."))
    contract = report.contract
    if contract is not None:
        items = dict(ContractBudgetItem._meta.get_field("item").choices or [])
        tolerance = report.application.call.programme.budget_item_tolerance_pct
        for item, amount in spending.items():
            fen = yuan_to_fen(amount)
            allowed = allowed_fen(contract, item)
            if fen > allowed:
                problems.append(
                    _(
                        "%(item)s: %(spent)s yuan spent is more than the %(allowed)s yuan allowed (budget plus %(tol)d %%); "
                        "ask for a budget change (预算调剂) first."
                    )
                    % {
                        "item": items.get(item, item),
                        "spent": format_fen(fen),
                        "allowed": format_fen(allowed),
                        "tol": tolerance,
                    }
                )
        if set(actuals) - set(contract.indicators.values_list("pk", flat=True)):
            problems.append(_("Unknown indicator."))
    return problems


@transaction.atomic
def report_submit(
    *,
    report: ProgressReport,
    actor: User,
    text: str,
    actuals: dict[int, Decimal],
    spending: dict[str, Decimal],
) -> ProgressReport:
    """File a progress (or final) report. Spending above an item's allowance is refused,
    naming the item, unless a budget change has been approved for it."""
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("application__call__programme", "contract")
        .get(pk=report.pk)
    )
    problems = _check_report(report, actor, text, actuals, spending)
    if problems:
        raise ContractError(problems[0], reasons=problems)
    for indicator_id, value in actuals.items():
        IndicatorActual.objects.create(report=report, indicator_id=indicator_id, value=value)
    for item, amount in spending.items():
        Spending.objects.create(report=report, item=item, amount_fen=yuan_to_fen(amount))
    report.text = text.strip()
    report.submitted_at = clock.now()
    report.submitted_by = actor
    report.save()
    return report


@transaction.atomic
def report_read(*, report: ProgressReport, actor: User) -> ProgressReport:
    if not actor.has_perm("projects.contract_application", report.application):
        raise ContractError(_("You may not mark this report read."))
    report.read_at, report.read_by = clock.now(), actor
    report.save(update_fields=["read_at", "read_by"])
    return report


@transaction.atomic
def _check_items_fit(contract: Contract, item: str, new_fen: int) -> None:
    """The items after the approved changes and this one may not add up to more than
    the contract: checked when asked and again when approved (two requests may each fit
    alone and not together)."""
    current = {b.item: b.amount_fen for b in contract.budget.all()}
    for change in contract.budget_changes.filter(status=BudgetChange.Status.APPROVED).order_by(
        "decided_at", "pk"
    ):
        current[change.item] = change.new_amount_fen
    current[item] = new_fen
    if sum(current.values()) > contract.amount_fen:
        raise ContractError(
            _(
                "The items would add up to %(total)s yuan, more than the contract's %(amount)s yuan: lower another item first."
            )
            % {
                "total": format_fen(sum(current.values())),
                "amount": format_fen(contract.amount_fen),
            }
        )


def budget_change_request(
    *, contract: Contract, item: str, new_amount: Decimal, reason: str, actor: User
) -> BudgetChange:
    """预算调剂: move money between items; the contract total cannot grow."""
    if not actor.has_perm("projects.request_acceptance", contract.application):
        raise ContractError(_("Only the applicant asks for a budget change."))
    if not reason.strip():
        raise ContractError(_("A reason is required."))
    new_fen = yuan_to_fen(new_amount)
    _check_items_fit(contract, item, new_fen)
    return BudgetChange.objects.create(
        contract=contract,
        item=item,
        new_amount_fen=new_fen,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=clock.now(),
    )


@transaction.atomic
def budget_change_decide(*, change: BudgetChange, approve: bool, actor: User) -> BudgetChange:
    change = (
        BudgetChange.objects.select_for_update(of=("self",))
        .select_related("contract__application")
        .get(pk=change.pk)
    )
    if not actor.has_perm("projects.contract_application", change.contract.application):
        raise ContractError(_("You may not decide on this budget change."))
    if change.status != BudgetChange.Status.REQUESTED:
        raise ContractError(_("This budget change is already decided."))
    if approve:
        # one approval at a time per contract, so two cannot both fit on their own
        contract = Contract.objects.select_for_update().get(pk=change.contract_id)
        _check_items_fit(contract, change.item, change.new_amount_fen)
    change.status = BudgetChange.Status.APPROVED if approve else BudgetChange.Status.REJECTED
    change.decided_by, change.decided_at = actor, clock.now()
    change.save()
    return change
