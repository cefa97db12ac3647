from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("year-end/", views.YearEndView.as_view(), name="year_end"),
    path("batches/", views.BatchSummaryView.as_view(), name="batches"),
]
