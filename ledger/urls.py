from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.FinanceHomeView.as_view(), name="home"),
    path("budget-lines/", views.BudgetLineListView.as_view(), name="budget_line_list"),
    path("budget-lines/<int:pk>/", views.BudgetLineDetailView.as_view(), name="budget_line_detail"),
    path("disbursements/", views.DisbursementListView.as_view(), name="disbursement_list"),
    path("disbursements/new/", views.DisbursementCreateView.as_view(), name="disbursement_create"),
    path(
        "disbursements/<int:pk>/",
        views.DisbursementDetailView.as_view(),
        name="disbursement_detail",
    ),
    path("repayable/", views.RepayableListView.as_view(), name="repayable_list"),
    path("repayable/<int:pk>/", views.RepayableDetailView.as_view(), name="repayable_detail"),
    path("statements/", views.StatementListView.as_view(), name="statement_list"),
    path("statements/import/", views.StatementImportView.as_view(), name="statement_import"),
    path("statements/template.xlsx", views.statement_template, name="statement_template"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="statement_detail"),
    path("my/", views.MyFundingView.as_view(), name="my_funding"),
]
