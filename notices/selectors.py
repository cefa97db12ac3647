from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Message, OutgoingMail


def inbox_for(*, user: Any) -> QuerySet[Message]:
    return Message.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user: Any) -> int:
    return Message.objects.filter(user=user).unread().count()


def mail_with_errors() -> QuerySet[OutgoingMail]:
    """Mail not sent that failed at least once, the given-up first."""
    return OutgoingMail.objects.with_errors().order_by("-attempts", "-created_at", "-pk")
