"""The expert fee pages: a programme's rates (专家劳务费标准), a panel's fee sheets (and
preparing one), a sheet with its lines, the checker's decision, the payment and the 发放表
download. Thin: the rules are in ``reviews.fees`` and ``reviews.rules``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from core import clock
from core.confirm import confirmation_needed
from core.http import download, form_errors_to_messages, run_service
from core.xlsx import XLSX_CONTENT_TYPE
from funding.models import Programme

from . import fees, selectors
from .fee_forms import (
    ExpertFeeDecisionForm,
    ExpertFeeLineForm,
    ExpertFeePayForm,
    ExpertFeeRateForm,
    ExpertFeeSheetForm,
)
from .fee_models import ExpertFeeLine, ExpertFeeRate, ExpertFeeSheet
from .fee_xlsx import fee_sheet_xlsx
from .models import Panel
from .services import ReviewError

PREPARE = gettext_lazy("Prepare the fee sheet")
SET_RATE = gettext_lazy("Set the expert fee rate")
SHEET_ACTIONS_TO_CONFIRM = {
    "approve": gettext_lazy("Approve the expert fees"),
    "reject": gettext_lazy("Reject the fee sheet"),
    "pay": gettext_lazy("Record the payment of the expert fees"),
}


def _panel(request: HttpRequest, pk: int) -> Panel:
    if not request.user.is_authenticated:
        raise Http404
    try:
        return selectors.panel_detail(user=request.user, pk=pk)
    except Panel.DoesNotExist as exc:
        raise Http404 from exc


def _sheet(request: HttpRequest, pk: int) -> ExpertFeeSheet:
    if not request.user.is_authenticated:
        raise Http404
    sheet = get_object_or_404(
        ExpertFeeSheet.objects.visible_to(request.user).select_related(
            "panel__unit",
            "panel__call__programme",
            "budget_line",
            "made_by",
            "approved_by",
            "paid_by",
            "bank_account",
        ),
        pk=pk,
    )
    if not request.user.has_perm("reviews.view_expertfeesheet", sheet):
        raise Http404
    return sheet


def programme_fee_rates(request: HttpRequest, pk: int) -> HttpResponse:
    """专家劳务费标准 of a programme: its rates, and (for the city officer of its region)
    the form that sets one, confirmed first like every change of a money setting."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("reviews.view_expertfeerate", None):
        raise PermissionDenied
    programme = get_object_or_404(
        Programme.objects.visible_to(request.user).select_related("owner_unit"), pk=pk
    )
    if not request.user.has_perm("reviews.view_expertfeerate", programme):
        raise PermissionDenied
    can_set = request.user.has_perm("reviews.manage_expertfeerate", programme)
    form = ExpertFeeRateForm(request.POST or None) if can_set else None
    here = reverse("reviews:fee_rates", args=[programme.pk])
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        # Asked before the form is checked, as on the extension rules page: a form sent
        # without script gets the question too, and the confirmed one is then checked.
        asked = confirmation_needed(
            request,
            action=str(SET_RATE),
            subject=programme.name,
            back=here,
            form=form if form.is_valid() else None,
        )
        if asked is not None:
            return asked
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic(durable=True):
                    fees.fee_rate_set(
                        programme=programme,
                        basis=data["basis"],
                        amount=data["amount"],
                        note=data["note"],
                        actor=actor_of(request),
                    )
            except ReviewError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Expert fee rate saved."))
                return redirect(here)
    return render(
        request,
        "reviews/fee_rates.html",
        {
            "programme": programme,
            "rates": ExpertFeeRate.objects.filter(programme=programme)
            .select_related("changed_by")
            .order_by("basis"),
            "form": form,
        },
    )


def panel_fees(request: HttpRequest, pk: int) -> HttpResponse:
    """A panel's fee sheets, and the form that prepares one."""
    if not request.user.is_authenticated:
        return redirect("login")
    panel = _panel(request, pk)
    can_prepare = (
        request.user.has_perm("reviews.prepare_expertfeesheet", panel)
        and panel.status == Panel.Status.CLOSED
        and not panel.fee_sheets.exclude(status=ExpertFeeSheet.Status.REJECTED).exists()
    )
    form = ExpertFeeSheetForm(lines=fees.budget_lines_for(panel)) if can_prepare else None
    return render(
        request,
        "reviews/fee_sheet_list.html",
        {
            "panel": panel,
            "sheets": panel.fee_sheets.select_related("budget_line", "made_by"),
            "rates": ExpertFeeRate.objects.filter(programme=panel.call.programme),
            "can_set_rates": request.user.has_perm(
                "reviews.manage_expertfeerate", panel.call.programme
            ),
            "form": form,
        },
    )


