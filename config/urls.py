from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import HomeView
from core.auth_forms import LoginForm, PasswordChangeForm

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/tokens/", include("api.token_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("ledger/", include("ledger.urls")),
    path("", include("projects.urls")),
    path("", include("funding.urls")),
    path("reviews/", include("reviews.urls")),
    path("imports/", include("core.import_urls")),
    path("reports/", include("reports.urls")),
    path("inbox/", include("notices.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
