"""Personal API tokens: make one (its secret shown once), revoke it, find the token of a
request. Only the SHA-256 digest of a secret is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock

from .models import ApiToken

TOKEN_PREFIX = "kjf_"  # noqa: S105 - the visible prefix of every token, not a secret
# 32 random bytes: 43 URL-safe characters after the prefix.
SECRET_BYTES = 32
TOKEN_MAX_LENGTH = 100
MAX_LIFETIME_DAYS = 365
LIFETIME_CHOICES = (30, 90, 180, 365)
MAX_LIVE_TOKENS = 20


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_create(*, user: Any, name: str, lifetime_days: int) -> NewToken:
    """A new token for ``user``, valid for ``lifetime_days`` (1 … 365)."""
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name."))
    if not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        raise TokenError(
            _("A token is valid for at most %(days)d days.") % {"days": MAX_LIFETIME_DAYS}
        )
    with transaction.atomic():
        if ApiToken.objects.filter(user=user).usable().count() >= MAX_LIVE_TOKENS:
            raise TokenError(
                _("You have %(n)d valid tokens; revoke one first.") % {"n": MAX_LIVE_TOKENS}
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        now = clock.now()
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            digest=digest_of(secret),
            created_at=now,
            expires_at=now + dt.timedelta(days=lifetime_days),
        )
    return NewToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    if token.user_id != actor.pk:
        raise TokenError(_("This token is not yours."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.save(update_fields=["revoked_at"])
    return locked


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token whose secret this is (``None`` if unknown, expired or revoked);
    records when it was last used (at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > TOKEN_MAX_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
    now = clock.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
