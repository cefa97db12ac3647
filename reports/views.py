"""The report pages: the dashboard of the user's roles, and the year-end workbook to
download. Both read only, and only the user's own subtrees (``reports.scope``)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from accounts.models import OrgUnit
from accounts.permissions import scope_of
from core import clock
from core.http import attach, download
from core.pdf import PDF_CONTENT_TYPE
from core.xlsx import XLSX_CONTENT_TYPE

from . import dashboard, exports, selectors
from .batches import batch_summary
from .district_report import district_report_pdf
from .forms import YearEndForm, YearForm
from .models import WorkbookExport
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
    """The form, which starts the workbook in the background (POST), and the user's recent
    workbooks; ``?year=`` still answers the file itself, made in the request (scripts)."""

    template_name = "reports/year_end.html"

    def _regions(self, scope: ReportScope) -> list[tuple[str, str]]:
        return list(
            OrgUnit.objects.filter(scope.region_q("path"))
            .exclude(level=OrgUnit.Level.TOWNSHIP)
            .order_by("path")
            .values_list("code", "name")
        )

    def _page(self, request: HttpRequest, form: YearEndForm, scope: ReportScope) -> HttpResponse:
        recent = WorkbookExport.objects.filter(user_id=int(request.user.pk or 0))[:10]
        return render(
            request, self.template_name, {"form": form, "scope": scope, "exports": recent}
        )

    def post(self, request: HttpRequest) -> HttpResponseBase:
        """Start the workbook in the background; the page of the export follows it."""
        scope = scope_for_user(request.user)
        form = YearEndForm(request.POST, years=self.years(scope), regions=self._regions(scope))
        if not form.is_valid():
            return self._page(request, form, scope)
        export = exports.export_request(
            user=request.user,
            year=form.cleaned_data["year"],
            region_code=form.cleaned_data["district"] or "",
        )
        return redirect("reports:export", pk=export.pk)

    def get(self, request: HttpRequest) -> HttpResponseBase:
        scope = scope_for_user(request.user)
        regions = self._regions(scope)
        form = YearEndForm(request.GET or None, years=self.years(scope), regions=regions)
        if not form.is_valid():
            return self._page(request, form, scope)
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


def _own_export(request: HttpRequest, pk: int) -> WorkbookExport:
    """The user's own export; another's is not found."""
    return get_object_or_404(WorkbookExport, pk=pk, user_id=int(request.user.pk or 0))


class ExportView(ReportView):
    """The progress of one workbook, and the file when it is ready. The page polls
    ``export_status`` with static/js/poll.js (no inline script: CSP)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export = _own_export(request, pk)
        return render(request, "reports/export.html", {"export": export})


class ExportStatusView(ReportView):
    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        export = _own_export(request, pk)
        return JsonResponse(
            {
                "status": export.status,
                "status_label": str(export.get_status_display()),
                "progress": export.progress,
                "finished": export.status
                in (WorkbookExport.Status.DONE, WorkbookExport.Status.FAILED),
            }
        )


class ExportFileView(ReportView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        export = _own_export(request, pk)
        if export.status != WorkbookExport.Status.DONE or not export.file:
            raise Http404
        response = FileResponse(default_storage.open(export.file), content_type=XLSX_CONTENT_TYPE)
        return attach(response, export.filename, fallback=export.fallback_name)


class BatchSummaryView(ReportView):
    """批次汇总: per batch of the year and for the year, by instrument, and the year's
    recovery of repayable funds."""

    template_name = "reports/batches.html"

    def year_of(self, request: HttpRequest, scope: ReportScope) -> tuple[int, YearForm]:
        years = self.years(scope)
        form = YearForm(request.GET or None, years=years)
        year = form.cleaned_data["year"] if form.is_valid() else clock.today().year
        if not form.is_bound or not form.is_valid():
            form = YearForm(years=years, initial={"year": year})
        return year, form

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = scope_for_user(request.user)
        year, form = self.year_of(request, scope)
        context = {
            "form": form,
            "year": year,
            "scope": scope,
            "summary": batch_summary(scope=scope, year=year),
        }
        return render(request, self.template_name, context)


class DistrictReportPdfView(BatchSummaryView):
    """区县科技三项费用使用情况: the batch summary and the recovery paragraph, one page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = scope_for_user(request.user)
        year, _form = self.year_of(request, scope)
        summary = batch_summary(scope=scope, year=year)
        return download(
            district_report_pdf(summary=summary, scope=scope),
            f"{year}年度科技三项费用使用情况-{scope.label}.pdf",
            fallback=f"district-report-{year}.pdf",
            content_type=PDF_CONTENT_TYPE,
        )
