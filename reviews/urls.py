from django.urls import path

from . import fee_views, rubric_views, views

app_name = "reviews"

urlpatterns = [
    path("my/", views.my_assignments, name="my_assignments"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/declare/", views.assignment_declare, name="assignment_declare"),
    path(
        "assignments/<int:pk>/files/<int:attachment_pk>/",
        views.assignment_attachment,
        name="assignment_attachment",
    ),
    path("assignments/<int:pk>/score/", views.assignment_score, name="assignment_score"),
    path("assignments/<int:pk>/do/<str:name>/", views.assignment_action, name="assignment_action"),
    path("panels/", views.panel_list, name="panel_list"),
    path("panels/new/", views.panel_create, name="panel_create"),
    path("panels/<int:pk>/", views.panel_detail, name="panel"),
    path("panels/<int:pk>/do/<str:name>/", views.panel_action, name="panel_action"),
    path("panels/<int:pk>/ranking.xlsx", views.ranking_download, name="ranking_download"),
    path("panels/<int:pk>/score-sheets.xlsx", views.scores_template, name="scores_template"),
    path("notices/<int:pk>/list.pdf", views.notice_pdf, name="notice_pdf"),
    path("applications/<int:pk>/approval.pdf", views.approval_pdf, name="approval_pdf"),
    path("applications/<int:pk>/exclusions/", views.exclusions, name="exclusions"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check"),
    path("spot-check-items/<int:pk>/record/", views.spot_check_record, name="spot_check_record"),
    path("rubrics/", rubric_views.rubric_list, name="rubric_list"),
    path("rubrics/new/", rubric_views.rubric_create, name="rubric_create"),
    path("rubrics/<int:pk>/edit/", rubric_views.rubric_edit, name="rubric_edit"),
    path(
        "rubrics/<int:pk>/next-version/",
        rubric_views.rubric_next_version,
        name="rubric_next_version",
    ),
    path("calls/<int:pk>/rubric/", rubric_views.call_rubric, name="call_rubric"),
    path("programmes/<int:pk>/fee-rates/", fee_views.programme_fee_rates, name="fee_rates"),
    path("panels/<int:pk>/fees/", fee_views.panel_fees, name="panel_fees"),
    path("panels/<int:pk>/fees/prepare/", fee_views.panel_fees_prepare, name="panel_fees_prepare"),
    path("fee-sheets/<int:pk>/", fee_views.fee_sheet_detail, name="fee_sheet"),
    path("fee-sheets/<int:pk>/do/<str:name>/", fee_views.fee_sheet_action, name="fee_sheet_action"),
    path(
        "fee-sheets/<int:pk>/expert-fees.xlsx",
        fee_views.fee_sheet_download,
        name="fee_sheet_download",
    ),
    path("fee-lines/<int:pk>/account/", fee_views.fee_line_account, name="fee_line_account"),
    path("acceptances/<int:pk>/", views.acceptance_detail, name="acceptance"),
    path("acceptances/<int:pk>/do/<str:name>/", views.acceptance_action, name="acceptance_action"),
]
