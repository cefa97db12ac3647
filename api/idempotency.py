"""``Idempotency-Key`` on every API POST: the first request with a key runs, and its
response is stored with the hash of the request in the same transaction as what the
service posted; the same request again gets the stored response and posts nothing; the
same key with another request is a 422 problem. A refused request (a problem) stores
nothing, so the key may be used again once the cause is put right."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from .models import IdempotencyRecord
from .problems import ProblemError

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = IdempotencyRecord.KEY_MAX_LENGTH

KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "A key you choose for this request (1–100 printable ASCII characters, e.g. a "
        "UUID). Sent again with the same request, the first response is returned and "
        "nothing is posted twice; with another request, the answer is a 422 problem."
    ),
    pattern=r"^[\x21-\x7e]{1,100}$",
)


def _key(request: Request) -> str:
    key = request.headers.get(HEADER, "")
    if not key:
        raise exceptions.ValidationError({HEADER: [_("This header is required.")]})
    if len(key) > KEY_MAX_LENGTH or not all("!" <= c <= "~" for c in key):
        raise exceptions.ValidationError(
            {HEADER: [_("At most %(n)d printable ASCII characters.") % {"n": KEY_MAX_LENGTH}]}
        )
    return key


def request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        raise ProblemError(
            "idempotency-key-reused",
            _("The Idempotency-Key was already used for a different request."),
        )
    return Response(
        record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


def run_once(request: Request, action: Callable[[], tuple[int, Any]]) -> Response:
    """``action()`` → (status, body), run at most once per (user, key)."""
    key = _key(request)
    digest = request_hash(request)
    user = request.user
    try:
        with transaction.atomic(durable=True):
            record = (
                IdempotencyRecord.objects.select_for_update().filter(user=user, key=key).first()
            )
            if record is not None:
                return _replay(record, digest)
            status, body = action()
            IdempotencyRecord.objects.create(
                user=user, key=key, request_hash=digest, status_code=status, response_body=body
            )
    except IntegrityError:
        # The same key arrived twice at once; the other request stored its answer first
        # and everything this one did was rolled back.
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:
            raise
        return _replay(record, digest)
    return Response(body, status=status)
