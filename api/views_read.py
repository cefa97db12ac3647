"""Read endpoints. Each list is the queryset of the matching web page (the same selector
or ``visible_to``), with the same role check; an object outside it is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from funding.models import Call
from ledger import selectors as ledger_selectors
from projects import selectors as project_selectors
from projects.models import Contract
from reports import selectors as report_selectors
from reports.scope import can_read_reports, scope_for_user
from reviews import selectors as review_selectors
from reviews.models import PanelItem

from . import filters
from . import serializers as out
from .base import LanguageMixin, need, scoped_get


class ReadViewSet(
    LanguageMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A scoped list with filters and cursor pages, and its objects by id."""

    lookup_value_regex = r"[0-9]{1,19}"
    # Permission the web page asks for before its list (None: scope alone decides).
    list_perm: str | None = None
    # Permission asked on each object, as the web's detail page does.
    object_perm: str | None = None

    def scoped(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view
            return self.serializer_class.Meta.model.objects.none()
        if self.list_perm:
            need(self.request.user, self.list_perm)
        return self.scoped()

    def get_object(self) -> Any:
        obj = scoped_get(self.get_queryset(), self.kwargs["pk"])
        if self.object_perm and not self.request.user.has_perm(self.object_perm, obj):
            # Readable by region but not by rule (e.g. a draft): as on the page, 404.
            raise NotFound()
        return obj


@extend_schema_view(
    list=extend_schema(summary="Calls (年度批次) of the programmes in your regions"),
    retrieve=extend_schema(summary="One call"),
)
class CallViewSet(ReadViewSet):
    """Calls (年度批次) of the programmes owned in your regions, as on the call pages."""

    serializer_class = out.CallSerializer
    filterset_class = filters.CallFilter

    def scoped(self) -> QuerySet[Any]:
        return Call.objects.visible_to(self.request.user).select_related("programme")


@extend_schema_view(
    list=extend_schema(summary="Applications and projects you may read"),
    retrieve=extend_schema(summary="One application"),
)
class ApplicationViewSet(ReadViewSet):
    """Applications and projects: officers by region (never another's draft), applicants their own, experts what they are assigned."""

    serializer_class = out.ApplicationSerializer
    filterset_class = filters.ApplicationFilter
    object_perm = "projects.view_application"

    def scoped(self) -> QuerySet[Any]:
        return project_selectors.application_list(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Expert review panels you may read"),
    retrieve=extend_schema(summary="One panel"),
)
class PanelViewSet(ReadViewSet):
    """Expert review panels you may read, as on the panel pages."""

    serializer_class = out.PanelSerializer
    filterset_class = filters.PanelFilter

    def scoped(self) -> QuerySet[Any]:
        return review_selectors.panel_list(user=self.request.user)


class PanelResultViewSet(LanguageMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The ranking of one panel: score, spread flag, pass and rank of each item."""

    serializer_class = out.PanelResultSerializer
    filterset_class = None

    def get_queryset(self) -> QuerySet[PanelItem]:
        if getattr(self, "swagger_fake_view", False):
            return PanelItem.objects.none()
        panel = scoped_get(
            review_selectors.panel_list(user=self.request.user), self.kwargs["panel_pk"]
        )
        return PanelItem.objects.filter(panel=panel).select_related("application")

    @extend_schema(summary="The results (scores and ranks) of one panel")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="Contracts (任务书) you may read"),
    retrieve=extend_schema(summary="One contract"),
)
class ContractViewSet(ReadViewSet):
    """Contracts (任务书) of the applications you may read."""

    serializer_class = out.ContractSerializer
    filterset_class = filters.ContractFilter

    def scoped(self) -> QuerySet[Any]:
        return Contract.objects.visible_to(self.request.user).select_related("application")

    def get_object(self) -> Any:
        contract = super().get_object()
        if not self.request.user.has_perm("projects.view_application", contract.application):
            raise NotFound()
        return contract


@extend_schema_view(
    list=extend_schema(summary="Disbursements (拨付) of your regions"),
    retrieve=extend_schema(summary="One disbursement"),
)
class DisbursementViewSet(ReadViewSet):
    """Disbursements (拨付) of the regions where you hold a finance or oversight role."""

    serializer_class = out.DisbursementSerializer
    filterset_class = filters.DisbursementFilter
    list_perm = "ledger.view_ledger"
    object_perm = "ledger.view_disbursement"

    def scoped(self) -> QuerySet[Any]:
        return ledger_selectors.disbursement_list(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Repayable funding accounts (有偿资金) of your regions"),
    retrieve=extend_schema(summary="One repayable account with what is owed"),
)
class RepayableAccountViewSet(ReadViewSet):
    """Repayable funding accounts (有偿资金) with principal, usage fee and overdue fee owed."""

    serializer_class = out.RepayableAccountSerializer
    filterset_class = filters.RepayableAccountFilter
    list_perm = "ledger.view_ledger"
    object_perm = "ledger.view_repayableaccount"

    def scoped(self) -> QuerySet[Any]:
        return ledger_selectors.repayable_list(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Budget lines (预算科目) of your regions with their balances"),
    retrieve=extend_schema(summary="One budget line with its balances"),
)
class BudgetLineViewSet(ReadViewSet):
    """Budget lines (预算科目) with appropriation, available, committed, approved and disbursed balances."""

    serializer_class = out.BudgetLineSerializer
    filterset_class = filters.BudgetLineFilter
    list_perm = "ledger.view_ledger"
    object_perm = "ledger.view_budgetline"

    def scoped(self) -> QuerySet[Any]:
        return ledger_selectors.budget_line_list(user=self.request.user)


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class YearEndDistrictsView(LanguageMixin, APIView):
    """区县统计 of the year-end workbook, over the regions where you read reports."""

    @extend_schema(
        summary="Year-end figures per district (区县统计)",
        parameters=[YearQuery],
        responses={200: out.DistrictFiguresSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not can_read_reports(request.user):
            raise PermissionDenied()
        query = YearQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        scope = scope_for_user(request.user)
        projects = report_selectors.project_summary(scope=scope, year=year)
        frame = report_selectors.district_statistics(scope=scope, projects=projects)
        rows = [
            {
                "district": row["district"],
                "applied": int(row["applied"]),
                "recommended": int(row["recommended"]),
                "approved": int(row["approved"]),
                "approved_fen": int(row["approved_fen"]),
                "paid_fen": int(row["paid_fen"]),
                "accepted": int(row["accepted"]),
            }
            for row in frame.to_dict("records")
        ]
        return Response(out.DistrictFiguresSerializer(rows, many=True).data)
