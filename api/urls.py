"""/api/v1/: the machine interface, its OpenAPI schema and its self-hosted docs."""

from django.urls import include, path, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from . import views_read, views_write

router = SimpleRouter()
router.register("calls", views_read.CallViewSet, basename="call")
router.register("applications", views_read.ApplicationViewSet, basename="application")
router.register("panels", views_read.PanelViewSet, basename="panel")
router.register(
    r"panels/(?P<panel_pk>[0-9]{1,19})/results",
    views_read.PanelResultViewSet,
    basename="panel-result",
)
router.register("contracts", views_read.ContractViewSet, basename="contract")
router.register("disbursements", views_read.DisbursementViewSet, basename="disbursement")
router.register(
    "repayable-accounts", views_read.RepayableAccountViewSet, basename="repayable-account"
)
router.register("budget-lines", views_read.BudgetLineViewSet, basename="budget-line")

# The docs pages' <title>, as every page's: what it is · the site.
DOCS_TITLE = format_lazy("{} · {}", _("API documentation"), _("Science funding management"))
REDOC_TITLE = format_lazy(
    "{} (Redoc) · {}", _("API documentation"), _("Science funding management")
)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", title=DOCS_TITLE),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", title=REDOC_TITLE),
        name="redoc",
    ),
    path(
        "year-end/districts/", views_read.YearEndDistrictsView.as_view(), name="year-end-districts"
    ),
    *views_write.urlpatterns,
    path("", include(router.urls)),
    # Anything else under /api/v1/ is a problem too, never an HTML page.
    re_path(r"^.*$", views_write.not_found, name="not-found"),
]
