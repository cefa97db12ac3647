"""Declared resources for the admin's .xlsx export (django-import-export): columns
named in Chinese, money in yuan (Decimal from fen), choices as their words, dates as
Beijing's. Export only: imports go through ``core.importing`` (docs/decisions.md)."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources
from import_export.admin import ExportMixin
from import_export.formats.base_formats import XLSX

from .clock import iso_date
from .money import fen_to_yuan


class YuanField(fields.Field):
    """A fen column, exported in yuan."""

    def get_value(self, obj: Any) -> Any:
        fen = super().get_value(obj)
        return fen_to_yuan(fen) if fen is not None else None


class WordsField(fields.Field):
    """A choice column, exported as its label."""

    def get_value(self, obj: Any) -> Any:
        return str(getattr(obj, f"get_{self.attribute}_display")())


class DateField(fields.Field):
    def get_value(self, obj: Any) -> Any:
        return iso_date(super().get_value(obj))


class ExportResource(resources.ModelResource):
    """Base of the export resources: never used for import."""

    def import_data(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - guard
        raise NotImplementedError("imports go through core.importing")


class XlsxExportMixin(ExportMixin):
    """The admin list's export button, .xlsx only."""

    formats = [XLSX]
    export_formats = [XLSX]
