"""What the read endpoints show: explicit fields only, money as yuan strings, every
status as its code and its label (in the language of the request)."""

from __future__ import annotations

from rest_framework import serializers

from funding.models import Call
from ledger.models import BudgetLine, Disbursement, RepayableAccount
from projects.models import Application, Contract
from reviews.models import Panel, PanelItem

from .fields import YuanField


class CallSerializer(serializers.ModelSerializer):
    programme_code = serializers.CharField(source="programme.code", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    budget_envelope = YuanField(source="budget_envelope_fen")

    class Meta:
        model = Call
        fields = (
            "id",
            "programme_code",
            "programme_name",
            "year",
            "title",
            "doc_number",
            "opens_on",
            "closes_on",
            "district_deadline",
            "publicity_days",
            "budget_envelope",
            "status",
            "status_display",
        )
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer):
    call_id = serializers.IntegerField(read_only=True)
    call_year = serializers.IntegerField(source="call.year", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    applicant = serializers.SerializerMethodField()
    district_code = serializers.CharField(source="district.code", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    amount_requested = YuanField(source="amount_requested_fen")
    approved_amount = YuanField(source="approved_amount_fen", allow_null=True)

    class Meta:
        model = Application
        fields = (
            "id",
            "number",
            "title",
            "call_id",
            "call_year",
            "category_name",
            "applicant",
            "district_code",
            "district_name",
            "amount_requested",
            "approved_amount",
            "status",
            "status_display",
            "submitted_at",
        )
        read_only_fields = fields

    def get_applicant(self, application: Application) -> str:
        return str(application.applicant_name)


class PanelSerializer(serializers.ModelSerializer):
    call_id = serializers.IntegerField(read_only=True)
    call_year = serializers.IntegerField(source="call.year", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    items = serializers.IntegerField(source="n_items", read_only=True)
    assignments_submitted = serializers.IntegerField(source="n_submitted", read_only=True)

    class Meta:
        model = Panel
        fields = (
            "id",
            "name",
            "call_id",
            "call_year",
            "stage",
            "stage_display",
            "unit_name",
            "blind",
            "aggregation",
            "deadline",
            "items",
            "assignments_submitted",
            "status",
            "status_display",
            "closed_at",
        )
        read_only_fields = fields


class PanelResultSerializer(serializers.ModelSerializer):
    application_id = serializers.IntegerField(read_only=True)
    application_number = serializers.CharField(source="application.number", read_only=True)
    application_title = serializers.CharField(source="application.title", read_only=True)
    score = serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, read_only=True
    )
    mean = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True, read_only=True)

    class Meta:
        model = PanelItem
        fields = (
            "id",
            "application_id",
            "application_number",
            "application_title",
            "score",
            "mean",
            "n_scores",
            "flagged",
            "passes",
            "rank",
        )
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    application_id = serializers.IntegerField(read_only=True)
    application_number = serializers.CharField(source="application.number", read_only=True)
    application_title = serializers.CharField(source="application.title", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    amount = YuanField(source="amount_fen")
    repayable_principal = YuanField(source="repay_principal_fen")

    class Meta:
        model = Contract
        fields = (
            "id",
            "number",
            "application_id",
            "application_number",
            "application_title",
            "start_date",
            "end_date",
            "amount",
            "repayable_principal",
            "status",
            "status_display",
            "signed_at",
        )
        read_only_fields = fields


class DisbursementSerializer(serializers.ModelSerializer):
    budget_line_id = serializers.IntegerField(read_only=True)
    budget_line_code = serializers.CharField(source="budget_line.code", read_only=True)
    amount = YuanField(source="amount_fen")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    maker = serializers.CharField(source="maker.get_full_name", read_only=True)
    approver = serializers.SerializerMethodField()

    class Meta:
        model = Disbursement
        fields = (
            "id",
            "number",
            "budget_line_id",
            "budget_line_code",
            "project_ref",
            "tranche_no",
            "payee_name",
            "payee_account",
            "payee_bank",
            "purpose",
            "amount",
            "status",
            "status_display",
            "maker",
            "approver",
            "created_at",
            "submitted_at",
            "approved_at",
            "paid_on",
            "bank_reference",
        )
        read_only_fields = fields

    def get_approver(self, disbursement: Disbursement) -> str | None:
        return disbursement.approver.get_full_name() if disbursement.approver else None


class RepayableAccountSerializer(serializers.ModelSerializer):
    budget_line_id = serializers.IntegerField(read_only=True)
    principal = YuanField(source="principal_fen")
    principal_owed = YuanField(source="principal_owed_fen", allow_null=True)
    fee_owed = YuanField(source="fee_owed_fen", allow_null=True)
    overdue_fee_owed = YuanField(source="penalty_owed_fen", allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    aging_display = serializers.CharField(source="get_aging_display", read_only=True)
    fee_rate = serializers.DecimalField(max_digits=8, decimal_places=6, read_only=True)
    overdue_rate = serializers.DecimalField(max_digits=8, decimal_places=6, read_only=True)

    class Meta:
        model = RepayableAccount
        fields = (
            "id",
            "number",
            "project_ref",
            "borrower_name",
            "budget_line_id",
            "start_date",
            "term_months",
            "grace_months",
            "fee_rate",
            "overdue_rate",
            "principal",
            "principal_owed",
            "fee_owed",
            "overdue_fee_owed",
            "days_overdue",
            "aging",
            "aging_display",
            "status",
            "status_display",
        )
        read_only_fields = fields


class BudgetLineSerializer(serializers.ModelSerializer):
    funding_source_display = serializers.CharField(
        source="get_funding_source_display", read_only=True
    )
    instrument_display = serializers.CharField(source="get_instrument_display", read_only=True)
    appropriation = YuanField(source="appropriation_fen", allow_null=True)
    available = YuanField(source="available_fen", allow_null=True)
    committed = YuanField(source="committed_fen", allow_null=True)
    approved = YuanField(source="approved_fen", allow_null=True)
    disbursed = YuanField(source="disbursed_fen", allow_null=True)

    class Meta:
        model = BudgetLine
        fields = (
            "id",
            "code",
            "name",
            "year",
            "funding_source",
            "funding_source_display",
            "instrument",
            "instrument_display",
            "programme_code",
            "appropriation",
            "available",
            "committed",
            "approved",
            "disbursed",
        )
        read_only_fields = fields


class DistrictFiguresSerializer(serializers.Serializer):
    """One row of the year-end workbook's sheet 区县统计."""

    district = serializers.CharField(read_only=True)
    applied = serializers.IntegerField(read_only=True)
    recommended = serializers.IntegerField(read_only=True)
    approved = serializers.IntegerField(read_only=True)
    approved_amount = YuanField(source="approved_fen")
    paid_amount = YuanField(source="paid_fen")
    accepted = serializers.IntegerField(read_only=True)
