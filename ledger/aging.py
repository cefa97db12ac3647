"""Aging read from the schedule (账龄): how many days the oldest unpaid instalment of an
open repayable account is past due, as of a Beijing date, computed when a page or report
reads it. The nightly ``age_receivables`` books the fees and moves the account's status;
the figures people read never wait for it, so a missed night never shows 0 days (or an
old figure) for an account whose instalment is unpaid.

``with_current_aging(qs, day)`` annotates ``overdue_since`` (the due date of the oldest
unpaid instalment before ``day``) and ``current_aging`` (the bucket, compared in SQL on
dates, so it filters and groups on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .models import AgingBucket, Instalment, RepayableAccount

OPEN = (
    RepayableAccount.Status.ACTIVE,
    RepayableAccount.Status.OVERDUE,
    RepayableAccount.Status.RESCHEDULED,
)
UNPAID = Q(principal_paid_fen__lt=F("principal_due_fen")) | Q(fee_paid_fen__lt=F("fee_due_fen"))
# the upper bound (days) of each bucket, in order
_BOUNDS = (
    (30, AgingBucket.D1_30),
    (90, AgingBucket.D31_90),
    (180, AgingBucket.D91_180),
    (365, AgingBucket.D181_365),
)


def with_current_aging(queryset: Any, day: dt.date) -> Any:
    """Two correlated subqueries per account, each one probe of the unpaid-instalment
    index: the oldest unpaid due date, and its bucket computed inside the subquery (a
    bucket written as a CASE over ``overdue_since`` would repeat the subquery in every
    branch: five times per account)."""
    unpaid = (
        Instalment.objects.filter(account=OuterRef("pk"), due_date__lt=day)
        .filter(UNPAID)
        .order_by("due_date")
    )
    bucket_of_due_date = Case(
        *(
            When(due_date__gte=day - dt.timedelta(days=bound), then=Value(code.value))
            for bound, code in _BOUNDS
        ),
        default=Value(AgingBucket.OVER_365.value),
        output_field=CharField(),
    )
    oldest = unpaid.values("due_date")[:1]
    oldest_bucket = unpaid.annotate(bucket=bucket_of_due_date).values("bucket")[:1]
    return queryset.annotate(
        overdue_since=Case(
            When(status__in=OPEN, then=Subquery(oldest, output_field=DateField())),
            default=None,
            output_field=DateField(),
        ),
        current_aging=Case(
            When(
                status__in=OPEN,
                then=Coalesce(
                    Subquery(oldest_bucket, output_field=CharField()),
                    Value(AgingBucket.CURRENT.value),
                ),
            ),
            default=Value(AgingBucket.CURRENT.value),
            output_field=CharField(),
        ),
    )


def overdue_on(day: dt.date) -> Q:
    """The accounts overdue on ``day``: those whose ``overdue_since`` (above) is not
    NULL, i.e. open and with an unpaid instalment due before that day. A filter, not an
    annotation: PostgreSQL plans the EXISTS as a semi-join (one probe of the
    unpaid-instalment index per account) and estimates its rows, where a filter on the
    annotation's CASE is a black box evaluated row by row."""
    unpaid = Instalment.objects.filter(account=OuterRef("pk"), due_date__lt=day).filter(UNPAID)
    return Q(Exists(unpaid), status__in=OPEN)


def bucket_for(since: dt.date | None, day: dt.date) -> str:
    """The bucket of an account whose oldest unpaid instalment fell due on ``since``
    (None: not overdue), as of ``day``: the rule of ``with_current_aging`` in Python."""
    if since is None:
        return AgingBucket.CURRENT.value
    for bound, code in _BOUNDS:
        if since >= day - dt.timedelta(days=bound):
            return code.value
    return AgingBucket.OVER_365.value


def overdue_since(account: RepayableAccount, day: dt.date) -> dt.date | None:
    """The due date of the oldest unpaid instalment before ``day`` (None: not overdue)."""
    if hasattr(account, "overdue_since"):
        return account.overdue_since
    if account.status not in OPEN:
        return None
    return (
        Instalment.objects.filter(account=account, due_date__lt=day)
        .filter(UNPAID)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )


def days_overdue(account: RepayableAccount, day: dt.date) -> int:
    since = overdue_since(account, day)
    return (day - since).days if since is not None else 0
