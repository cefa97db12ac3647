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
    out, changing one's own password and switching language stay possible."""

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
                    and request.path not in self._allowed_paths()
                    and not request.path.startswith(reverse("api_tokens"))
                ):
                    return HttpResponseForbidden(_("Auditors have read-only access."))
        return self.get_response(request)

    @staticmethod
    def _allowed_paths() -> set[str]:
        return {reverse("logout"), reverse("password_change"), reverse("set_language")}
