"""经费决算 and 结余 at closing.

* The acceptance request states what was spent per budget item of the 任务书 (the final
  report's spending): each item, and all items together, no more than the money of the
  contract paid or to be paid to the unit (its tranches not stopped).
* At closing (``closing.project_close``) the 结余 is the money paid minus what was spent,
  never below zero, and never more than the grant paid (repayable money goes back through
  its schedule). The programme's rule decides: returned (a receivable posted by
  ``ledger.services.surplus_due_post``; its receipt is matched from the bank statement) or
  kept by the unit (留用: recorded, nothing posted).

Refusals are ``ContractError``, whose message the user sees."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.money import format_fen, yuan_to_fen
from funding.models import SurplusRule
from ledger import services as ledger
from ledger.models import Disbursement

from .contracts import ContractError, _ledger
from .models import Acceptance, Application, BudgetItem, Contract, Tranche
from .surplus_models import AcceptanceSpending, ClosingSurplus

PAID = (Disbursement.Status.PAID, Disbursement.Status.RECONCILED)


def _tranches(contract: Contract, *, repayable: bool | None = None) -> list[Tranche]:
    tranches = contract.tranches.exclude(status=Tranche.Status.STOPPED).select_related(
        "disbursement"
    )
    if repayable is not None:
        tranches = tranches.filter(repayable=repayable)
    return list(tranches)


def funded_fen(contract: Contract) -> int:
    """The contract's money paid or still to be paid to the unit (tranches not stopped)."""
    return sum(t.amount_fen for t in _tranches(contract))


def paid_fen(contract: Contract, *, repayable: bool | None = None) -> int:
    """The contract's money the bank has paid to the unit."""
    return sum(
        t.disbursement.amount_fen
        for t in _tranches(contract, repayable=repayable)
        if t.disbursement is not None and t.disbursement.status in PAID
    )


def final_spending_check(contract: Contract, spending: dict[str, Decimal]) -> dict[str, int]:
    """The 决算 in fen for every item of the 任务书 (an item not stated spent nothing);
    refuses an item outside the 任务书 and an amount above the money of the contract,
    naming the item."""
    budget = {b.item: b.amount_fen for b in contract.budget.all()}
    funded = funded_fen(contract)
    spent: dict[str, int] = {item: 0 for item in budget}
    for item, amount in spending.items():
        label = BudgetItem(item).label if item in BudgetItem.values else item
        if item not in budget:
            raise ContractError(
                _("%(item)s is not an item of the contract's budget.") % {"item": label}
            )
        fen = yuan_to_fen(amount)
        if fen < 0:
            raise ContractError(
                _("%(item)s: the amount spent cannot be negative.") % {"item": label}
            )
        if fen > funded:
            raise ContractError(
                _(
                    "%(item)s: %(spent)s yuan spent is more than the %(paid)s yuan paid or to "
                    "be paid to the unit under the contract."
                )
                % {"item": label, "spent": format_fen(fen), "paid": format_fen(funded)}
            )
        spent[item] = fen
    total = sum(spent.values())
    if total > funded:
        raise ContractError(
            _(
                "The items spent add up to %(spent)s yuan, more than the %(paid)s yuan paid or "
                "to be paid to the unit under the contract."
            )
            % {"spent": format_fen(total), "paid": format_fen(funded)}
        )
    return spent


def final_spending_record(
    acceptance: Acceptance, contract: Contract, spent: dict[str, int]
) -> None:
    budget = {b.item: b.amount_fen for b in contract.budget.all()}
    AcceptanceSpending.objects.bulk_create(
        AcceptanceSpending(acceptance=acceptance, item=item, budget_fen=budget[item], spent_fen=fen)
        for item, fen in spent.items()
    )


@dataclass(frozen=True)
class SurplusFigures:
    """The 决算 of an acceptance as the officer and finance read it."""

    rows: list[AcceptanceSpending]
    budget_fen: int
    spent_fen: int
    paid_fen: int
    grant_paid_fen: int
    to_pay_fen: int
    surplus_fen: int
    rule: str
    rule_label: str
    closing: ClosingSurplus | None


def _surplus_of(paid: int, grant_paid: int, spent: int) -> int:
    return min(grant_paid, max(0, paid - spent))


def surplus_figures(acceptance: Acceptance) -> SurplusFigures | None:
    """None when the acceptance has no 决算 (an award, or an acceptance filed before
    the 决算 was asked)."""
    rows = list(acceptance.final_spending.all())
    if not rows:
        return None
    application = acceptance.application
    contract = Contract.objects.filter(application=application).first()
    paid = paid_fen(contract) if contract else 0
    grant_paid = paid_fen(contract, repayable=False) if contract else 0
    funded = funded_fen(contract) if contract else 0
    spent = sum(r.spent_fen for r in rows)
    rule = application.call.programme.surplus_rule
    closing = ClosingSurplus.objects.filter(application=application).first()
    return SurplusFigures(
        rows=rows,
        budget_fen=sum(r.budget_fen for r in rows),
        spent_fen=spent,
        paid_fen=paid,
        grant_paid_fen=grant_paid,
        to_pay_fen=funded - paid,
        surplus_fen=_surplus_of(paid, grant_paid, spent),
        rule=rule,
        rule_label=str(SurplusRule(rule).label),
        closing=closing,
    )


def surplus_settle(*, application: Application, contract: Contract, actor: User) -> None:
    """At closing, under the application's lock: the 结余 of the last acceptance with a
    决算 is recorded, and posted due back when the programme recovers it. Nothing to do
    without a 决算, or when it is already recorded."""
    if ClosingSurplus.objects.filter(application=application).exists():
        return
    acceptance = (
        Acceptance.objects.filter(application=application, final_spending__isnull=False)
        .order_by("-round")
        .first()
    )
    if acceptance is None:
        return
    spent = sum(r.spent_fen for r in acceptance.final_spending.all())
    paid = paid_fen(contract)
    grant_paid = paid_fen(contract, repayable=False)
    surplus = _surplus_of(paid, grant_paid, spent)
    rule = application.call.programme.surplus_rule
    due = None
    if rule == SurplusRule.RETURN and surplus:
        line = contract.budget_line
        if line is None:
            raise ContractError(_("The contract has no budget line to return the balance to."))
        payer = (
            application.organisation.name
            if application.organisation
            else application.applicant_name
        )
        due = _ledger(
            lambda: ledger.surplus_due_post(
                project_ref=application.number,
                budget_line=line,
                amount=Decimal(surplus) / 100,
                payer_name=payer,
                payer_account=contract.payee_account,
                scope_path=application.scope_path,
                value_date=clock.today(),
                actor=actor,
            )
        )
    ClosingSurplus.objects.create(
        application=application,
        acceptance=acceptance,
        paid_fen=paid,
        spent_fen=spent,
        surplus_fen=surplus,
        rule=rule,
        surplus_return=due,
        recorded_by=actor,
    )
