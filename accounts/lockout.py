"""Which failed logins lock what (django-axes' ``AXES_LOCKOUT_PARAMETERS``).

An account is locked, never an address: many people share one address (an office, a
district bureau behind one proxy), and locking it would let anyone lock them all out.

* ``AXES_FAILURE_LIMIT`` (5) wrong passwords for one account from one address lock that
  account *from that address* for ``AXES_COOLOFF_TIME``; the owner elsewhere still logs
  in, and so does everyone else behind that address.
* ``LOGIN_ACCOUNT_FAILURE_LIMIT`` (20) wrong passwords for one account within the
  cool-off, from any addresses, lock the account from every address: guessing spread
  over many addresses is stopped too.

django-axes counts against one limit; the two rules come from choosing, per attempt,
what is counted: the account and address together, or the account alone once its
failures from all addresses reached the account limit.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessBase
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

ACCOUNT_AND_ADDRESS: list[str | list[str]] = [["username", "ip_address"]]
ACCOUNT: list[str | list[str]] = ["username"]


def lockout_parameters(
    request_or_attempt: Any, credentials: dict[str, Any] | None = None
) -> list[str | list[str]]:
    if isinstance(request_or_attempt, AccessBase):
        username = request_or_attempt.username
        attempts = AccessAttempt.objects.filter(username=username)
    else:
        username = get_client_username(request_or_attempt, credentials)
        attempts = AccessAttempt.objects.filter(username=username)
        cool_off = get_cool_off(request_or_attempt)
        if cool_off is not None:
            moment = getattr(request_or_attempt, "axes_attempt_time", None) or timezone.now()
            attempts = attempts.filter(attempt_time__gte=moment - cool_off)
    if not username:
        return ACCOUNT_AND_ADDRESS
    failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    if failures >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        return ACCOUNT
    return ACCOUNT_AND_ADDRESS
