"""Bank statements and the reconciliation workbench: the statements of the user's
regions, and one statement's lines matched to payments and repayments by a person
where the automatic matching could not decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import ListView

from core.http import pk_or_404, posted_pk

from . import selectors, services
from .access import reader_paths
from .errors import LedgerError
from .models import RepayableAccount, Repayment, StatementLine, SurplusReturn
from .views import LedgerView, _ask, _need, _run


class StatementListView(LedgerView, ListView):
    template_name = "ledger/statement_list.html"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return selectors.statement_list(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["can_import"] = self.request.user.has_perm("ledger.import_bankstatement")
        return ctx


class StatementDetailView(LedgerView):
    """The reconciliation workbench of one statement."""

    template_name = "ledger/statement_detail.html"

    def get_object(self, request: HttpRequest, pk: int) -> Any:
        statement = get_object_or_404(selectors.statement_list(user=request.user), pk=pk)
        if not request.user.has_perm("ledger.view_bankstatement", statement):
            raise Http404
        return statement

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        statement = self.get_object(request, pk)
        lines = selectors.statement_lines(statement)
        can_reconcile = request.user.has_perm("ledger.reconcile_bankstatement", statement)
        if can_reconcile:
            for line in lines:
                if line.status not in (
                    StatementLine.MatchStatus.UNMATCHED,
                    StatementLine.MatchStatus.AMBIGUOUS,
                ):
                    continue
                if line.direction == StatementLine.Direction.OUT and not line.candidates:
                    line.candidate_objects = list(  # type: ignore[attr-defined]
                        selectors.open_disbursements_for(line)[:20]
                    )
                if line.direction == StatementLine.Direction.IN:
                    line.receipt_accounts = list(  # type: ignore[attr-defined]
                        selectors.repayables_for_receipt(line)[:50]
                    )
        context = {
            "statement": statement,
            "lines": lines,
            "can_reconcile": can_reconcile,
            "difference": statement.difference_fen,
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        statement = self.get_object(request, pk)
        _need(request, "ledger.reconcile_bankstatement", statement)
        action = request.POST.get("action", "")
        actor = request.user
        if action == "check":
            try:
                with transaction.atomic(durable=True):
                    check = services.statement_check_balance(statement=statement, actor=actor)
            except LedgerError as error:
                messages.error(request, error.message)
            else:
                (messages.success if check.ok else messages.error)(request, check.message)
            return redirect("ledger:statement_detail", pk=statement.pk)
        if action == "auto_match":
            _run(
                request,
                lambda: services.statement_auto_match(statement=statement, actor=actor),
                _("Matching run again."),
            )
            return redirect("ledger:statement_detail", pk=statement.pk)
        line = get_object_or_404(StatementLine, pk=posted_pk(request, "line"), statement=statement)
        back = reverse("ledger:statement_detail", args=[statement.pk])
        line_text = f"{line.bank_reference} · {line.counterparty_name}"
        if action == "match" and not request.POST.get("target", "").partition(":")[2]:
            messages.error(request, _("Choose what the line pays."))
            return redirect("ledger:statement_detail", pk=statement.pk)
        if (asked := _ask(request, action, line_text, back)) is not None:
            return asked
        if action == "match":
            target = request.POST.get("target", "")
            kind, _sep, target_pk = target.partition(":")
            if kind == "disbursement":
                disbursement = get_object_or_404(
                    selectors.disbursement_list(user=actor), pk=pk_or_404(target_pk)
                )
                _run(
                    request,
                    lambda: services.statement_line_match(
                        line=line, disbursement=disbursement, actor=actor
                    ),
                    _("Line matched."),
                )
            elif kind == "repayment":
                repayment = get_object_or_404(
                    Repayment.objects.in_scope(reader_paths(actor)), pk=pk_or_404(target_pk)
                )
                _run(
                    request,
                    lambda: services.statement_line_match(
                        line=line, repayment=repayment, actor=actor
                    ),
                    _("Line matched."),
                )
            elif kind == "surplus":
                surplus = get_object_or_404(
                    SurplusReturn.objects.in_scope(reader_paths(actor)), pk=pk_or_404(target_pk)
                )
                _run(
                    request,
                    lambda: services.statement_line_match(line=line, surplus=surplus, actor=actor),
                    _("Line matched."),
                )
            else:
                messages.error(request, _("Choose what the line pays."))
        elif action == "record_repayment":
            account = get_object_or_404(
                RepayableAccount.objects.in_scope(reader_paths(actor)),
                pk=posted_pk(request, "account"),
            )
            _run(
                request,
                lambda: services.statement_line_record_repayment(
                    line=line, account=account, actor=actor
                ),
                _("Repayment recorded from the statement line."),
            )
        elif action == "ignore":
            _run(
                request,
                lambda: services.statement_line_ignore(line=line, actor=actor),
                _("Line set aside."),
            )
        else:
            raise Http404
        return redirect("ledger:statement_detail", pk=statement.pk)
