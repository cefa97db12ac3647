"""The client's address: the one function everything that records or throttles by
address asks (django-axes through ``AXES_CLIENT_IP_CALLABLE``, the objection throttle).

Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the address they saw to
``TRUSTED_PROXY_HEADER`` (nginx: ``proxy_set_header X-Forwarded-For
$proxy_add_x_forwarded_for``), the client is the entry that the outermost trusted proxy
appended: the ``TRUSTED_PROXY_COUNT``-th from the right. Entries to its left were
written by the client and are never believed. With no proxy configured (the default)
the header is ignored and the address is the peer's, ``REMOTE_ADDR``; so it is, too,
when the header is missing, too short or not an address (a request that did not come
through every trusted proxy).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    peer = str(request.META.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return peer
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "HTTP_X_FORWARDED_FOR")
    entries = [e.strip() for e in str(request.META.get(header) or "").split(",")]
    entries = [e for e in entries if e]
    if len(entries) < count:
        return peer
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
