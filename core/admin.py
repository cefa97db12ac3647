from typing import Any

from django.http import HttpRequest
from rules.contrib.admin import ObjectPermissionsModelAdmin


class RulesModelAdmin(ObjectPermissionsModelAdmin):
    """Admin whose every permission comes from the ``rules`` registered by the app
    (no per-user database permissions to keep in step)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")


class ReadOnlyModelAdmin(RulesModelAdmin):
    """For records that only services may write (ledger, transition logs)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