@require_POST
def panel_fees_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    if not request.user.has_perm("reviews.prepare_expertfeesheet", panel):
        raise PermissionDenied
    form = ExpertFeeSheetForm(request.POST, lines=fees.budget_lines_for(panel))
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("reviews:panel_fees", pk=panel.pk)
    asked = confirmation_needed(
        request,
        action=str(PREPARE),
        subject=panel.name,
        back=reverse("reviews:panel_fees", args=[panel.pk]),
        form=form,
    )
    if asked is not None:
        return asked
    data = form.cleaned_data
    actor = actor_of(request)
    sheet = run_service(
        request,
        lambda: fees.fee_sheet_prepare(
            panel=panel,
            budget_line=data["budget_line"],
            basis=data["basis"],
            half_days=data["half_days"],
            actor=actor,
        ),
        _("The fee sheet is prepared; it waits for the finance checker."),
        refusals=(ReviewError,),
    )
    if sheet:
        return redirect("reviews:fee_sheet", pk=sheet.pk)
    return redirect("reviews:panel_fees", pk=panel.pk)


def fee_sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    sheet = _sheet(request, pk)
    user = request.user
    lines = list(sheet.lines.select_related("expert__person__organisation").order_by("pk"))
    pending = sheet.status == ExpertFeeSheet.Status.PREPARED
    can_approve = (
        pending
        and user.has_perm("reviews.approve_expertfeesheet", sheet)
        and sheet.made_by_id != user.pk
    )
    can_pay = sheet.status == ExpertFeeSheet.Status.APPROVED and user.has_perm(
        "reviews.pay_expertfeesheet", sheet
    )
    can_edit = pending and user.has_perm("reviews.prepare_expertfeesheet", sheet.panel)
    return render(
        request,
        "reviews/fee_sheet_detail.html",
        {
            "sheet": sheet,
            "lines": lines,
            "taxable_fen": sum(line.taxable_fen for line in lines),
            "units": sum(line.units for line in lines),
            "can_approve": can_approve,
            "can_pay": can_pay,
            "can_edit": can_edit,
            "can_download": user.has_perm("reviews.download_expertfeesheet", sheet),
            "decision_form": ExpertFeeDecisionForm(),
            "pay_form": ExpertFeePayForm(
                banks=fees.banks_for(sheet), initial={"paid_on": clock.today()}
            )
            if can_pay
            else None,
            "line_form": ExpertFeeLineForm(),
        },
    )


@require_POST
def fee_sheet_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    sheet = _sheet(request, pk)
    if name not in SHEET_ACTIONS_TO_CONFIRM:
        raise Http404
    actor = actor_of(request)
    back = reverse("reviews:fee_sheet", args=[sheet.pk])
    form: Any
    if name == "pay":
        form = ExpertFeePayForm(request.POST, banks=fees.banks_for(sheet))
    else:
        form = ExpertFeeDecisionForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(back)
    asked = confirmation_needed(
        request,
        action=str(SHEET_ACTIONS_TO_CONFIRM[name]),
        subject=str(sheet),
        back=back,
        form=form,
    )
    if asked is not None:
        return asked
    data = form.cleaned_data
    if name == "approve":
        run_service(
            request,
            lambda: fees.fee_sheet_approve(
                sheet=sheet, actor=actor, note=data["decision_note"] or ""
            ),
            _("The expert fees are approved; the money is reserved on the budget line."),
            refusals=(ReviewError,),
        )
    elif name == "reject":
        run_service(
            request,
            lambda: fees.fee_sheet_reject(sheet=sheet, actor=actor, note=data["decision_note"]),
            _("The fee sheet is rejected."),
            refusals=(ReviewError,),
        )
    else:
        run_service(
            request,
            lambda: fees.fee_sheet_pay(
                sheet=sheet,
                bank_account=data["bank_account"],
                paid_on=data["paid_on"],
                bank_reference=data["bank_reference"],
                actor=actor,
            ),
            _("The payment of the expert fees is recorded; the sheet is locked."),
            refusals=(ReviewError,),
        )
    return redirect(back)


@require_POST
def fee_line_account(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    line = get_object_or_404(ExpertFeeLine.objects.select_related("sheet"), pk=pk)
    sheet = _sheet(request, line.sheet_id)
    form = ExpertFeeLineForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("reviews:fee_sheet", pk=sheet.pk)
    actor = actor_of(request)
    run_service(
        request,
        lambda: fees.fee_line_set_account(
            line=line, account=form.cleaned_data["payee_account"], actor=actor
        ),
        _("The bank account is saved."),
        refusals=(ReviewError,),
    )
    return redirect("reviews:fee_sheet", pk=sheet.pk)


def fee_sheet_download(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    if not request.user.has_perm("reviews.download_expertfeesheet", sheet):
        raise PermissionDenied
    return download(
        fee_sheet_xlsx(sheet),
        f"专家劳务费发放表-{sheet.number}.xlsx",
        fallback=f"expert-fees-{sheet.number}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
