from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.index, name="index"),
    path("commits/<str:token>/", import_views.commit_result, name="commit_result"),
    path("<slug:kind>/", import_views.kind_page, name="kind"),
    path("<slug:kind>/template.xlsx", import_views.template, name="template"),
    path("<slug:kind>/commit/", import_views.commit, name="commit"),
]
