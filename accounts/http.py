"""Small helpers for views of every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import User


def actor_of(request: HttpRequest) -> User:
    """The logged-in user acting in this request (views are login-protected)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return cast("User", user)
