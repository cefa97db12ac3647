"""Read-only admin for every ledger model: the rows are written only by ledger.services;
who may look is a rule (``ledger.view_<model>``) registered by the domain."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyModelAdmin
from core.exports import XlsxExportMixin

from .models import (
    Account,
    BankAccount,
    BankStatement,
    Block,
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    ChainHead,
    Commitment,
    Disbursement,
    DunningStep,
    Entry,
    IndicatorSupplement,
    Instalment,
    Leg,
    LegalCase,
    RepayableAccount,
    Repayment,
    Reschedule,
    StatementLine,
    SurplusReturn,
    WriteOff,
)
from .resources import DisbursementResource, RepayableAccountResource


class LegInline(admin.TabularInline):
    model = Leg
    extra = 0
    can_delete = False
    fields = ("account", "amount")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("ledger.view_leg"))


@admin.register(Entry)
class EntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "kind", "value_date", "memo", "actor", "recorded_at")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo", "hash")
    list_select_related = ("actor",)
    inlines = [LegInline]


@admin.register(Leg)
class LegAdmin(ReadOnlyModelAdmin):
    list_display = ("entry", "account", "amount")
    list_select_related = ("entry", "account")
    search_fields = ("account__code",)


@admin.register(Account)
class AccountAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "book", "kind", "side", "balance", "scope_path")
    list_filter = ("book", "kind")
    search_fields = ("code", "name", "project_ref")


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "hash")


@admin.register(Block)
class BlockAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "first_seq", "last_seq", "entry_count", "hash", "sealed_at")


@admin.register(BudgetLine)
class BudgetLineAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "year", "funding_source", "instrument", "programme_code")
    list_filter = ("year", "funding_source", "instrument")
    search_fields = ("code", "name", "programme_code")


@admin.register(BudgetAdjustment)
class BudgetAdjustmentAdmin(ReadOnlyModelAdmin):
    list_display = ("budget_line", "amount_fen", "status", "requested_by", "decided_by")
    list_filter = ("status",)


@admin.register(BudgetIndicator)
class BudgetIndicatorAdmin(ReadOnlyModelAdmin):
    list_display = ("document_no", "kind", "from_line", "to_line", "amount_fen", "value_date")
    list_filter = ("kind",)


@admin.register(IndicatorSupplement)
class IndicatorSupplementAdmin(ReadOnlyModelAdmin):
    list_display = ("document_no", "indicator", "amount_fen", "status", "requested_by")
    list_filter = ("status",)


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyModelAdmin):
    list_display = ("project_ref", "budget_line", "payee_name", "created_at")
    search_fields = ("project_ref", "payee_name")


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "bank_name", "account_number", "scope_path")


@admin.register(Disbursement)
class DisbursementAdmin(XlsxExportMixin, ReadOnlyModelAdmin):
    resource_classes = [DisbursementResource]
    list_display = ("number", "payee_name", "amount_fen", "status", "maker", "approver")
    list_filter = ("status",)
    search_fields = ("number", "payee_name", "project_ref", "bank_reference")
    list_select_related = ("maker", "approver")


@admin.register(RepayableAccount)
class RepayableAccountAdmin(XlsxExportMixin, ReadOnlyModelAdmin):
    resource_classes = [RepayableAccountResource]
    list_display = ("number", "borrower_name", "principal_fen", "status", "aging", "days_overdue")
    list_filter = ("status", "aging")
    search_fields = ("number", "borrower_name", "project_ref")


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyModelAdmin):
    list_display = ("account", "seq", "due_date", "principal_due_fen", "fee_due_fen")


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "account", "value_date", "amount_fen", "reconciled")
    search_fields = ("number", "bank_reference")


@admin.register(Reschedule)
class RescheduleAdmin(ReadOnlyModelAdmin):
    list_display = ("account", "effective_date", "term_months", "status")


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyModelAdmin):
    list_display = ("account", "value_date", "status", "principal_fen")


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyModelAdmin):
    list_display = ("bank_account", "period_start", "period_end", "closing_balance_fen")


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyModelAdmin):
    list_display = ("statement", "row_no", "bank_reference", "direction", "amount_fen", "status")
    list_filter = ("status", "direction")
    search_fields = ("bank_reference", "counterparty_name")


@admin.register(SurplusReturn)
class SurplusReturnAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "project_ref", "payer_name", "amount_fen", "status", "returned_on")
    list_filter = ("status",)
    search_fields = ("number", "project_ref", "payer_name")


@admin.register(DunningStep)
class DunningStepAdmin(ReadOnlyModelAdmin):
    list_display = ("account", "kind", "step_date", "letter_no")
    list_filter = ("kind",)


@admin.register(LegalCase)
class LegalCaseAdmin(ReadOnlyModelAdmin):
    list_display = ("account", "court", "case_number", "stage")
    list_filter = ("stage",)
