"""Pages of the contract stage: the 任务书, tranches, reports, budget changes, acceptance,
the award's budget indicator and payment order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
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
from core.http import download, form_errors_to_messages, posted_pk, run_service
from core.pdf import PDF_CONTENT_TYPE
from funding.models import Call
from ledger.models import IndicatorSupplement

from . import awards, closing, contracts, documents, guidance, selectors, surplus
from .contract_forms import (
    AwardPayForm,
    BudgetChangeForm,
    ContractForm,
    IndicatorIssueForm,
    IndicatorSupplementForm,
    ReportForm,
)
from .forms import ReasonForm
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
    from .subsidy_views import contract_money_context

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
            "team": application.team.in_order(),
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
            "remaining": closing.remaining_commitment_fen(contract)
            if contract.commitment_id
            else None,
            "next_steps": guidance.contract_steps(contract, user),
            # 项目变更, the 任务书 versions and 中期检查 (projects.change_views)
            "change_requests": contract.change_requests.order_by("-requested_at", "-pk"),
            "versions": contract.versions.order_by("-number"),
            "can_request_change": contract.status == Contract.Status.SIGNED
            and user.has_perm("projects.request_change", application),
            "findings": application.midterm_findings.select_related("check_round"),
            **contract_money_context(contract, user),
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
        tranche = get_object_or_404(Tranche, pk=posted_pk(request, "tranche"), contract=contract)
        order = _run(
            request,
            lambda: contracts.tranche_order(tranche=tranche, actor=actor),
            _("Payment order made as a draft."),
        )
        if order:
            return _to_draft_order(request, order)
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
        change = get_object_or_404(BudgetChange, pk=posted_pk(request, "change"), contract=contract)
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


def _to_draft_order(request: HttpRequest, order: Any) -> HttpResponse:
    """A new payment order is a draft: its maker checks and submits it on its page, and
    only then does a second person approve it."""
    messages.info(
        request,
        _(
            "Payment order %(n)s is a draft: check it and submit it for approval; a second "
            "finance person then approves it."
        )
        % {"n": order.number},
    )
    return redirect("ledger:disbursement_detail", pk=order.pk)


def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    return download(
        documents.contract_pdf(contract),
        f"任务书-{contract.number}-{contract.application.title}.pdf",
        fallback=f"{contract.number}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )


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
        asked = confirmation_needed(
            request,
            action=_("File the report"),
            subject=f"{application.number} {report.title}",
            back=reverse("report_detail", args=[pk]),
        )
        if asked is not None:  # (before the form is checked, as in acceptance_new)
            return asked
        if form.is_valid():
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
    # asked before the form is checked, so that a form sent as it stands (without
    # script) gets the confirmation page too; the confirmed one is then checked
    asked = (
        confirmation_needed(
            request,
            action=_("Request acceptance"),
            subject=f"{application.number} {application.title}",
            back=reverse("acceptance_new", args=[application.pk]),
        )
        if request.method == "POST"
        else None
    )
    if asked is not None:
        return asked
    if request.method == "POST" and form.is_valid():
        acceptance = _run(
            request,
            lambda: closing.acceptance_request(
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
        request,
        "projects/acceptance_form.html",
        {
            "form": form,
            "application": application,
            "paid_fen": surplus.paid_fen(contract) if contract else None,
            "funded_fen": surplus.funded_fen(contract) if contract else None,
        },
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
    return download(
        documents.certificate_pdf(acceptance),
        f"验收证书-{acceptance.certificate_number}-{acceptance.application.title}.pdf",
        fallback=f"{acceptance.certificate_number}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )


@require_POST
def project_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    application = _application(request, pk)
    actor = actor_of(request)
    if name not in PROJECT_ACTIONS_TO_CONFIRM:
        raise Http404
    form: Any = None
    if name == "award_pay":
        form = AwardPayForm(request.POST)
    elif name == "terminate":
        form = ReasonForm(request.POST)
    if form is not None and not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("application_detail", pk=application.pk)
    asked = confirmation_needed(
        request,
        action=str(PROJECT_ACTIONS_TO_CONFIRM[name]),
        subject=f"{application.number} {application.title}",
        back=reverse("application_detail", args=[application.pk]),
        form=form,
    )
    if asked is not None:
        return asked
    if name == "terminate":
        reason = form.cleaned_data["reason"]
        _run(
            request,
            lambda: closing.project_terminate(application=application, actor=actor, reason=reason),
            _("Terminated."),
        )
    elif name == "close":
        _run(
            request,
            lambda: closing.project_close(application=application, actor=actor),
            _("Closed."),
        )
    elif name == "award_pay":
        data = form.cleaned_data
        order = _run(
            request,
            lambda: awards.award_pay_order(
                application=application,
                actor=actor,
                payee_account=data["payee_account"],
                payee_bank=data["payee_bank"],
            ),
            _("Payment order made as a draft."),
        )
        if order:
            return _to_draft_order(request, order)
    return redirect("application_detail", pk=application.pk)


def award_indicators(request: HttpRequest) -> HttpResponse:
    """City finance issues the award budget indicators to the districts (预算指标下达),
    once per call and district; a supplement (追加) is asked with a reason and approved by
    the finance checker. The page shows what was issued and offers nothing twice."""
    if not request.user.is_authenticated:
        return redirect("login")
    user = request.user
    if not (
        user.has_perm("projects.issue_award_indicator", None)
        or user.has_perm("projects.approve_award_indicator", None)
    ):
        raise PermissionDenied
    if request.method == "POST":
        return _award_indicator_post(request) or redirect("award_indicators")
    rows = selectors.award_indicator_rows(user=user)
    # once per call, not per call and district: the right is the call's
    rights: dict[int, tuple[bool, bool]] = {}
    for row in rows:
        call = row["call"]
        if call.pk not in rights:
            rights[call.pk] = (
                user.has_perm("projects.issue_award_indicator", call),
                user.has_perm("projects.approve_award_indicator", call),
            )
        row["can_issue"], row["can_approve"] = rights[call.pk]
    initial = {"value_date": clock.today()}
    return render(
        request,
        "projects/award_indicators.html",
        {
            "rows": rows,
            "form": IndicatorIssueForm(initial=initial),
            "supplement_form": IndicatorSupplementForm(initial=initial),
        },
    )


INDICATOR_ACTIONS = {
    "issue": gettext_lazy("Issue the budget indicator"),
    "request_supplement": gettext_lazy("Ask for a supplement (追加)"),
    "approve_supplement": gettext_lazy("Approve the supplement"),
    "reject_supplement": gettext_lazy("Reject the supplement"),
}


def _award_indicator_post(request: HttpRequest) -> HttpResponse | None:
    """One action of the indicators page, confirmed first (an indicator, once issued, is
    money moved to the district); a confirmation page, or None when done."""
    action = request.POST.get("action", "")
    if action not in INDICATOR_ACTIONS:
        raise Http404
    call = get_object_or_404(Call, pk=posted_pk(request, "call"), programme__flow="award")
    actor = actor_of(request)
    supplement = None
    district = None
    form: Any = None
    if action in ("approve_supplement", "reject_supplement"):
        supplement = get_object_or_404(IndicatorSupplement, pk=posted_pk(request, "supplement"))
        subject = f"{call.title} · {supplement.document_no}"
    else:
        district = get_object_or_404(OrgUnit, pk=posted_pk(request, "district"))
        subject = f"{call.title} · {district.name}"
        form_class = IndicatorIssueForm if action == "issue" else IndicatorSupplementForm
        form = form_class(request.POST)
        if not form.is_valid():
            form_errors_to_messages(request, form)
            return None
    asked = confirmation_needed(
        request,
        action=str(INDICATOR_ACTIONS[action]),
        subject=subject,
        back=reverse("award_indicators"),
        form=form,
    )
    if asked is not None:
        return asked
    if supplement is not None:
        approve = action == "approve_supplement"
        _run(
            request,
            lambda: awards.award_indicator_supplement_decide(
                supplement=supplement, approve=approve, actor=actor, call=call
            ),
            _("Supplement approved and issued.") if approve else _("Supplement rejected."),
        )
        return None
    assert district is not None and form is not None
    data = form.cleaned_data
    if action == "issue":
        _run(
            request,
            lambda: awards.award_indicator_issue(
                call=call,
                district=district,
                actor=actor,
                value_date=data["value_date"],
                document_no=data["document_no"],
            ),
            _("Budget indicator issued."),
        )
    else:
        _run(
            request,
            lambda: awards.award_indicator_supplement_request(
                call=call,
                district=district,
                actor=actor,
                value_date=data["value_date"],
                document_no=data["document_no"],
                reason=data["reason"],
            ),
            _("Supplement requested; the finance checker approves it."),
        )
    return None
