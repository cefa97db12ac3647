from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/calls/new/", views.call_create, name="call_create"),
    path("programmes/<int:pk>/categories/new/", views.category_create, name="category_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/do/<str:name>/", views.call_action, name="call_action"),
    path("calls/<int:pk>/template/", views.call_apply_template, name="call_apply_template"),
    path("calls/<int:pk>/quotas/", views.call_quotas, name="call_quotas"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("quotas/", views.quota_list, name="quota_list"),
    path("district-statistics/", views.statistic_list, name="statistic_list"),
]
