"""The award flow's money (以奖代补): the budget indicator the city issues to each district
(once per call and district; a supplement 追加 only as its own action, approved by a second
person), the district's payment order for each award, and the award's report date.

Refusals are ``ContractError``, whose message the user sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from core import clock
from core.money import fen_to_yuan, format_fen
from funding.models import Call, Flow
from ledger import services as ledger
from ledger.models import BudgetIndicator, BudgetLine, Disbursement, IndicatorSupplement

from . import locks, payments
from .contracts import ContractError, _ledger
from .models import (
    Application,
    ProgressReport,
)


def call_reference(call: Call) -> str:
    """What the ledger's indicators of an award call are issued for (``reference``)."""
    return f"call:{call.pk}"


def awards_of(call: Call, district: OrgUnit) -> Any:
    """The district's granted awards of the call that may still be paid."""
    return Application.objects.filter(
        call=call, district=district, approved_amount_fen__isnull=False
    ).exclude(status__in=list(payments.MONEY_STOPS))


def _city_line(call: Call) -> BudgetLine:
    line = (
        BudgetLine.objects.filter(
            programme_code=call.programme.code,
            year=call.year,
            scope_path=call.programme.owner_unit.path,
        )
        .order_by("code")
        .first()
    )
    if line is None:
        raise ContractError(
            _("No budget line of %(p)s %(y)s exists yet.")
            % {"p": call.programme.name, "y": call.year}
        )
    return line


def issued_fen(call: Call, district: OrgUnit) -> int:
    """What the city has issued to the district for the call (indicator and supplements)."""
    return (
        BudgetIndicator.objects.filter(
            reference=call_reference(call), to_line__scope_path=district.path
        ).aggregate(t=Sum("amount_fen"))["t"]
        or 0
    )


def _awards_total(call: Call, district: OrgUnit) -> int:
    return awards_of(call, district).aggregate(t=Sum("approved_amount_fen"))["t"] or 0


def _check_award_call(call: Call, actor: User, permission: str) -> None:
    if not actor.has_perm(permission, call):
        raise ContractError(_("Only the city's finance staff issue the budget indicators."))
    if call.programme.flow != Flow.AWARD:
        raise ContractError(_("Budget indicators are for the award flow."))


@transaction.atomic
def award_indicator_issue(
    *, call: Call, district: OrgUnit, actor: User, value_date: dt.date, document_no: str
) -> BudgetIndicator:
    """预算指标下达: early the next year the city gives the district's finance bureau the
    total of its awards; the district then pays its awardees. Once per call and district
    (the ledger refuses a second one, naming the first); more later is a supplement."""
    _check_award_call(call, actor, "projects.issue_award_indicator")
    total = _awards_total(call, district)
    if not total:
        raise ContractError(_("%(d)s has no awards in this call.") % {"d": district})
    line = _city_line(call)
    indicator: BudgetIndicator = _ledger(
        lambda: ledger.budget_indicator_issue(
            from_line=line,
            district_scope_path=district.path,
            district_name=district.name,
            amount=fen_to_yuan(total),
            value_date=value_date,
            document_no=document_no,
            actor=actor,
            reference=call_reference(call),
        )
    )
    return indicator


def _shortfall(call: Call, district: OrgUnit) -> int:
    return _awards_total(call, district) - issued_fen(call, district)


@transaction.atomic
def award_indicator_supplement_request(
    *,
    call: Call,
    district: OrgUnit,
    actor: User,
    value_date: dt.date,
    document_no: str,
    reason: str,
) -> IndicatorSupplement:
    """追加: the district's awards now need more than was issued (an award granted after
    the indicator, say): finance asks for the difference, with a reason; a second person
    approves it (``award_indicator_supplement_decide``)."""
    _check_award_call(call, actor, "projects.issue_award_indicator")
    indicator = BudgetIndicator.objects.filter(
        reference=call_reference(call),
        to_line__scope_path=district.path,
        kind=BudgetIndicator.Kind.ISSUE,
    ).first()
    if indicator is None:
        raise ContractError(_("Issue the budget indicator first; a supplement adds to it."))
    shortfall = _shortfall(call, district)
    if shortfall <= 0:
        raise ContractError(
            _(
                "%(d)s has been issued %(issued)s yuan, which covers its awards of %(total)s "
                "yuan: there is nothing to supplement."
            )
            % {
                "d": district,
                "issued": format_fen(issued_fen(call, district)),
                "total": format_fen(_awards_total(call, district)),
            }
        )
    supplement: IndicatorSupplement = _ledger(
        lambda: ledger.indicator_supplement_request(
            indicator=indicator,
            amount=fen_to_yuan(shortfall),
            document_no=document_no,
            value_date=value_date,
            reason=reason,
            actor=actor,
        )
    )
    return supplement


