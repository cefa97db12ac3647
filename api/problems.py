"""Errors as RFC 9457 problem details (``application/problem+json``), in the language of
the request (api.language): one exception handler for every API view.

A problem has ``type`` (a URN naming the kind of problem, ``urn:kjfund:problem:<code>``,
listed in PROBLEM_TYPES and in the OpenAPI schema), ``title`` (the kind, translated),
``status``, ``detail`` (this occurrence, translated), ``instance`` (the request's path)
and, for invalid input, ``errors``: one ``{"field", "message"}`` per field error
(``field`` empty for errors of the request as a whole).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from funding.services.common import FundingError
from ledger.errors import ConcurrentChange, LedgerError
from projects.services import ApplicationConflict, ApplicationError
from reviews.services import ReviewError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:kjfund:problem:"

# code → (HTTP status, title)
PROBLEM_TYPES: dict[str, tuple[int, Any]] = {
    "invalid-request": (400, gettext_lazy("The request is not valid")),
    "not-authenticated": (401, gettext_lazy("Authentication is needed")),
    "forbidden": (403, gettext_lazy("Not allowed")),
    "not-found": (404, gettext_lazy("Not found")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed")),
    "not-acceptable": (406, gettext_lazy("Response format not available")),
    "conflict": (409, gettext_lazy("Someone else changed the record first")),
    "unsupported-media-type": (415, gettext_lazy("Request format not supported")),
    "refused": (422, gettext_lazy("The action was refused")),
    "idempotency-key-reused": (
        422,
        gettext_lazy("The idempotency key was used for another request"),
    ),
    "throttled": (429, gettext_lazy("Too many requests")),
}

# Domain refusals of the services: (exception class, problem code). First match wins.
REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (ApplicationConflict, "conflict"),
    (ConcurrentChange, "conflict"),
    (ConcurrentTransition, "conflict"),
    (ApplicationError, "refused"),
    (ReviewError, "refused"),
    (FundingError, "refused"),
    (LedgerError, "refused"),
    (TransitionNotAllowed, "refused"),
)


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="The field (dotted path); empty for the whole request.",
    )
    message = serializers.CharField(max_length=1000)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(max_length=100, help_text="urn:kjfund:problem:<code>")
    title = serializers.CharField(max_length=200)
    status = serializers.IntegerField(min_value=400, max_value=599)
    detail = serializers.CharField(max_length=2000)
    instance = serializers.CharField(max_length=2000)
    errors = FieldErrorSerializer(many=True, required=False)


class ProblemError(exceptions.APIException):
    """A problem raised by API code itself (e.g. a reused idempotency key)."""

    def __init__(self, code: str, detail: str) -> None:
        self.problem_code = code
        self.status_code = PROBLEM_TYPES[code][0]
        super().__init__(detail)


def problem(
    code: str,
    detail: str,
    *,
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    status, title = PROBLEM_TYPES[code]
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": str(title),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            field = "" if name in ("non_field_errors", "detail") else str(name)
            out += _field_errors(
                value, f"{prefix}.{field}" if prefix and field else prefix or field
            )
    elif isinstance(detail, list):
        for n, value in enumerate(detail):
            if isinstance(value, dict | list):
                out += _field_errors(value, f"{prefix}.{n}" if prefix else str(n))
            else:
                out.append({"field": prefix, "message": str(value)})
    else:
        out.append({"field": prefix, "message": str(detail)})
    return out


_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "invalid-request"),
    (exceptions.ParseError, "invalid-request"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "not-authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "throttled"),
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every refusal as a problem; anything else is
    left to Django (a real server error)."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ProblemError):
        return problem(exc.problem_code, str(exc.detail), instance=instance)
    for refusal, code in REFUSALS:
        if isinstance(exc, refusal):
            reasons = [str(r) for r in getattr(exc, "reasons", None) or [str(exc)]]
            return problem(
                code,
                "；".join(reasons),
                instance=instance,
                errors=[{"field": "", "message": r} for r in reasons],
            )
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "invalid-request")
    headers: dict[str, str] = {}
    if code == "not-authenticated":
        view = context.get("view")
        authenticate = getattr(view, "get_authenticate_header", None)
        www = authenticate(request) if authenticate and request is not None else None
        if www:
            headers["WWW-Authenticate"] = www
        else:
            code = "forbidden"
    if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
        headers["Allow"] = ", ".join(context["view"].allowed_methods)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if code == "invalid-request":
        errors = _field_errors(exc.detail)
        detail = _("The request has %(n)d error(s); see errors.") % {"n": len(errors)}
        return problem(code, detail, instance=instance, errors=errors, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if code == "not-authenticated" and isinstance(exc, exceptions.NotAuthenticated):
        detail = _("Send 'Authorization: Bearer <token>' with a personal API token.")
    return problem(code, str(detail), instance=instance, headers=headers)
