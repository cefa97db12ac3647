"""Recovery of an overdue repayable account, on its page: 催收 steps, the 催收通知书 (and
its PDF), referral to a court and the case's stages. Every action asks for confirmation
first (a step, a letter and a referral are on the record for good)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.confirm import confirmation_needed
from core.http import download
from core.pdf import PDF_CONTENT_TYPE

from . import documents, services
from .access import reader_paths
from .forms import DunningForm, DunningNoticeForm, LegalAdvanceForm, LegalReferForm
from .models import DunningStep, LegalCase, RepayableAccount
from .views import LedgerView, _form_errors, _need, _run

# what each button does, and its form
ACTIONS = {
    "dunning": (gettext_lazy("Record the dunning step"), DunningForm),
    "notice": (gettext_lazy("Issue the dunning notice"), DunningNoticeForm),
    "refer": (gettext_lazy("Refer to the court"), LegalReferForm),
    "advance": (gettext_lazy("Record the stage of the case"), LegalAdvanceForm),
}
# who may chase an account and take it to court: whoever records its repayments
PERMISSION = "ledger.record_repayment"


def _account(request: HttpRequest, pk: int) -> RepayableAccount:
    account = get_object_or_404(
        RepayableAccount.objects.in_scope(reader_paths(request.user)), pk=pk
    )
    if not request.user.has_perm("ledger.view_repayableaccount", account):
        raise Http404
    return account


class RecoveryActionView(LedgerView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _account(request, pk)
        _need(request, PERMISSION, account)
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise Http404
        label, form_class = ACTIONS[action]
        form = form_class(request.POST, prefix=action)
        valid = form.is_valid()
        back = reverse("ledger:repayable_detail", args=[account.pk])
        asked = confirmation_needed(
            request,
            action=str(label),
            subject=f"{account.number} · {account.borrower_name}",
            back=back,
            form=form if valid else None,
        )
        if asked is not None:
            return asked
        if not valid:
            _form_errors(request, form)
            return redirect(back)
        data = form.cleaned_data
        actor = request.user
        if action == "dunning":
            _run(
                request,
                lambda: services.dunning_record(
                    account=account,
                    kind=data["kind"],
                    date=data["date"],
                    text=data["text"],
                    promised_amount=data["promised_amount"],
                    promised_date=data["promised_date"],
                    letter_no=data["letter_no"],
                    actor=actor,
                ),
                _("Dunning step recorded."),
            )
        elif action == "notice":
            _run(
                request,
                lambda: services.dunning_notice_issue(
                    account=account,
                    date=data["date"],
                    pay_by=data["pay_by"],
                    office=data["office"],
                    text=data["text"],
                    actor=actor,
                ),
                _("Dunning notice issued; download it below."),
            )
        elif action == "refer":
            _run(
                request,
                lambda: services.legal_case_refer(
                    account=account,
                    court=data["court"],
                    referred_on=data["referred_on"],
                    note=data["note"],
                    actor=actor,
                ),
                _("The account is referred to the court."),
            )
        else:
            case = get_object_or_404(LegalCase, account=account)
            _run(
                request,
                lambda: services.legal_case_advance(
                    case=case,
                    stage=data["stage"],
                    date=data["date"],
                    case_number=data["case_number"],
                    note=data["note"],
                    actor=actor,
                ),
                _("The stage of the case is recorded."),
            )
        return redirect(back)


class DunningNoticePdfView(LedgerView):
    """The 催收通知书 as PDF, for whoever reads the account."""

    def get(self, request: HttpRequest, pk: int, step: int) -> HttpResponse:
        account = _account(request, pk)
        notice = get_object_or_404(
            DunningStep.objects.select_related("account"),
            pk=step,
            account=account,
            kind=DunningStep.Kind.NOTICE,
        )
        return download(
            documents.dunning_notice_pdf(notice),
            f"催收通知书-{account.number}-{account.borrower_name}.pdf",
            fallback=f"dunning-{account.number}-{notice.pk}.pdf",
            content_type=PDF_CONTENT_TYPE,
        )
