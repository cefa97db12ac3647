"""What every API view shares: the language of the request, the problem-details errors
documented on every operation, and scoped reads (an object outside the user's scope is
404, as on the pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions
from rest_framework.request import Request

from .language import language_of
from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, TYPE_PREFIX, ProblemSerializer

MAX_PK = 2**63 - 1


class LanguageMixin:
    """Activates the request's language before authentication, so even a 401 speaks it."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        language = language_of(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        response.headers.setdefault("Content-Language", translation.get_language() or "zh-hans")
        return response


def scoped_get(queryset: QuerySet[Any], pk: Any) -> Any:
    """The row ``pk`` of a scoped queryset, or 404 (also for a pk no row can have)."""
    text = str(pk)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_PK:
        raise exceptions.NotFound()
    obj: Model | None = queryset.filter(pk=int(text)).first()
    if obj is None:
        raise exceptions.NotFound()
    return obj


def need(user: Any, perm: str, obj: Any = None) -> None:
    if not user.has_perm(perm, obj):
        raise exceptions.PermissionDenied()


class ProblemAutoSchema(AutoSchema):
    """Documents the problem-details responses every operation can give."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = {400, 401, 403, 404, 405, 406, 415}
        if self.method == "POST":
            codes |= {409, 422}
        problem_schema = self.resolve_serializer(ProblemSerializer, "response").ref
        for status in sorted(codes):
            with translation.override("en"):
                title = " / ".join(
                    f"{TYPE_PREFIX}{code}: {title}"
                    for code, (s, title) in PROBLEM_TYPES.items()
                    if s == status
                )
            responses.setdefault(
                str(status),
                {
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_schema}},
                    "description": title,
                },
            )
        return responses
