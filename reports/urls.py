from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("year-end/", views.YearEndView.as_view(), name="year_end"),
    path("year-end/<int:pk>/", views.ExportView.as_view(), name="export"),
    path("year-end/<int:pk>/status/", views.ExportStatusView.as_view(), name="export_status"),
    path("year-end/<int:pk>/file/", views.ExportFileView.as_view(), name="export_file"),
    path("batches/", views.BatchSummaryView.as_view(), name="batches"),
    path("batches/report.pdf", views.DistrictReportPdfView.as_view(), name="district_report"),
]
