"""Write endpoints: each is the web's action on the same record, with the same permission
(``user.has_perm``) and the same service; every POST carries an ``Idempotency-Key``
(api.idempotency). An object outside the user's scope is 404, a refusal of the service a
422 problem, a concurrent change 409."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import BankAccount, Disbursement, RepayableAccount

from .base import MAX_PK, LanguageMixin, need, scoped_get
from .fields import YuanField, YuanInputField
from .idempotency import KEY_PARAMETER, run_once
from .language import language_of
from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, TYPE_PREFIX
from .serializers import DisbursementSerializer

# --- request bodies ---------------------------------------------------------------------


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PayInput(serializers.Serializer):
    bank_account = serializers.IntegerField(
        min_value=1, max_value=MAX_PK, help_text="id of the bank account paid from"
    )
    paid_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)


class RepaymentInput(serializers.Serializer):
    amount = YuanInputField(help_text='yuan, as a string: "1234.56"')
    value_date = serializers.DateField()
    bank_account = serializers.IntegerField(
        min_value=1, max_value=MAX_PK, help_text="id of the bank account received into"
    )
    bank_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )


class RepaymentOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    account_id = serializers.IntegerField(read_only=True)
    amount = YuanField(source="amount_fen")
    value_date = serializers.DateField(read_only=True)
    bank_reference = serializers.CharField(read_only=True)


def _bank(user: Any, pk: int) -> BankAccount:
    bank = ledger_selectors.bank_account_list(user=user).filter(pk=pk).first()
    if bank is None:
        raise serializers.ValidationError(
            {"bank_account": [_("No such bank account in your regions.")]}
        )
    return bank


def _json(data: Any) -> Any:
    """Serializer output as stored JSON (dates and decimals already strings)."""
    return dict(data)


# --- disbursements ----------------------------------------------------------------------


class DisbursementAction(LanguageMixin, APIView):
    perm = ""

    def disbursement(self, request: Request, pk: str) -> Disbursement:
        disbursement: Disbursement = scoped_get(
            ledger_selectors.disbursement_list(user=request.user).select_related(
                "commitment", "repayable", "bank_account"
            ),
            pk,
        )
        if not request.user.has_perm("ledger.view_disbursement", disbursement):
            from rest_framework.exceptions import NotFound

            raise NotFound()
        need(request.user, self.perm, disbursement)
        return disbursement

    def done(self, disbursement: Disbursement) -> tuple[int, Any]:
        fresh = ledger_selectors.disbursement_list(user=self.request.user).get(pk=disbursement.pk)
        return 200, _json(DisbursementSerializer(fresh).data)


class DisbursementSubmitView(DisbursementAction):
    """Submit a draft disbursement for approval (提交审核): the maker's payment order."""

    perm = "ledger.submit_disbursement"

    @extend_schema(
        summary="Order a payment: submit the disbursement for approval",
        parameters=[KEY_PARAMETER],
        request=None,
        responses={200: DisbursementSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        disbursement = self.disbursement(request, pk)

        def act() -> tuple[int, Any]:
            ledger_services.disbursement_submit(disbursement=disbursement, actor=request.user)
            return self.done(disbursement)

        return run_once(request, act)


class DisbursementApproveView(DisbursementAction):
    """Approve a submitted disbursement (checker, not its maker): reserves the money."""

    perm = "ledger.approve_disbursement"

    @extend_schema(
        summary="Approve a payment (maker-checker)",
        parameters=[KEY_PARAMETER],
        request=NoteInput,
        responses={200: DisbursementSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        disbursement = self.disbursement(request, pk)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)

        def act() -> tuple[int, Any]:
            ledger_services.disbursement_approve(
                disbursement=disbursement, actor=request.user, note=data.validated_data["note"]
            )
            return self.done(disbursement)

        return run_once(request, act)


class DisbursementPayView(DisbursementAction):
    """Record that an approved disbursement was paid from a bank account."""

    perm = "ledger.pay_disbursement"

    @extend_schema(
        summary="Record the payment of an approved disbursement",
        parameters=[KEY_PARAMETER],
        request=PayInput,
        responses={200: DisbursementSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        disbursement = self.disbursement(request, pk)
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bank = _bank(request.user, values["bank_account"])
        paid_on: dt.date = values["paid_on"]

        def act() -> tuple[int, Any]:
            ledger_services.disbursement_pay(
                disbursement=disbursement,
                bank_account=bank,
                paid_on=paid_on,
                bank_reference=values["bank_reference"],
                actor=request.user,
            )
            return self.done(disbursement)

        return run_once(request, act)


# --- repayments -------------------------------------------------------------------------


class RepaymentRecordView(LanguageMixin, APIView):
    """Record money repaid on a repayable account (overdue fee, then usage fee, then
    principal), as on the account's page."""

    @extend_schema(
        summary="Record a repayment",
        parameters=[KEY_PARAMETER],
        request=RepaymentInput,
        responses={201: RepaymentOutput},
    )
    def post(self, request: Request, pk: str) -> Response:
        need(request.user, "ledger.view_ledger")
        account: RepayableAccount = scoped_get(
            ledger_selectors.repayable_list(user=request.user), pk
        )
        if not request.user.has_perm("ledger.view_repayableaccount", account):
            from rest_framework.exceptions import NotFound

            raise NotFound()
        need(request.user, "ledger.record_repayment", account)
        data = RepaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bank = _bank(request.user, values["bank_account"])

        def act() -> tuple[int, Any]:
            repayment = ledger_services.repayment_record(
                account=account,
                amount=values["amount"],
                value_date=values["value_date"],
                bank_account=bank,
                bank_reference=values["bank_reference"],
                actor=request.user,
            )
            return 201, _json(RepaymentOutput(repayment).data)

        return run_once(request, act)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    with translation.override(language_of(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))):
        status, title = PROBLEM_TYPES["not-found"]
        body = {
            "type": TYPE_PREFIX + "not-found",
            "title": str(title),
            "status": status,
            "detail": _("There is no such address in the API."),
            "instance": request.path,
        }
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


PK = "<str:pk>"
urlpatterns: list[URLPattern] = [
    path(
        f"disbursements/{PK}/submit/", DisbursementSubmitView.as_view(), name="disbursement-submit"
    ),
    path(
        f"disbursements/{PK}/approve/",
        DisbursementApproveView.as_view(),
        name="disbursement-approve",
    ),
    path(f"disbursements/{PK}/pay/", DisbursementPayView.as_view(), name="disbursement-pay"),
    path(
        f"repayable-accounts/{PK}/repayments/",
        RepaymentRecordView.as_view(),
        name="repayment-record",
    ),
]