@transaction.atomic
def award_indicator_supplement_decide(
    *, supplement: IndicatorSupplement, approve: bool, actor: User, call: Call
) -> IndicatorSupplement:
    """The second person approves (posted) or rejects a supplement; approving is refused
    if the awards no longer need it (an award was disqualified meanwhile)."""
    _check_award_call(call, actor, "projects.approve_award_indicator")
    if supplement.indicator.reference != call_reference(call):
        raise ContractError(_("This supplement belongs to another call."))
    if not approve:
        decided: IndicatorSupplement = _ledger(
            lambda: ledger.indicator_supplement_reject(supplement=supplement, actor=actor)
        )
        return decided
    district = OrgUnit.objects.get(path=supplement.indicator.to_line.scope_path)
    shortfall = _shortfall(call, district)
    if supplement.amount_fen > shortfall:
        raise ContractError(
            _(
                "The supplement of %(amount)s yuan is more than the awards still need "
                "(%(short)s yuan): reject it and ask again."
            )
            % {"amount": format_fen(supplement.amount_fen), "short": format_fen(max(shortfall, 0))}
        )
    approved: IndicatorSupplement = _ledger(
        lambda: ledger.indicator_supplement_approve(supplement=supplement, actor=actor)
    )
    return approved


@transaction.atomic
def award_pay_order(
    *, application: Application, actor: User, payee_account: str, payee_bank: str = ""
) -> Disbursement:
    """The district finance bureau commits the award on its line and makes the 拨付单."""
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.pay_award", application):
        raise ContractError(
            _("Only the finance staff of %(d)s pay its awards.") % {"d": application.district}
        )
    if not application.is_award or application.status != Application.Status.APPROVED:
        raise ContractError(_("Only a granted award is paid this way."))
    earlier = (
        Disbursement.objects.filter(project_ref=application.number)
        .exclude(status__in=[Disbursement.Status.CANCELLED, Disbursement.Status.REJECTED])
        .first()
    )
    if earlier is not None:
        raise ContractError(
            _("Payment order %(n)s of this award already exists.") % {"n": earlier.number}
        )
    line = BudgetLine.objects.filter(
        programme_code=application.call.programme.code,
        year=application.call.year,
        scope_path=application.district.path,
    ).first()
    if line is None:
        raise ContractError(
            _("The city has not issued the budget indicator to %(d)s yet.")
            % {"d": application.district}
        )
    payee = application.applicant_name
    award_fen = application.approved_amount_fen
    if award_fen is None:
        raise ContractError(_("Only a granted award is paid this way."))
    commitment = _ledger(
        lambda: ledger.commitment_post(
            budget_line=line,
            project_ref=application.number,
            amount=fen_to_yuan(award_fen),
            value_date=clock.today(),
            actor=actor,
            payee_name=payee,
            scope_path=application.district.path,
        )
    )
    disbursement = _ledger(
        lambda: ledger.disbursement_create(
            budget_line=line,
            amount=fen_to_yuan(award_fen),
            payee_name=payee,
            payee_account=payee_account,
            payee_bank=payee_bank,
            actor=actor,
            commitment=commitment,
            project_ref=application.number,
            purpose=_("Award %(n)s") % {"n": application.number},
        )
    )
    return disbursement


def award_report_schedule(application: Application) -> ProgressReport:
    """The acceptance and fund-usage report of an award is due on 31 October of the year
    after the call (by the award rules); acceptance follows by the end of that year."""
    report, _created = ProgressReport.objects.get_or_create(
        application=application,
        kind=ProgressReport.Kind.FINAL,
        defaults={
            "title": _("Acceptance report and fund-usage statement"),
            "due_on": dt.date(application.call.year + 1, 10, 31),
        },
    )
    return report
