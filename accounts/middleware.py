from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.utils.translation import gettext as _

from .permissions import scope_of
from .roles import Role

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ReadOnlyAuditorMiddleware:
    """An auditor reads everything and changes nothing: any write request from a user
    whose only role is auditor is refused, whatever the view (admin included). Logging
    out, changing one's own password, switching language, marking one's own messages read,
    preparing a workbook, exporting an admin list and managing one's own API tokens stay
    possible."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in _SAFE_METHODS:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not user.is_superuser:
                roles = scope_of(user).roles
                # An auditor may make and revoke their own API tokens (through which
                # they only read, as here).
                if (
                    roles == {Role.AUDITOR}
                    and not self._allowed(request.path)
                    and not request.path.startswith(reverse("api_tokens"))
                ):
                    return HttpResponseForbidden(_("Auditors have read-only access."))
        return self.get_response(request)

    @classmethod
    def _allowed(cls, path: str) -> bool:
        # an admin list's .xlsx export (django-import-export posts its column choice)
        # reads only
        return path in cls._allowed_paths() or (
            path.startswith(reverse("admin:index")) and path.endswith("/export/")
        )

    @staticmethod
    def _allowed_paths() -> set[str]:
        # reading one's own messages, and a workbook prepared for oneself, change no record
        return {
            reverse("logout"),
            reverse("password_change"),
            reverse("set_language"),
            reverse("notices:read"),
            reverse("notices:read_all"),
            reverse("reports:year_end"),
        }
