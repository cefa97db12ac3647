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
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import BankAccount, Disbursement, RepayableAccount
from projects import selectors as project_selectors
from projects import services as project_services
from projects.models import Notice, RecommendationList
from reviews import services as review_services
from reviews.forms import ScoreForm
from reviews.models import Assignment

from .base import MAX_PK, LanguageMixin, need, scoped_get
from .fields import YuanField, YuanInputField
from .idempotency import KEY_PARAMETER, run_once
from .language import language_of
from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, TYPE_PREFIX
from .serializers import ApplicationSerializer, DisbursementSerializer

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


# --- applications, recommendation, scores, decisions ---------------------------------------


class ApplicationSubmitView(LanguageMixin, APIView):
    """Submit an application (申报单位提交): inside the call window, eligible, not debarred;
    the same checks and the same service as the button on the application's page."""

    @extend_schema(
        summary="Submit an application",
        parameters=[KEY_PARAMETER],
        request=None,
        responses={200: ApplicationSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        application = scoped_get(project_selectors.application_list(user=request.user), pk)
        if not request.user.has_perm("projects.view_application", application):
            raise NotFound()
        need(request.user, "projects.submit_application", application)

        def act() -> tuple[int, Any]:
            project_services.application_submit(application=application, actor=request.user)
            fresh = project_selectors.application_list(user=request.user).get(pk=application.pk)
            return 200, _json(ApplicationSerializer(fresh).data)

        return run_once(request, act)


class RecommendationOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    applications = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class RecommendationSubmitView(LanguageMixin, APIView):
    """Recommend the applications of a district's recommendation list (推荐名单) to the
    city, within the quota (and, in the award flow, co-signed by the district finance
    bureau after the district notice)."""

    @extend_schema(
        summary="Recommend: submit a recommendation list",
        parameters=[KEY_PARAMETER],
        request=None,
        responses={200: RecommendationOutput},
    )
    def post(self, request: Request, pk: str) -> Response:
        rec: RecommendationList = scoped_get(
            project_selectors.recommendation_lists(user=request.user), pk
        )
        need(request.user, "projects.manage_recommendationlist", rec)

        def act() -> tuple[int, Any]:
            done = project_services.recommendation_submit(
                recommendation_list=rec, actor=request.user
            )
            body = {
                "id": done.pk,
                "status": done.status,
                "status_display": done.get_status_display(),
                "applications": sorted(done.entries.values_list("application_id", flat=True)),
            }
            return 200, _json(RecommendationOutput(body).data)

        return run_once(request, act)


class ScoresInput(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.CharField(max_length=12, allow_blank=True),
        help_text='criterion code → score as a string ("85.5"); a blank leaves it unscored',
    )
    comment = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(
        default=False, help_text="true submits (every criterion and the opinion needed)"
    )

    def validate_scores(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_CRITERIA:
            raise serializers.ValidationError(_("At most %(n)d criteria.") % {"n": MAX_CRITERIA})
        return value


class AssignmentOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)


MAX_CRITERIA = 50


def _score_field(name: str) -> str:
    """The API's name of a scoring form field: ``scores.<criterion code>``, ``comment``,
    or the whole request."""
    if name.startswith("c_"):
        return "scores." + name[2:]
    return "non_field_errors" if name == "__all__" else name


class ScoreView(LanguageMixin, APIView):
    """The assigned expert scores an item (评分): save a draft or submit, with the checks
    of the scoring form (each criterion within its range)."""

    @extend_schema(
        summary="Score an assignment (save or submit)",
        parameters=[KEY_PARAMETER],
        request=ScoresInput,
        responses={200: AssignmentOutput},
    )
    def post(self, request: Request, pk: str) -> Response:
        assignment: Assignment = scoped_get(
            Assignment.objects.for_expert(request.user).select_related("panel__rubric"), pk
        )
        data = ScoresInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        form_data = {f"c_{code}": text for code, text in values["scores"].items()}
        form_data["comment"] = values["comment"]
        form = ScoreForm(form_data, rubric=assignment.panel.rubric, submit=values["submit"])
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    _score_field(name): [str(e) for e in errors]
                    for name, errors in form.errors.items()
                }
            )

        def act() -> tuple[int, Any]:
            done = review_services.scores_save(
                assignment=assignment,
                actor=request.user,
                values=form.values(),
                comment=form.cleaned_data["comment"],
                submit=values["submit"],
            )
            return 200, _json(AssignmentOutput(done).data)

        return run_once(request, act)


class DecisionOutput(serializers.Serializer):
    approved = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class DecisionApproveView(LanguageMixin, APIView):
    """Approve (立项 / 授予) every application of a city notice whose 公示 has ended with
    no open objection."""

    @extend_schema(
        summary="Approve the applications of an ended city notice",
        parameters=[KEY_PARAMETER],
        request=None,
        responses={200: DecisionOutput},
    )
    def post(self, request: Request, pk: str) -> Response:
        notice: Notice = scoped_get(project_selectors.notice_list(user=request.user), pk)
        first = notice.applications.order_by("pk").first()
        need(request.user, "projects.decide_application", first)

        def act() -> tuple[int, Any]:
            approved = review_services.decision_approve(notice=notice, actor=request.user)
            return 200, {"approved": sorted(a.pk for a in approved)}

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
    path(f"applications/{PK}/submit/", ApplicationSubmitView.as_view(), name="application-submit"),
    path(
        f"recommendation-lists/{PK}/submit/",
        RecommendationSubmitView.as_view(),
        name="recommendation-submit",
    ),
    path(f"assignments/{PK}/scores/", ScoreView.as_view(), name="assignment-scores"),
    path(f"notices/{PK}/approve/", DecisionApproveView.as_view(), name="notice-approve"),
    path(
        f"repayable-accounts/{PK}/repayments/",
        RepaymentRecordView.as_view(),
        name="repayment-record",
    ),
]
