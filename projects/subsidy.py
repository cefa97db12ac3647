"""贷款贴息: the loan behind the application, and the subsidy paid against each bank
interest certificate (银行付息凭证).

For one certificate (period ``from``–``to`` inclusive, interest paid ``I``):

    subsidy = min(I × share, interest at the benchmark rate for the period (if the
                  programme caps at it), approved subsidy not yet claimed)

Interest for a period is principal × annual rate × days / 360 (the banks' 日利率 =
年利率 / 360), each figure rounded half up to the fen. The certificate's period lies
inside the loan, never in the future, and overlaps no earlier certificate of the same
loan. The payment is a 拨付单 on the subsidy's own budget line against its commitment:
maker-checker and payment go through the ledger like every other payment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from core.money import MoneyError, fen_to_yuan, format_fen, yuan_to_fen
from core.numbers import format_rate
from funding.models import Instrument, Programme
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import Disbursement

from . import locks, payments
from .funding_models import MAX_LOAN_MONTHS, ContractSubsidy, InterestCertificate, Loan
from .models import Application, Contract
from .services import ApplicationError

# orders that no longer take money from the approved subsidy
DEAD_ORDERS = (
    Disbursement.Status.CANCELLED,
    Disbursement.Status.REJECTED,
    Disbursement.Status.RETURNED,
)
DAYS_IN_YEAR = 360


class SubsidyError(ApplicationError):
    pass


def _fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_days(period_from: dt.date, period_to: dt.date) -> int:
    return (period_to - period_from).days + 1


def interest_fen(principal_fen: int, annual_rate: Decimal, days: int) -> int:
    """Interest on ``principal_fen`` at ``annual_rate`` for ``days`` days (360-day year)."""
    return _fen(Decimal(principal_fen) * annual_rate * days / DAYS_IN_YEAR)


def loan_interest_fen(loan: Loan) -> int:
    """The loan's whole interest at its own rate over its term (a ceiling for the subsidy
    asked)."""
    return interest_fen(
        loan.principal_fen, loan.annual_rate, period_days(loan.start_date, loan.end_date)
    )


# --- the loan, stated by the applicant ---------------------------------------------------


@transaction.atomic
def loan_save(
    *,
    application: Application,
    actor: User,
    bank: str,
    contract_no: str,
    principal: Decimal,
    annual_rate: Decimal,
    start_date: dt.date,
    term_months: int,
) -> Loan:
    """State (or correct) the bank loan behind a 贷款贴息 application, while it can be
    edited."""
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.change_application", application):
        raise SubsidyError(
            _("%(number)s can no longer be edited (it is “%(state)s”).")
            % {"number": application.number, "state": application.get_status_display()}
        )
    if Instrument.INTEREST_SUBSIDY not in application.call.programme.instruments:
        raise SubsidyError(_("This programme does not pay loan-interest subsidies."))
    problems = []
    bank, contract_no = (bank or "").strip(), (contract_no or "").strip()
    if not bank or len(bank) > 100:
        problems.append(_("Lending bank: required, at most 100 characters."))
    if not contract_no or len(contract_no) > 60:
        problems.append(_("Loan contract number: required, at most 60 characters."))
    try:
        principal_fen = yuan_to_fen(principal)
        if principal_fen <= 0:
            problems.append(_("Loan principal: must be more than 0 yuan."))
    except MoneyError as error:
        principal_fen = 0
        problems.append(_("Loan principal: %(e)s") % {"e": error})
    if annual_rate is None or not (Decimal(0) < annual_rate <= 1):
        problems.append(_("Annual interest rate: above 0 and at most 100 %."))
    if not (1 <= int(term_months or 0) <= MAX_LOAN_MONTHS):
        problems.append(_("Loan term: 1 to %(n)d months.") % {"n": MAX_LOAN_MONTHS})
    if problems:
        raise SubsidyError(problems[0], reasons=problems)
    loan, _created = Loan.objects.update_or_create(
        application=application,
        defaults={
            "bank": bank,
            "contract_no": contract_no,
            "principal_fen": principal_fen,
            "annual_rate": annual_rate,
            "start_date": start_date,
            "term_months": term_months,
        },
    )
    loan.full_clean()
    return loan


def loan_problems(application: Application) -> list[str]:
    """What stops a 贷款贴息 application from being submitted (none for the others)."""
    asked = next(
        (
            f.amount_fen
            for f in application.funding.all()
            if f.instrument == Instrument.INTEREST_SUBSIDY
        ),
        0,
    )
    if not asked:
        return []
    loan = Loan.objects.filter(application=application).first()
    if loan is None:
        return [
            _(
                "State the bank loan behind the interest subsidy: bank, loan contract number, "
                "principal, rate, start date and term."
            )
        ]
    whole = loan_interest_fen(loan)
    if asked > whole:
        return [
            _(
                "The interest subsidy asked (%(a)s yuan) is more than the loan's whole interest "
                "(%(i)s yuan)."
            )
            % {"a": format_fen(asked), "i": format_fen(whole)}
        ]
    return []


# --- the subsidy against a certificate ------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """The figures of one certificate's subsidy (fen)."""

    share_fen: int
    benchmark_fen: int | None
    remaining_fen: int

    @property
    def cap_fen(self) -> int:
        caps = [self.share_fen, self.remaining_fen]
        if self.benchmark_fen is not None:
            caps.append(self.benchmark_fen)
        return max(0, min(caps))

    def binding_rule(self, programme: Programme) -> str:
        """Which rule sets the cap, in words."""
        if self.cap_fen == self.remaining_fen:
            return _("the approved subsidy not yet claimed is %(r)s yuan") % {
                "r": format_fen(self.remaining_fen)
            }
        if self.benchmark_fen is not None and self.cap_fen == self.benchmark_fen:
            return _("interest at the benchmark rate %(rate)s for the period is %(b)s yuan") % {
                "rate": format_rate(programme.subsidy_benchmark_rate),
                "b": format_fen(self.benchmark_fen),
            }
        return _("%(pct)s %% of the interest paid is %(s)s yuan") % {
            "pct": programme.subsidy_share_pct,
            "s": format_fen(self.share_fen),
        }


