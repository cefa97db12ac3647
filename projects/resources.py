"""The applications list as .xlsx from the admin (django-import-export)."""

from __future__ import annotations

from import_export import fields

from core.exports import ExportResource, WordsField, YuanField

from .models import Application


class ApplicationResource(ExportResource):
    number = fields.Field(attribute="number", column_name="项目编号")
    title = fields.Field(attribute="title", column_name="项目名称")
    call = fields.Field(attribute="call__title", column_name="年度批次")
    category = fields.Field(attribute="category__name", column_name="类别")
    district = fields.Field(attribute="district__name", column_name="区县")
    organisation = fields.Field(attribute="organisation__name", column_name="申报单位")
    status = WordsField(attribute="status", column_name="状态")
    requested = YuanField(attribute="amount_requested_fen", column_name="申请金额（元）")
    approved = YuanField(attribute="approved_amount_fen", column_name="立项金额（元）")

    class Meta:
        model = Application
        fields = (
            "number",
            "title",
            "call",
            "category",
            "district",
            "organisation",
            "status",
            "requested",
            "approved",
        )
        export_order = fields
