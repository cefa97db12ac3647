"""The report pages: the dashboard of the user's roles, and the year-end workbook to
download. Both read only, and only the user's own subtrees (``reports.scope``)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views import View

from accounts.models import OrgUnit
from accounts.permissions import scope_of
from core import clock
from core.http import attach
from core.xlsx import XLSX_CONTENT_TYPE

from . import dashboard, selectors
from .batches import batch_summary
from .forms import YearEndForm, YearForm
from .scope import ReportScope, scope_for_user
from .workbook import year_end_workbook


class ReportView(LoginRequiredMixin, View):
    """Base: the user must hold a region-reading role."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.has_perm("reports.view_reports"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def years(self, scope: ReportScope) -> list[int]:
        this_year = clock.today().year
        return sorted({this_year, *selectors.years_with_data(scope=scope)}, reverse=True)


class DashboardView(ReportView):
    template_name = "reports/dashboard.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = scope_for_user(request.user)
        years = self.years(scope)
        form = YearForm(request.GET or None, years=years)
        year = form.cleaned_data["year"] if form.is_valid() else clock.today().year
        if not form.is_bound or not form.is_valid():
            form = YearForm(years=years, initial={"year": year})
        panels = dashboard.panels_for(scope_of(request.user).roles)
        context = {
            "form": form,
            "year": year,
            "scope": scope,
            "panels": dashboard.dashboard_panels(scope=scope, year=year, panels=panels),
        }
        return render(request, self.template_name, context)


class YearEndView(ReportView):
    """The form, and with ``?year=`` the workbook itself."""

    template_name = "reports/year_end.html"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        scope = scope_for_user(request.user)
        regions = list(
            OrgUnit.objects.filter(scope.region_q("path"))
            .exclude(level=OrgUnit.Level.TOWNSHIP)
            .order_by("path")
            .values_list("code", "name")
        )
        form = YearEndForm(request.GET or None, years=self.years(scope), regions=regions)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "scope": scope})
        year = form.cleaned_data["year"]
        code = form.cleaned_data["district"]
        if code:
            scope = scope.narrowed_to(OrgUnit.objects.get(code=code))
        # Rows are streamed to a temporary file, not held in memory; it is deleted when
        # the response closes it.
        target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
        year_end_workbook(scope=scope, year=year, target=target)
        target.seek(0)
        response = FileResponse(target, content_type=XLSX_CONTENT_TYPE)
        return attach(
            response,
            f"{year}年度报表-{scope.label}.xlsx",
            fallback=f"year-end-{year}{f'-{code}' if code else ''}.xlsx",
        )


class BatchSummaryView(ReportView):
    """批次汇总: per batch of the year and for the year, by instrument."""

    template_name = "reports/batches.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = scope_for_user(request.user)
        years = self.years(scope)
        form = YearForm(request.GET or None, years=years)
        year = form.cleaned_data["year"] if form.is_valid() else clock.today().year
        if not form.is_bound or not form.is_valid():
            form = YearForm(years=years, initial={"year": year})
        context = {
            "form": form,
            "year": year,
            "scope": scope,
            "summary": batch_summary(scope=scope, year=year),
        }
        return render(request, self.template_name, context)
