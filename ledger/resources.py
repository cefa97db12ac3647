"""Disbursements and repayable accounts as .xlsx from the admin (django-import-export)."""

from __future__ import annotations

from typing import Any

from import_export import fields

from core.exports import DateField, ExportResource, WordsField, YuanField

from .models import Disbursement, RepayableAccount


class DisbursementResource(ExportResource):
    number = fields.Field(attribute="number", column_name="拨付单号")
    project_ref = fields.Field(attribute="project_ref", column_name="项目编号")
    payee_name = fields.Field(attribute="payee_name", column_name="收款人")
    amount = YuanField(attribute="amount_fen", column_name="金额（元）")
    purpose = fields.Field(attribute="purpose", column_name="用途")
    status = WordsField(attribute="status", column_name="状态")
    paid_on = DateField(attribute="paid_on", column_name="支付日期")
    bank_reference = fields.Field(attribute="bank_reference", column_name="银行流水号")

    class Meta:
        model = Disbursement
        fields = (
            "number",
            "project_ref",
            "payee_name",
            "amount",
            "purpose",
            "status",
            "paid_on",
            "bank_reference",
        )
        export_order = fields


class CurrentDaysOverdue(fields.Field):
    def get_value(self, obj: Any) -> Any:
        return obj.current_days_overdue


class CurrentAging(fields.Field):
    def get_value(self, obj: Any) -> Any:
        return obj.current_aging_label


class RepayableAccountResource(ExportResource):
    number = fields.Field(attribute="number", column_name="编号")
    project_ref = fields.Field(attribute="project_ref", column_name="项目编号")
    borrower_name = fields.Field(attribute="borrower_name", column_name="借款单位")
    principal = YuanField(attribute="principal_fen", column_name="本金（元）")
    start_date = DateField(attribute="start_date", column_name="起始日期")
    term_months = fields.Field(attribute="term_months", column_name="期限（月）")
    status = WordsField(attribute="status", column_name="状态")
    days_overdue = CurrentDaysOverdue(column_name="逾期天数")
    aging = CurrentAging(column_name="账龄")

    class Meta:
        model = RepayableAccount
        fields = (
            "number",
            "project_ref",
            "borrower_name",
            "principal",
            "start_date",
            "term_months",
            "status",
            "days_overdue",
            "aging",
        )
        export_order = fields
