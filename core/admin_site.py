from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class KjAdminSite(AdminSite):
    """Admin access is a permission rule (settings.ADMIN_ACCESS_PERMISSION), not the
    ``is_staff`` flag, so it follows role memberships without a second place to update."""

    site_header = "科技项目与科普惠农兴村资金管理系统"
    site_title = "资金管理系统"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # imported here: this module is loaded before the apps (auth forms need them);
        # the site itself is made once they are ready
        from .auth_forms import AdminLoginForm

        self.login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.has_perm(settings.ADMIN_ACCESS_PERMISSION))


class KjAdminConfig(AdminConfig):
    default_site = "core.admin_site.KjAdminSite"
