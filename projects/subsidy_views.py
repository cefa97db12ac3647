"""Pages of 贷款贴息 and 核减: the applicant states the loan, the approving officer cuts
the amount, the applicant re-spreads the 任务书 budget, finance records a bank interest
certificate. Each page authorises, binds its form, calls one service."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from core.http import form_errors_to_messages
from funding.models import Instrument

from . import cuts, subsidy
from .contract_views import _application, _contract, _run, _to_draft_order
from .funding_models import Loan
from .models import PROJECT_BUDGET_ITEMS, Application, Contract
from .subsidy_forms import ApprovalCutForm, InterestCertificateForm, LoanForm


def can_cut(user: Any, application: Application) -> bool:
    return (
        not application.is_award
        and application.status in cuts.CUTTABLE
        and not Contract.objects.filter(application=application).exists()
        and user.has_perm("projects.decide_application", application)
    )


def application_money_context(application: Application, user: Any) -> dict[str, Any]:
    """The application page's loan, cuts and the links to state the loan or cut."""
    offers_subsidy = Instrument.INTEREST_SUBSIDY in (application.call.programme.instruments or [])
    return {
        "loan": Loan.objects.filter(application=application).first(),
        "cuts": list(application.cuts.select_related("cut_by")),
        "can_state_loan": offers_subsidy
        and not application.is_award
        and user.has_perm("projects.change_application", application),
        "can_cut": can_cut(user, application),
    }


def contract_money_context(contract: Contract, user: Any) -> dict[str, Any]:
    """The 任务书 page's subsidy block, the budget check and the forms."""
    application = contract.application
    overview = subsidy.subsidy_overview(contract)
    return {
        "subsidy_overview": overview,
        "budget_problem": cuts.budget_problem(contract),
        "can_respread": contract.status == Contract.Status.DRAFT
        and user.has_perm("projects.request_acceptance", application),
        "can_claim_subsidy": overview is not None
        and contract.status == Contract.Status.SIGNED
        and user.has_perm("ledger.add_disbursement", None),
        "certificate_form": InterestCertificateForm(),
    }


def loan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if not application_money_context(application, request.user)["can_state_loan"]:
        raise PermissionDenied
    loan = Loan.objects.filter(application=application).first()
    initial = (
        {
            "bank": loan.bank,
            "contract_no": loan.contract_no,
            "principal": loan.principal_fen / 100,
            "annual_rate_pct": (loan.annual_rate * 100).normalize(),
            "start_date": loan.start_date,
            "term_months": loan.term_months,
        }
        if loan
        else {}
    )
    form = LoanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["annual_rate"] = data.pop("annual_rate_pct") / 100
        saved = _run(
            request,
            lambda: subsidy.loan_save(application=application, actor=actor_of(request), **data),
            _("The loan is saved."),
        )
        if saved:
            return redirect("application_detail", pk=application.pk)
    return render(request, "projects/loan_form.html", {"form": form, "application": application})


def application_cut(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if not can_cut(request.user, application):
        raise PermissionDenied
    initial = {
        f"amount_{f.instrument}": (f.approved_fen or f.amount_fen) / 100
        for f in application.funding.all()
    }
    for cut in application.cuts.all():
        initial[f"amount_{cut.instrument}"] = cut.approved_fen / 100
    form = ApprovalCutForm(request.POST or None, application=application, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: cuts.approval_cut(
                application=application,
                amounts=form.amounts(),
                reason=form.cleaned_data["reason"],
                actor=actor_of(request),
            ),
            _(
                "The approved amount is cut (核减); the applicant re-spreads the budget before the 任务书 is signed."
            ),
        )
        if done:
            return redirect("application_detail", pk=application.pk)
    return render(
        request,
        "projects/cut_form.html",
        {"form": form, "application": application, "funding": application.funding.all()},
    )


def contract_respread(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    if not contract_money_context(contract, request.user)["can_respread"]:
        raise PermissionDenied
    from .subsidy_forms import RespreadForm

    items = [str(i) for i in PROJECT_BUDGET_ITEMS]
    initial = {f"item_{b.item}": b.amount_fen / 100 for b in contract.budget.all()}
    form = RespreadForm(request.POST or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: cuts.contract_budget_respread(
                contract=contract, items=form.spread(), actor=actor_of(request)
            ),
            _("The budget is re-spread."),
        )
        if done:
            return redirect("contract_detail", pk=contract.pk)
    asked = contract.application.budget_items.all()
    return render(
        request,
        "projects/respread_form.html",
        {"form": form, "contract": contract, "application": contract.application, "asked": asked},
    )


@require_POST
def subsidy_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    if not contract_money_context(contract, request.user)["can_claim_subsidy"]:
        raise PermissionDenied
    form = InterestCertificateForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("contract_detail", pk=contract.pk)
    data = form.cleaned_data
    certificate = _run(
        request,
        lambda: subsidy.subsidy_claim(
            contract=contract,
            actor=actor_of(request),
            number=data["number"],
            period_from=data["period_from"],
            period_to=data["period_to"],
            interest_paid=data["interest_paid"],
            amount=data.get("amount"),
        ),
        _("The certificate is recorded and the subsidy's payment order made as a draft."),
    )
    if certificate:
        return _to_draft_order(request, certificate.disbursement)
    return redirect("contract_detail", pk=contract.pk)
