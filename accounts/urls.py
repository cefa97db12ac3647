from django.urls import path

from . import views

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation_list"),
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="organisation_create"),
    path("organisations/export.xlsx", views.organisation_export, name="organisation_export"),
    path(
        "organisations/<int:pk>/",
        views.OrganisationDetailView.as_view(),
        name="organisation_detail",
    ),
    path(
        "organisations/<int:pk>/edit/",
        views.OrganisationUpdateView.as_view(),
        name="organisation_update",
    ),
    path(
        "organisations/<int:pk>/licence/",
        views.organisation_licence_download,
        name="organisation_licence",
    ),
    path("persons/", views.PersonListView.as_view(), name="person_list"),
    path("persons/new/", views.PersonCreateView.as_view(), name="person_create"),
    path("persons/export.xlsx", views.person_export, name="person_export"),
    path("persons/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("persons/<int:pk>/edit/", views.PersonUpdateView.as_view(), name="person_update"),
]
