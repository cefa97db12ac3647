from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from . import recovery_views, setup_views, statement_views, views

app_name = "ledger"

urlpatterns = [
    path("", views.FinanceHomeView.as_view(), name="home"),
    path("budget-lines/", views.BudgetLineListView.as_view(), name="budget_line_list"),
    path(
        "budget-lines/new/", setup_views.BudgetLineCreateView.as_view(), name="budget_line_create"
    ),
    path("budget-lines/<int:pk>/", views.BudgetLineDetailView.as_view(), name="budget_line_detail"),
    path("bank-accounts/", setup_views.BankAccountListView.as_view(), name="bank_account_list"),
    path("disbursements/", views.DisbursementListView.as_view(), name="disbursement_list"),
    path("disbursements/new/", views.DisbursementCreateView.as_view(), name="disbursement_create"),
    path(
        "disbursements/<int:pk>/",
        views.DisbursementDetailView.as_view(),
        name="disbursement_detail",
    ),
    path(
        "disbursements/<int:pk>/disbursement.pdf",
        views.DisbursementPdfView.as_view(),
        name="disbursement_pdf",
    ),
    path("repayable/", views.RepayableListView.as_view(), name="repayable_list"),
    path("repayable/<int:pk>/", views.RepayableDetailView.as_view(), name="repayable_detail"),
    path(
        "repayable/<int:pk>/recovery/",
        recovery_views.RecoveryActionView.as_view(),
        name="repayable_recovery",
    ),
    path(
        "repayable/<int:pk>/notices/<int:step>.pdf",
        recovery_views.DunningNoticePdfView.as_view(),
        name="dunning_notice_pdf",
    ),
    path("statements/", statement_views.StatementListView.as_view(), name="statement_list"),
    # Statements are imported on the shared import pages; the old addresses lead there.
    path(
        "statements/import/",
        RedirectView.as_view(url=reverse_lazy("imports:kind", args=["bank_statement"])),
        name="statement_import",
    ),
    path(
        "statements/template.xlsx",
        RedirectView.as_view(url=reverse_lazy("imports:template", args=["bank_statement"])),
        name="statement_template",
    ),
    path(
        "statements/<int:pk>/",
        statement_views.StatementDetailView.as_view(),
        name="statement_detail",
    ),
    path("my/", views.MyFundingView.as_view(), name="my_funding"),
]