def claimed_fen(subsidy: ContractSubsidy) -> int:
    """What earlier certificates took from the approved subsidy (orders still alive)."""
    return (
        subsidy.certificates.exclude(disbursement__status__in=DEAD_ORDERS).aggregate(
            t=Sum("subsidy_fen")
        )["t"]
        or 0
    )


def paid_fen(subsidy: ContractSubsidy) -> int:
    return (
        subsidy.certificates.filter(
            disbursement__status__in=[Disbursement.Status.PAID, Disbursement.Status.RECONCILED]
        ).aggregate(t=Sum("subsidy_fen"))["t"]
        or 0
    )


def subsidy_quote(
    subsidy: ContractSubsidy,
    *,
    loan: Loan,
    programme: Programme,
    period_from: dt.date,
    period_to: dt.date,
    interest_paid_fen: int,
) -> Quote:
    share = _fen(Decimal(interest_paid_fen) * programme.subsidy_share_pct / 100)
    benchmark = None
    if programme.subsidy_cap_at_benchmark and programme.subsidy_benchmark_rate:
        benchmark = interest_fen(
            loan.principal_fen,
            programme.subsidy_benchmark_rate,
            period_days(period_from, period_to),
        )
    return Quote(
        share_fen=share,
        benchmark_fen=benchmark,
        remaining_fen=subsidy.amount_fen - claimed_fen(subsidy),
    )


def _certificate_problems(
    subsidy: ContractSubsidy,
    loan: Loan,
    number: str,
    period_from: dt.date,
    period_to: dt.date,
) -> list[str]:
    problems = []
    if not number or len(number) > 60:
        problems.append(_("Certificate number: required, at most 60 characters."))
    else:
        earlier = (
            InterestCertificate.objects.filter(number=number)
            .select_related("subsidy__contract")
            .first()
        )
        if earlier is not None:
            problems.append(
                _(
                    "Certificate %(n)s is already recorded (任务书 %(c)s); a certificate is paid once."
                )
                % {"n": number, "c": earlier.subsidy.contract.number}
            )
    if period_from > period_to:
        problems.append(_("The interest period ends before it starts."))
        return problems
    if period_from < loan.start_date or period_to > loan.end_date:
        problems.append(
            _(
                "The period %(f)s – %(t)s lies outside the loan (%(s)s – %(e)s); only interest of "
                "the loan stated in the application is subsidised."
            )
            % {"f": period_from, "t": period_to, "s": loan.start_date, "e": loan.end_date}
        )
    if period_to > clock.today():
        problems.append(
            _("The interest period ends in the future; interest not yet paid is not subsidised.")
        )
    overlap = (
        subsidy.certificates.exclude(disbursement__status__in=DEAD_ORDERS)
        .filter(period_from__lte=period_to, period_to__gte=period_from)
        .first()
    )
    if overlap is not None:
        problems.append(
            _("The period overlaps certificate %(n)s (%(f)s – %(t)s); interest is subsidised once.")
            % {"n": overlap.number, "f": overlap.period_from, "t": overlap.period_to}
        )
    return problems


