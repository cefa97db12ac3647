"""What every app's views do the same way: run one service in the request's outermost
transaction and turn a refusal into messages for the user (never a 500); follow a
``next`` address only when it stays on this site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def run_service(
    request: HttpRequest,
    action: Callable[[], Any],
    success: str,
    *,
    refusals: tuple[type[Exception], ...],
) -> Any:
    """``action()`` inside ``atomic(durable=True)``; a refusal (one of ``refusals``, with
    optional ``reasons``) becomes error messages and ``None``; success a message and the
    result (``True`` when the service returns nothing)."""
    try:
        with transaction.atomic(durable=True):
            result = action()
    except refusals as error:
        for reason in getattr(error, "reasons", None) or [str(error)]:
            messages.error(request, str(reason))
        return None
    messages.success(request, success)
    return True if result is None else result


def form_errors_to_messages(request: HttpRequest, form: Any) -> None:
    """Each error of a form as a message, after the field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else str(error))


def safe_next(request: HttpRequest, fallback: str, *, field: str = "next") -> str:
    """The ``next`` address of the request (POST, else GET) if it stays on this site and
    scheme (``url_has_allowed_host_and_scheme``), otherwise ``fallback``. Every view that
    returns the user to an address taken from the request goes through here."""
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def pk_or_404(value: object) -> int:
    """A primary key from a request: ASCII digits within a 64-bit integer, else a 404 —
    never the 500 that ``int("²")`` or ``get_object_or_404(pk="abc")`` would give."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Http404
    return int(text)


def posted_pk(request: HttpRequest, field: str) -> int:
    """The primary key a form posted in ``field`` (see ``pk_or_404``)."""
    return pk_or_404(request.POST.get(field, ""))
