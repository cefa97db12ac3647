"""Finance pages: disbursement queue (makers and checkers), budget lines, repayable
funding and the overdue list, bank statements and the reconciliation workbench, and the
applicant's own funding.

Every view: authorise (``user.has_perm("ledger.…", obj)``, answered by the rules the
domain registers) → bind a form → call one service in ``atomic(durable=True)`` → show a
refusal (``LedgerError``) as a message → redirect. Rows outside the user's regions are
404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import ListView, TemplateView

from core import clock
from core.confirm import confirmation_needed
from core.http import download, form_errors_to_messages, posted_pk, run_service
from core.pdf import PDF_CONTENT_TYPE

from . import documents, selectors, services
from .access import reader_paths
from .errors import LedgerError
from .forms import (
    AdjustmentForm,
    DisbursementForm,
    NoteForm,
    PayForm,
    ReasonForm,
    RepaymentForm,
    RescheduleForm,
    ReturnForm,
    WriteOffForm,
    recovery_forms,
)
from .models import (
    AgingBucket,
    BudgetAdjustment,
    BudgetLine,
    Commitment,
    Disbursement,
    RepayableAccount,
    Reschedule,
    WriteOff,
)
from .money import format_fen


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Runs one service as the request's outermost transaction; a refusal becomes a
    message, never a 500."""
    return run_service(request, action, success, refusals=(LedgerError,)) is not None