@transaction.atomic
def subsidy_claim(
    *,
    contract: Contract,
    actor: User,
    number: str,
    period_from: dt.date,
    period_to: dt.date,
    interest_paid: Decimal,
    amount: Decimal | None = None,
) -> InterestCertificate:
    """Finance records a bank interest certificate and makes the 拨付单 of its subsidy
    (maker; a second person approves it in the ledger). ``amount`` (yuan) is what is
    asked; left out, the cap is paid. Refused above the cap, naming the rule that sets it.

    Locks (``ledger.locks`` level 1): the application, then the contract's subsidy;
    the ledger locks its own rows after."""
    application = locks.lock_application(
        Contract.objects.values_list("application_id", flat=True).get(pk=contract.pk)
    )
    if not actor.has_perm("ledger.add_disbursement", None):
        raise SubsidyError(_("Only finance makes payment orders."))
    refusal = payments.payment_refusal(application)
    if refusal:
        raise SubsidyError(refusal)
    subsidy = (
        ContractSubsidy.objects.select_for_update(of=("self",))
        .select_related("contract", "budget_line", "commitment")
        .filter(contract_id=contract.pk)
        .first()
    )
    if subsidy is None:
        raise SubsidyError(_("This 任务书 has no loan-interest subsidy."))
    contract = subsidy.contract
    if contract.status != Contract.Status.SIGNED or subsidy.commitment is None:
        raise SubsidyError(_("The subsidy is paid once the 任务书 is signed."))
    loan = Loan.objects.filter(application=application).first()
    if loan is None:
        raise SubsidyError(_("The application states no bank loan."))
    number = (number or "").strip()
    problems = _certificate_problems(subsidy, loan, number, period_from, period_to)
    try:
        interest = yuan_to_fen(interest_paid)
        if interest <= 0:
            problems.append(_("Interest paid: must be more than 0 yuan."))
    except MoneyError as error:
        interest = 0
        problems.append(_("Interest paid: %(e)s") % {"e": error})
    if problems:
        raise SubsidyError(problems[0], reasons=problems)
    programme = application.call.programme
    quote = subsidy_quote(
        subsidy,
        loan=loan,
        programme=programme,
        period_from=period_from,
        period_to=period_to,
        interest_paid_fen=interest,
    )
    cap = quote.cap_fen
    if cap <= 0:
        raise SubsidyError(
            _("Nothing can be paid on this certificate: %(why)s.")
            % {"why": quote.binding_rule(programme)}
        )
    fen = cap
    if amount is not None:
        try:
            fen = yuan_to_fen(amount)
        except MoneyError as error:
            raise SubsidyError(_("Subsidy asked: %(e)s") % {"e": error}) from error
        if fen <= 0:
            raise SubsidyError(_("Subsidy asked: must be more than 0 yuan."))
        if fen > cap:
            raise SubsidyError(
                _("%(a)s yuan is above the cap of %(c)s yuan: %(why)s.")
                % {
                    "a": format_fen(fen),
                    "c": format_fen(cap),
                    "why": quote.binding_rule(programme),
                }
            )
    payee = (
        application.organisation.name if application.organisation else application.applicant_name
    )
    seq = subsidy.certificates.count() + 1
    try:
        disbursement = ledger.disbursement_create(
            budget_line=subsidy.budget_line,
            amount=fen_to_yuan(fen),
            payee_name=payee,
            payee_account=contract.payee_account,
            payee_bank=contract.payee_bank,
            actor=actor,
            commitment=subsidy.commitment,
            project_ref=application.number,
            tranche_no=seq,
            payee_ref=application.organisation.credit_code if application.organisation else "",
            purpose=_("%(c)s interest subsidy, certificate %(n)s")
            % {"c": contract.number, "n": number},
        )
    except LedgerError as error:
        raise SubsidyError(str(error)) from error
    certificate = InterestCertificate(
        subsidy=subsidy,
        number=number,
        period_from=period_from,
        period_to=period_to,
        interest_paid_fen=interest,
        share_fen=quote.share_fen,
        benchmark_fen=quote.benchmark_fen,
        remaining_fen=quote.remaining_fen,
        subsidy_fen=fen,
        disbursement=disbursement,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    certificate.full_clean()
    certificate.save()
    return certificate


def subsidy_overview(contract: Contract) -> dict[str, Any] | None:
    """The subsidy block of the 任务书 page: approved, claimed, paid, the certificates."""
    subsidy = ContractSubsidy.objects.filter(contract=contract).first()
    if subsidy is None:
        return None
    return {
        "subsidy": subsidy,
        "loan": Loan.objects.filter(application_id=contract.application_id).first(),
        "claimed_fen": claimed_fen(subsidy),
        "paid_fen": paid_fen(subsidy),
        "left_fen": subsidy.amount_fen - claimed_fen(subsidy),
        "certificates": list(
            subsidy.certificates.select_related("disbursement").order_by("period_from")
        ),
    }
