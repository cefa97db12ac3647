from django.urls import path

from . import views

urlpatterns = [
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", views.application_start, name="application_start"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/do/<str:name>/", views.application_action, name="application_action"
    ),
    path("applications/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("notices/", views.NoticeListView.as_view(), name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("objections/<int:pk>/handle/", views.objection_handle, name="objection_handle"),
    path("gongshi/", views.public_notice_list, name="public_notice_list"),
    path("gongshi/<int:pk>/", views.public_notice_detail, name="public_notice_detail"),
    path("recommendations/", views.RecommendationListView.as_view(), name="recommendation_list"),
    path("recommendations/new/", views.recommendation_create, name="recommendation_create"),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="recommendation_detail"),
    path(
        "recommendations/<int:pk>/do/<str:name>/",
        views.recommendation_action,
        name="recommendation_action",
    ),
    path(
        "recommendations/<int:pk>/export.xlsx",
        views.recommendation_export,
        name="recommendation_export",
    ),
]

from . import contract_views  # noqa: E402

urlpatterns += [
    path("applications/<int:pk>/contract/new/", contract_views.contract_new, name="contract_new"),
    path(
        "applications/<int:pk>/acceptance/new/",
        contract_views.acceptance_new,
        name="acceptance_new",
    ),
    path(
        "applications/<int:pk>/project/<str:name>/",
        contract_views.project_action,
        name="project_action",
    ),
    path("contracts/<int:pk>/", contract_views.contract_detail, name="contract_detail"),
    path(
        "contracts/<int:pk>/do/<str:name>/", contract_views.contract_action, name="contract_action"
    ),
    path("contracts/<int:pk>/contract.pdf", contract_views.contract_pdf, name="contract_pdf"),
    path("reports/<int:pk>/", contract_views.report_detail, name="report_detail"),
    path(
        "acceptances/<int:pk>/certificate.pdf",
        contract_views.certificate_pdf,
        name="certificate_pdf",
    ),
    path("awards/indicators/", contract_views.award_indicators, name="award_indicators"),
]

from . import team_views  # noqa: E402

urlpatterns += [
    path("applications/<int:pk>/team/", team_views.application_team, name="application_team"),
    path(
        "applications/<int:pk>/application.pdf",
        team_views.application_form_pdf,
        name="application_pdf",
    ),
]

from . import change_views  # noqa: E402

urlpatterns += [
    path("contracts/<int:pk>/changes/new/", change_views.change_new, name="change_new"),
    path(
        "contracts/<int:pk>/versions/<int:number>/contract.pdf",
        change_views.contract_version_pdf,
        name="contract_version_pdf",
    ),
    path("changes/", change_views.change_list, name="change_list"),
    path("changes/extension-rules/", change_views.extension_rules, name="extension_rules"),
    path("changes/<int:pk>/", change_views.change_detail, name="change_detail"),
    path("midterm/", change_views.midterm_list, name="midterm_list"),
    path("midterm/<int:pk>/", change_views.midterm_detail, name="midterm_detail"),
    path("midterm/findings/<int:pk>/", change_views.finding_detail, name="finding_detail"),
]

from . import subsidy_views  # noqa: E402

urlpatterns += [
    path("applications/<int:pk>/loan/", subsidy_views.loan_edit, name="loan_edit"),
    path("applications/<int:pk>/cut/", subsidy_views.application_cut, name="application_cut"),
    path("contracts/<int:pk>/respread/", subsidy_views.contract_respread, name="contract_respread"),
    path(
        "contracts/<int:pk>/certificates/",
        subsidy_views.subsidy_certificate,
        name="subsidy_certificate",
    ),
]