def _need(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


_form_errors = form_errors_to_messages

# What the buttons that cannot be undone do, by their ``action`` (core/confirm.py asks
# first). Requests (an adjustment, a reschedule, a write-off) are not among them: a
# second person decides them, and that decision is.
ACTIONS_TO_CONFIRM = {
    "approve_adjustment": gettext_lazy("Approve the adjustment"),
    "reject_adjustment": gettext_lazy("Reject the adjustment"),
    "submit": gettext_lazy("Submit for approval"),
    "approve": pgettext_lazy("ledger", "Approve"),
    "reject": pgettext_lazy("ledger", "Reject"),
    "cancel": pgettext_lazy("ledger", "Cancel"),
    "pay": gettext_lazy("Record payment"),
    "return": gettext_lazy("Book the return"),
    "repay": gettext_lazy("Record repayment"),
    "approve_reschedule": gettext_lazy("Approve the reschedule"),
    "reject_reschedule": gettext_lazy("Reject the reschedule"),
    "approve_write_off": gettext_lazy("Approve the write-off"),
    "reject_write_off": gettext_lazy("Reject the write-off"),
    "match": gettext_lazy("Match the line"),
    "record_repayment": gettext_lazy("Record the repayment from the line"),
    "ignore": gettext_lazy("Set the line aside"),
}


def _ask(
    request: HttpRequest,
    action: str,
    subject: str,
    back: str,
    form: Any = None,
    details: list[tuple[str, str]] | None = None,
) -> HttpResponse | None:
    """The confirmation page for an action of ACTIONS_TO_CONFIRM, unless confirmed."""
    if action not in ACTIONS_TO_CONFIRM:
        return None
    return confirmation_needed(
        request,
        action=str(ACTIONS_TO_CONFIRM[action]),
        subject=subject,
        back=back,
        form=form,
        details=details or [],
    )


class LedgerView(LoginRequiredMixin, View):
    """Base: the user must read the ledger at all."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.has_perm("ledger.view_ledger"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- the finance desk ----------------------------------------------------------------


class FinanceHomeView(LedgerView, TemplateView):
    template_name = "ledger/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        counts = selectors.disbursement_counts(user=user)
        ctx["waiting_for_checker"] = counts.get(Disbursement.Status.SUBMITTED, 0)
        ctx["waiting_for_payment"] = counts.get(Disbursement.Status.APPROVED, 0)
        ctx["drafts"] = counts.get(Disbursement.Status.DRAFT, 0)
        labels = dict(AgingBucket.choices)
        ctx["aging"] = [
            {**row, "label": labels.get(row["aging"], row["aging"])}
            for row in selectors.aging_summary(user=user)
        ]
        ctx["open_statements"] = [
            s for s in selectors.statement_list(user=user)[:20] if getattr(s, "n_open", 0)
        ]
        return ctx


# --- budget lines --------------------------------------------------------------------


class BudgetLineListView(LedgerView, ListView):
    template_name = "ledger/budget_line_list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        return selectors.budget_line_list(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = self.request.user.has_perm("ledger.add_budgetline", None)
        return ctx


class BudgetLineDetailView(LedgerView):
    template_name = "ledger/budget_line_detail.html"

    def get_line(self, request: HttpRequest, pk: int) -> BudgetLine:
        line = get_object_or_404(selectors.budget_line_list(user=request.user), pk=pk)
        if not request.user.has_perm("ledger.view_budgetline", line):
            raise Http404
        return line

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = self.get_line(request, pk)
        user = request.user
        context = {
            "line": line,
            "commitments": selectors.commitment_list(line=line),
            "adjustments": selectors.adjustment_list(line=line),
            "indicators": selectors.indicator_list(line=line),
            "disbursements": selectors.disbursement_list(user=user).filter(budget_line=line)[:50],
            "can_request_adjustment": user.has_perm("ledger.request_budgetadjustment", line),
            "can_approve_adjustment": user.has_perm("ledger.approve_budgetadjustment", line),
            "adjustment_form": AdjustmentForm(),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        line = self.get_line(request, pk)
        action = request.POST.get("action", "")
        actor = request.user
        back = reverse("ledger:budget_line_detail", args=[line.pk])
        if action == "request_adjustment":
            _need(request, "ledger.request_budgetadjustment", line)
            form = AdjustmentForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                _run(
                    request,
                    lambda: services.budget_adjustment_request(
                        budget_line=line,
                        amount=data["amount"],
                        reason=data["reason"],
                        document_no=data["document_no"],
                        actor=actor,
                    ),
                    _("Adjustment requested; a second person must approve it."),
                )
            else:
                _form_errors(request, form)
        elif action in ("approve_adjustment", "reject_adjustment"):
            _need(request, "ledger.approve_budgetadjustment", line)
            adjustment = get_object_or_404(
                BudgetAdjustment, pk=posted_pk(request, "adjustment"), budget_line=line
            )
            amount = format_fen(adjustment.amount_fen, sign=True)
            details = [(_("amount (yuan)"), amount), (_("reason"), adjustment.reason)]
            if (asked := _ask(request, action, line.name, back, details=details)) is not None:
                return asked
            if action == "approve_adjustment":
                _run(
                    request,
                    lambda: services.budget_adjustment_approve(adjustment=adjustment, actor=actor),
                    _("Adjustment approved and posted."),
                )
            else:
                _run(
                    request,
                    lambda: services.budget_adjustment_reject(adjustment=adjustment, actor=actor),
                    _("Adjustment rejected."),
                )
        else:
            raise Http404
        return redirect("ledger:budget_line_detail", pk=line.pk)


# --- disbursements -------------------------------------------------------------------

QUEUE_TABS = [
    ("submitted", Disbursement.Status.SUBMITTED),
    ("approved", Disbursement.Status.APPROVED),
    ("draft", Disbursement.Status.DRAFT),
    ("paid", Disbursement.Status.PAID),
    ("all", ""),
]


class DisbursementListView(LedgerView, ListView):
    """The queue: checkers see what waits for approval, makers what waits for payment."""

    template_name = "ledger/disbursement_list.html"
    paginate_by = 25

    def get_tab(self) -> str:
        tab = self.request.GET.get("status", "")
        if tab in dict(QUEUE_TABS):
            return tab
        return "submitted" if self.request.user.has_perm("ledger.approve_disbursement") else "all"

    def get_queryset(self) -> Any:
        qs = selectors.disbursement_list(user=self.request.user)
        status = dict(QUEUE_TABS)[self.get_tab()]
        return qs.filter(status=status) if status else qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        labels = dict(Disbursement.Status.choices)
        counts = selectors.disbursement_counts(user=self.request.user)
        ctx["tabs"] = [
            {
                "key": key,
                "label": labels.get(status, _("All")) if status else _("All"),
                "count": counts.get(status, 0) if status else sum(counts.values()),
            }
            for key, status in QUEUE_TABS
        ]
        ctx["tab"] = self.get_tab()
        ctx["can_add"] = self.request.user.has_perm("ledger.add_disbursement")
        return ctx


class DisbursementCreateView(LedgerView):
    template_name = "ledger/disbursement_form.html"

    def _form(self, request: HttpRequest, data: Any = None) -> DisbursementForm:
        paths = reader_paths(request.user)
        lines = BudgetLine.objects.in_scope(paths).order_by("-year", "code")
        commitments = Commitment.objects.in_scope(paths).select_related("budget_line")
        return DisbursementForm(
            data, lines=lines, commitments=commitments, initial={"tranche_no": 1}
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        _need(request, "ledger.add_disbursement")
        return render(request, self.template_name, {"form": self._form(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        _need(request, "ledger.add_disbursement")
        form = self._form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            line = data["budget_line"]
            if not request.user.has_perm("ledger.add_disbursement", line):
                raise PermissionDenied
            made: list[Disbursement] = []
            ok = _run(
                request,
                lambda: made.append(
                    services.disbursement_create(
                        budget_line=line,
                        commitment=data["commitment"],
                        amount=data["amount"],
                        payee_name=data["payee_name"],
                        payee_account=data["payee_account"],
                        payee_bank=data["payee_bank"],
                        project_ref=data["project_ref"],
                        tranche_no=data["tranche_no"],
                        purpose=data["purpose"],
                        actor=request.user,
                    )
                ),
                _("Disbursement saved as a draft."),
            )
            if ok:
                return redirect("ledger:disbursement_detail", pk=made[0].pk)
        return render(request, self.template_name, {"form": form})


DISBURSEMENT_ACTIONS = {
    "submit": "ledger.submit_disbursement",
    "approve": "ledger.approve_disbursement",
    "reject": "ledger.approve_disbursement",
    "cancel": "ledger.cancel_disbursement",
    "pay": "ledger.pay_disbursement",
    "return": "ledger.return_disbursement",
}


def _readable_disbursement(request: HttpRequest, pk: int) -> Disbursement:
    """The disbursement if the user reads it; 404 otherwise (also outside their area)."""
    disbursement = get_object_or_404(
        selectors.disbursement_list(user=request.user).select_related(
            "commitment", "repayable", "bank_account"
        ),
        pk=pk,
    )
    if not request.user.has_perm("ledger.view_disbursement", disbursement):
        raise Http404
    return disbursement


class DisbursementDetailView(LedgerView):
    template_name = "ledger/disbursement_detail.html"

    def get_object(self, request: HttpRequest, pk: int) -> Disbursement:
        return _readable_disbursement(request, pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        disbursement = self.get_object(request, pk)
        user = request.user
        status = Disbursement.Status
        allowed = {
            "submit": disbursement.status == status.DRAFT,
            "approve": disbursement.status == status.SUBMITTED,
            "reject": disbursement.status == status.SUBMITTED,
            "cancel": disbursement.status in (status.DRAFT, status.SUBMITTED, status.APPROVED),
            "pay": disbursement.status == status.APPROVED,
            "return": disbursement.status in (status.PAID, status.RECONCILED),
        }
        actions = {
            name: allowed[name] and user.has_perm(perm, disbursement)
            for name, perm in DISBURSEMENT_ACTIONS.items()
        }
        own = disbursement.maker_id == user.pk
        context = {
            "d": disbursement,
            "actions": actions,
            "own": own,
            "note_form": NoteForm(),
            "reason_form": ReasonForm(),
            "pay_form": PayForm(
                banks=selectors.bank_account_list(user=user),
                initial={"paid_on": clock.today()},
            ),
            "return_form": ReturnForm(initial={"value_date": clock.today()}),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        disbursement = self.get_object(request, pk)
        action = request.POST.get("action", "")
        if action not in DISBURSEMENT_ACTIONS:
            raise Http404
        _need(request, DISBURSEMENT_ACTIONS[action], disbursement)
        actor = request.user
        form: Any = {
            "approve": NoteForm,
            "cancel": NoteForm,
            "reject": ReasonForm,
            "return": ReturnForm,
        }.get(action, lambda data: None)(request.POST)
        if action == "pay":
            form = PayForm(request.POST, banks=selectors.bank_account_list(user=actor))
        if form is not None and not form.is_valid():
            _form_errors(request, form)
            return redirect("ledger:disbursement_detail", pk=disbursement.pk)
        subject = f"{disbursement.number} · {disbursement.payee_name}"
        back = reverse("ledger:disbursement_detail", args=[disbursement.pk])
        if (asked := _ask(request, action, subject, back, form=form)) is not None:
            return asked
        if action == "submit":
            _run(
                request,
                lambda: services.disbursement_submit(disbursement=disbursement, actor=actor),
                _("Submitted for approval."),
            )
        elif action == "approve":
            note = form.cleaned_data["note"]
            _run(
                request,
                lambda: services.disbursement_approve(
                    disbursement=disbursement, actor=actor, note=note
                ),
                _("Approved; the money is reserved for payment."),
            )
        elif action == "reject":
            _run(
                request,
                lambda: services.disbursement_reject(
                    disbursement=disbursement, actor=actor, note=form.cleaned_data["reason"]
                ),
                _("Rejected."),
            )
        elif action == "cancel":
            note = form.cleaned_data["note"]
            _run(
                request,
                lambda: services.disbursement_cancel(
                    disbursement=disbursement, actor=actor, note=note
                ),
                _("Cancelled."),
            )
        elif action == "pay":
            data = form.cleaned_data
            _run(
                request,
                lambda: services.disbursement_pay(
                    disbursement=disbursement,
                    bank_account=data["bank_account"],
                    paid_on=data["paid_on"],
                    bank_reference=data["bank_reference"],
                    actor=actor,
                ),
                _("Payment recorded."),
            )
        elif action == "return":
            data = form.cleaned_data
            _run(
                request,
                lambda: services.disbursement_return(
                    disbursement=disbursement,
                    value_date=data["value_date"],
                    reason=data["reason"],
                    actor=actor,
                ),
                _("Returned money booked; payment and approval reversed."),
            )
        return redirect("ledger:disbursement_detail", pk=disbursement.pk)


class DisbursementPdfView(LedgerView):
    """The 拨付单 as PDF, for whoever reads the disbursement."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        disbursement = _readable_disbursement(request, pk)
        return download(
            documents.disbursement_pdf(disbursement),
            f"拨付单-{disbursement.number}-{disbursement.payee_name}.pdf",
            fallback=f"{disbursement.number}.pdf",
            content_type=PDF_CONTENT_TYPE,
        )


# --- repayable funding ---------------------------------------------------------------


class RepayableListView(LedgerView, ListView):
    """Repayable accounts; ``?aging=31-90`` or ``?overdue=1`` for the overdue list."""

    template_name = "ledger/repayable_list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        qs = selectors.repayable_list(user=self.request.user)
        aging = self.request.GET.get("aging", "")
        if aging in AgingBucket.values and aging != AgingBucket.CURRENT:
            qs = qs.filter(current_aging=aging)
        elif self.request.GET.get("overdue"):
            qs = qs.exclude(current_aging=AgingBucket.CURRENT)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        labels = dict(AgingBucket.choices)
        summary = {row["aging"]: row for row in selectors.aging_summary(user=self.request.user)}
        ctx["buckets"] = [
            {"key": key, "label": labels[key], "count": summary.get(key, {}).get("n", 0)}
            for key in AgingBucket.values
            if key != AgingBucket.CURRENT
        ]
        for account in ctx["object_list"]:  # from the list's own annotations: no query
            account.path_label = selectors.recovery_path_label(account)
        ctx["aging"] = self.request.GET.get("aging", "")
        ctx["overdue"] = bool(self.request.GET.get("overdue"))
        ctx["can_import"] = self.request.user.has_perm("ledger.record_repayment")
        return ctx


class RepayableDetailView(LedgerView):
    template_name = "ledger/repayable_detail.html"

    def get_object(self, request: HttpRequest, pk: int) -> RepayableAccount:
        account = get_object_or_404(
            RepayableAccount.objects.in_scope(reader_paths(request.user)).select_related(
                "budget_line"
            ),
            pk=pk,
        )
        if not request.user.has_perm("ledger.view_repayableaccount", account):
            raise Http404
        return account

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = self.get_object(request, pk)
        user = request.user
        today = clock.today()
        banks = selectors.bank_account_list(user=user)
        context = {
            "account": account,
            **selectors.repayable_detail(account),
            "can_record": user.has_perm("ledger.record_repayment", account),
            "can_request": user.has_perm("ledger.request_reschedule", account),
            "can_request_write_off": user.has_perm("ledger.request_writeoff", account),
            "can_approve_reschedule": user.has_perm("ledger.approve_reschedule", account),
            "can_approve_write_off": user.has_perm("ledger.approve_writeoff", account),
            "repayment_form": RepaymentForm(banks=banks, initial={"value_date": today}),
            "reschedule_form": RescheduleForm(
                initial={"effective_date": today, "method": account.method}
            ),
            "write_off_form": WriteOffForm(initial={"value_date": today}),
            "open_statuses": (
                RepayableAccount.Status.ACTIVE,
                RepayableAccount.Status.OVERDUE,
                RepayableAccount.Status.RESCHEDULED,
            ),
            **recovery_forms(),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = self.get_object(request, pk)
        action = request.POST.get("action", "")
        actor = request.user
        back = reverse("ledger:repayable_detail", args=[account.pk])
        subject = f"{account.number} · {account.borrower_name}"
        if action == "repay":
            _need(request, "ledger.record_repayment", account)
            form = RepaymentForm(request.POST, banks=selectors.bank_account_list(user=actor))
            if form.is_valid():
                data = form.cleaned_data
                if (asked := _ask(request, action, subject, back, form=form)) is not None:
                    return asked
                _run(
                    request,
                    lambda: services.repayment_record(
                        account=account,
                        amount=data["amount"],
                        value_date=data["value_date"],
                        bank_account=data["bank_account"],
                        bank_reference=data["bank_reference"],
                        actor=actor,
                    ),
                    _("Repayment recorded."),
                )
            else:
                _form_errors(request, form)
        elif action == "request_reschedule":
            _need(request, "ledger.request_reschedule", account)
            reschedule_form = RescheduleForm(request.POST)
            if reschedule_form.is_valid():
                data = reschedule_form.cleaned_data
                _run(
                    request,
                    lambda: services.reschedule_request(
                        account=account,
                        effective_date=data["effective_date"],
                        term_months=data["term_months"],
                        grace_months=data["grace_months"],
                        method=data["method"],
                        reason=data["reason"],
                        actor=actor,
                    ),
                    _("Reschedule requested; a second person must approve it."),
                )
            else:
                _form_errors(request, reschedule_form)
        elif action in ("approve_reschedule", "reject_reschedule"):
            _need(request, "ledger.approve_reschedule", account)
            reschedule = get_object_or_404(
                Reschedule, pk=posted_pk(request, "change"), account=account
            )
            if (asked := _ask(request, action, subject, back)) is not None:
                return asked
            if action == "approve_reschedule":
                _run(
                    request,
                    lambda: services.reschedule_approve(reschedule=reschedule, actor=actor),
                    _("Reschedule approved; the new schedule applies."),
                )
            else:
                _run(
                    request,
                    lambda: services.reschedule_reject(reschedule=reschedule, actor=actor),
                    _("Reschedule rejected."),
                )
        elif action == "request_write_off":
            _need(request, "ledger.request_writeoff", account)
            write_off_form = WriteOffForm(request.POST)
            if write_off_form.is_valid():
                data = write_off_form.cleaned_data
                _run(
                    request,
                    lambda: services.write_off_request(
                        account=account,
                        value_date=data["value_date"],
                        document_no=data["document_no"],
                        basis=data["basis"],
                        reason=data["reason"],
                        actor=actor,
                    ),
                    _("Write-off requested; a second person must approve it."),
                )
            else:
                _form_errors(request, write_off_form)
        elif action in ("approve_write_off", "reject_write_off"):
            _need(request, "ledger.approve_writeoff", account)
            write_off = get_object_or_404(
                WriteOff, pk=posted_pk(request, "change"), account=account
            )
            if (asked := _ask(request, action, subject, back)) is not None:
                return asked
            if action == "approve_write_off":
                _run(
                    request,
                    lambda: services.write_off_approve(write_off=write_off, actor=actor),
                    _("Write-off approved and booked."),
                )
            else:
                _run(
                    request,
                    lambda: services.write_off_reject(write_off=write_off, actor=actor),
                    _("Write-off rejected."),
                )
        else:
            raise Http404
        return redirect("ledger:repayable_detail", pk=account.pk)


# --- the applicant's own funding -----------------------------------------------------


class MyFundingView(LoginRequiredMixin, TemplateView):
    """My disbursements, my repayment schedule and what is due."""

    template_name = "ledger/my_funding.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.has_perm("ledger.view_own_funding"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = clock.today()
        ctx.update(selectors.my_funding(user=self.request.user, today=ctx["today"]))
        return ctx
