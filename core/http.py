"""What every app's views do the same way: run one service in the request's outermost
transaction and turn a refusal into messages for the user (never a 500); follow a
``next`` address only when it stays on this site; name a download."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
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


# --- downloads ----------------------------------------------------------------------------

# Reserved in file names on Windows (and "/" everywhere), and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# RFC 5987 attr-char: what may stand unescaped in ``filename*``.
_ATTR_CHARS = "!#$&+-.^_`|~"


def download_name(name: str) -> str:
    """A file name every system accepts: reserved characters become "_", spaces are
    collapsed, and the stem is cut to 120 characters (the extension is kept)."""
    name = " ".join(_UNSAFE.sub("_", name).split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not 1 <= len(extension) <= 5:
        stem, extension = name, ""
    stem = stem[:120].rstrip(" .") or "download"
    return f"{stem}.{extension}" if extension else stem


def content_disposition(filename: str, *, fallback: str) -> str:
    """``attachment`` with the Chinese name as RFC 5987 ``filename*=UTF-8''…`` (RFC 6266)
    and ``fallback``, an ASCII name, for the clients that read only ``filename``."""
    name = download_name(filename)
    ascii_name = download_name(fallback).encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_")
    return (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    )


def attach(response: HttpResponseBase, filename: str, *, fallback: str) -> HttpResponseBase:
    """Mark ``response`` as a download named ``filename`` (see ``content_disposition``).
    Every download of the application is named through here."""
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    return response


def download(content: bytes, filename: str, *, fallback: str, content_type: str) -> HttpResponse:
    """A file made in memory (a PDF, a workbook), as a download named ``filename``."""
    response = HttpResponse(content, content_type=content_type)
    attach(response, filename, fallback=fallback)
    return response
