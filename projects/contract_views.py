"""Pages of the contract stage: the 任务书, tranches, reports, budget changes, acceptance,
the award's budget indicator and payment order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from accounts.models import OrgUnit
from core import clock
from core.confirm import confirmation_needed
from core.http import form_errors_to_messages, run_service
from core.pdf import PDF_CONTENT_TYPE
from funding.models import Call

from . import contracts, documents, selectors
from .contract_forms import (
    AwardPayForm,
    BudgetChangeForm,
    ContractForm,
    IndicatorIssueForm,
    ReportForm,
)
from .models import Acceptance, Application, BudgetChange, Contract, ProgressReport, Tranche
from .services import ApplicationError


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    return run_service(request, action, success, refusals=(ApplicationError,))


# What cannot be undone, by the name of the action (a payment order can still be
# cancelled, a budget change request is decided by the officer).
CONTRACT_ACTIONS_TO_CONFIRM = {
    "confirm": gettext_lazy("I have read and confirm the contract"),
    "sign": gettext_lazy("Sign the contract"),
    "approve_change": gettext_lazy("Approve the budget change"),
    "reject_change": gettext_lazy("Reject the budget change"),
}
PROJECT_ACTIONS_TO_CONFIRM = {
    "terminate": gettext_lazy("Terminate"),
    "close": gettext_lazy("Close the project"),
    "award_pay": gettext_lazy("Commit and make the payment order"),
}


def _application(request: HttpRequest, pk: int) -> Application:
    if not request.user.is_authenticated:
        raise Http404
    try:
        application = selectors.application_detail(user=request.user, pk=pk)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("projects.view_application", application):
        raise Http404
    return application


def contract_new(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if not request.user.has_perm("projects.contract_application", application):
        raise PermissionDenied
    initial = {"start_date": clock.today(), "end_date": contracts.add_months(clock.today(), 24)}
    form = ContractForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        terms = {
            k: data[k]
            for k in (
                "repay_term_months",
                "repay_grace_months",
                "repay_period_months",
                "fee_rate",
                "overdue_rate",
            )
            if data.get(k) is not None
        }
        terms = {k.replace("repay_", ""): v for k, v in terms.items()}
        if data.get("repay_method"):
            terms["method"] = data["repay_method"]
        contract = _run(
            request,
            lambda: contracts.contract_draft(
                application=application,
                actor=actor_of(request),
                start_date=data["start_date"],
                end_date=data["end_date"],
                indicators=data["indicators"],
                payee_account=data["payee_account"],
                payee_bank=data["payee_bank"],
                repay_terms=terms,
            ),
            _("The contract is drafted; the applicant now confirms it."),
        )
        if contract:
            return redirect("contract_detail", pk=contract.pk)
    return render(
        request, "projects/contract_form.html", {"form": form, "application": application}
    )


def _contract(request: HttpRequest, pk: int) -> Contract:
    if not request.user.is_authenticated:
        raise Http404
    contract = get_object_or_404(
        Contract.objects.visible_to(request.user).select_related(
            "application__call__programme",
            "application__organisation",
            "application__district",
            "budget_line",
            "commitment",
            "repayable",
            "confirmed_by",
            "signed_by",
        ),
        pk=pk,
    )
    if not request.user.has_perm("projects.view_application", contract.application):
        raise Http404
    return contract


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    user = request.user
    application = contract.application
    tranches = list(contract.tranches.select_related("disbursement"))
    return render(
        request,
        "projects/contract_detail.html",
        {
            "contract": contract,
            "application": application,
            "indicators": contract.indicators.all(),
            "budget": contract.budget.all(),
            "tranches": [
                (t, t.status == Tranche.Status.PLANNED and contracts.tranche_due(t))
                for t in tranches
            ],
            "reports": contract.reports.order_by("due_on"),
            "changes": contract.budget_changes.select_related("requested_by", "decided_by"),
            "is_applicant": user.has_perm("projects.request_acceptance", application),
            "is_officer": user.has_perm("projects.contract_application", application),
            "is_finance": user.has_perm("ledger.add_disbursement", None),
            "change_form": BudgetChangeForm(),
            "remaining": contracts.remaining_commitment_fen(contract)
            if contract.commitment_id
            else None,
        },
    )


@require_POST
def contract_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    contract = _contract(request, pk)
    actor = actor_of(request)
    if name in CONTRACT_ACTIONS_TO_CONFIRM:
        subject = f"{contract.number} {contract.application.title}"
        if name in ("approve_change", "reject_change"):
            change = get_object_or_404(
                BudgetChange, pk=request.POST.get("change"), contract=contract
            )
            subject = f"{subject} · {change.get_item_display()}"
        asked = confirmation_needed(
            request,
            action=str(CONTRACT_ACTIONS_TO_CONFIRM[name]),
            subject=subject,
            back=reverse("contract_detail", args=[contract.pk]),
        )
        if asked is not None:
            return asked
    if name == "confirm":
        _run(
            request,
            lambda: contracts.contract_confirm(contract=contract, actor=actor),
            _("Contract confirmed."),
        )
    elif name == "sign":
        _run(
            request,
            lambda: contracts.contract_sign(contract=contract, actor=actor),
            _("Contract signed: the funding is committed on the budget line."),
        )
    elif name == "order":
        tranche = get_object_or_404(Tranche, pk=request.POST.get("tranche"), contract=contract)
        _run(
            request,
            lambda: contracts.tranche_order(tranche=tranche, actor=actor),
            _("Payment order made; it now needs a second person's approval."),
        )
    elif name == "change":
        form = BudgetChangeForm(request.POST)
        if form.is_valid():
            _run(
                request,
                lambda: contracts.budget_change_request(
                    contract=contract,
                    item=form.cleaned_data["item"],
                    new_amount=form.cleaned_data["new_amount"],
                    reason=form.cleaned_data["reason"],
                    actor=actor,
                ),
                _("Budget change requested."),
            )
        else:
            form_errors_to_messages(request, form)
    elif name in ("approve_change", "reject_change"):
        change = get_object_or_404(BudgetChange, pk=request.POST.get("change"), contract=contract)
        _run(
            request,
            lambda: contracts.budget_change_decide(
                change=change, approve=name == "approve_change", actor=actor
            ),
            _("Budget change decided."),
        )
    else:
        raise Http404
    return redirect("contract_detail", pk=contract.pk)


def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    response = HttpResponse(documents.contract_pdf(contract), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{contract.number}.pdf"'
    return response


def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    report = get_object_or_404(
        ProgressReport.objects.select_related("application", "contract"), pk=pk
    )
    application = _application(request, report.application_id)
    indicators = list(report.contract.indicators.all()) if report.contract else []
    items = list(report.contract.budget.values_list("item", flat=True)) if report.contract else []
    form = ReportForm(request.POST or None, indicators=indicators, items=items)
    if request.method == "POST":
        if "read" in request.POST:
            _run(
                request,
                lambda: contracts.report_read(report=report, actor=actor_of(request)),
                _("Marked read."),
            )
            return redirect("report_detail", pk=pk)
        if form.is_valid():
            asked = confirmation_needed(
                request,
                action=_("File the report"),
                subject=f"{application.number} {report.title}",
                back=reverse("report_detail", args=[pk]),
            )
            if asked is not None:
                return asked
            done = _run(
                request,
                lambda: contracts.report_submit(
                    report=report,
                    actor=actor_of(request),
                    text=form.cleaned_data["text"],
                    actuals=form.actuals(),
                    spending=form.spending(),
                ),
                _("Report filed."),
            )
            if done:
                return redirect("report_detail", pk=pk)
    return render(
        request,
        "projects/report_detail.html",
        {
            "report": report,
            "application": application,
            "form": form,
            "can_file": report.submitted_at is None
            and request.user.has_perm("projects.request_acceptance", application),
            "can_read": report.submitted_at is not None
            and report.read_at is None
            and request.user.has_perm("projects.contract_application", application),
            "actuals": report.actuals.select_related("indicator"),
            "spending": report.spending.all(),
        },
    )


def acceptance_new(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if not request.user.has_perm("projects.request_acceptance", application):
        raise PermissionDenied
    contract = Contract.objects.filter(application=application).first()
    indicators = list(contract.indicators.all()) if contract else []
    items = list(contract.budget.values_list("item", flat=True)) if contract else []
    form = ReportForm(request.POST or None, indicators=indicators, items=items, final=True)
    if request.method == "POST" and form.is_valid():
        asked = confirmation_needed(
            request,
            action=_("Request acceptance"),
            subject=f"{application.number} {application.title}",
            back=reverse("acceptance_new", args=[application.pk]),
        )
        if asked is not None:
            return asked
        acceptance = _run(
            request,
            lambda: contracts.acceptance_request(
                application=application,
                actor=actor_of(request),
                text=form.cleaned_data["text"],
                fund_usage=form.cleaned_data["fund_usage"],
                actuals=form.actuals(),
                spending=form.spending(),
            ),
            _("Acceptance requested."),
        )
        if acceptance:
            return redirect("reviews:acceptance", pk=acceptance.pk)
    return render(
        request, "projects/acceptance_form.html", {"form": form, "application": application}
    )


def _acceptance(request: HttpRequest, pk: int) -> Acceptance:
    acceptance = get_object_or_404(
        Acceptance.objects.select_related("application", "report"), pk=pk
    )
    _application(request, acceptance.application_id)
    return acceptance


def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    acceptance = _acceptance(request, pk)
    if acceptance.conclusion != Acceptance.Conclusion.ACCEPT:
        raise Http404
    response = HttpResponse(documents.certificate_pdf(acceptance), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{acceptance.certificate_number}.pdf"'
    return response


@require_POST
def project_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    application = _application(request, pk)
    actor = actor_of(request)
    if name not in PROJECT_ACTIONS_TO_CONFIRM:
        raise Http404
    form = AwardPayForm(request.POST) if name == "award_pay" else None
    if form is not None and not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("application_detail", pk=application.pk)
    reason = request.POST.get("reason", "")
    asked = confirmation_needed(
        request,
        action=str(PROJECT_ACTIONS_TO_CONFIRM[name]),
        subject=f"{application.number} {application.title}",
        back=reverse("application_detail", args=[application.pk]),
        form=form,
        details=[(_("reason"), reason)] if reason else [],
    )
    if asked is not None:
        return asked
    if name == "terminate":
        _run(
            request,
            lambda: contracts.project_terminate(
                application=application, actor=actor, reason=reason
            ),
            _("Terminated."),
        )
    elif name == "close":
        _run(
            request,
            lambda: contracts.project_close(application=application, actor=actor),
            _("Closed."),
        )
    elif form is not None:
        data = form.cleaned_data
        _run(
            request,
            lambda: contracts.award_pay_order(
                application=application,
                actor=actor,
                payee_account=data["payee_account"],
                payee_bank=data["payee_bank"],
            ),
            _("Payment order made."),
        )
    return redirect("application_detail", pk=application.pk)


def award_indicators(request: HttpRequest) -> HttpResponse:
    """City finance issues the award budget indicators to the districts (预算指标下达)."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("projects.issue_award_indicator", None):
        raise PermissionDenied
    calls = (
        Call.objects.filter(programme__flow="award").select_related("programme").order_by("-year")
    )
    rows = []
    for call in calls:
        if not request.user.has_perm("projects.issue_award_indicator", call):
            continue
        for district in OrgUnit.objects.districts().filter(
            path__startswith=call.programme.owner_unit.path
        ):
            total = sum(a.approved_amount_fen or 0 for a in contracts.awards_of(call, district))
            if total:
                rows.append({"call": call, "district": district, "total": total})
    form = IndicatorIssueForm(request.POST or None, initial={"value_date": clock.today()})
    if request.method == "POST" and form.is_valid():
        call = get_object_or_404(Call, pk=request.POST.get("call"))
        district = get_object_or_404(OrgUnit, pk=request.POST.get("district"))
        asked = confirmation_needed(
            request,
            action=_("Issue the budget indicator"),
            subject=f"{call.title} · {district.name}",
            back=reverse("award_indicators"),
            form=form,
        )
        if asked is not None:
            return asked
        _run(
            request,
            lambda: contracts.award_indicator_issue(
                call=call,
                district=district,
                actor=actor_of(request),
                value_date=form.cleaned_data["value_date"],
                document_no=form.cleaned_data["document_no"],
            ),
            _("Budget indicator issued."),
        )
        return redirect("award_indicators")
    return render(request, "projects/award_indicators.html", {"rows": rows, "form": form})
