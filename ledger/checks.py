"""System checks for the guards that live outside the code: the checkpoint key and
directory, and the two database roles (README, Production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .checkpoint import MIN_KEY_LENGTH
from .database_roles import owner_settings


def _inside(path: Path, root: Any) -> bool:
    if not root:
        return False
    try:
        path.resolve().relative_to(Path(root).resolve())
    except ValueError:
        return False
    return True


@register(Tags.security)
def checkpoint_outside_the_web_root(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    directory = Path(settings.LEDGER_CHECKPOINT_DIR)
    roots = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *settings.STATICFILES_DIRS]
    if any(_inside(directory, root) for root in roots):
        return [
            Error(
                "LEDGER_CHECKPOINT_DIR lies inside a directory the web server serves.",
                hint="Put the ledger checkpoint outside the web root (README, Production).",
                id="ledger.E001",
            )
        ]
    key = settings.LEDGER_CHECKPOINT_KEY
    if key and len(key) < MIN_KEY_LENGTH:
        return [
            Error(
                f"LEDGER_CHECKPOINT_KEY is shorter than {MIN_KEY_LENGTH} characters.",
                id="ledger.E002",
            )
        ]
    return []


@register(Tags.security)
def owner_url_names_the_same_database(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        owner_settings()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="ledger.E003")]
    return []


@register(Tags.security, deploy=True)
def checkpoint_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.LEDGER_CHECKPOINT_KEY:
        return []
    return [
        Warning(
            "LEDGER_CHECKPOINT_KEY is not set: no checkpoint of the ledger is kept outside "
            "the database, so a truncated or re-hashed journal would not be found.",
            hint="Set LEDGER_CHECKPOINT_KEY and LEDGER_CHECKPOINT_DIR and run "
            "manage.py ledger_checkpoint on a schedule (README, Production).",
            id="ledger.W001",
        )
    ]


@register(Tags.security, deploy=True)
def app_role_is_not_the_owner(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return []
    if getattr(settings, "DATABASE_OWNER", None):
        return []
    return [
        Warning(
            "DATABASE_OWNER_URL is not set: the app connects as the owner of its tables, "
            "so it could disable the ledger's triggers.",
            hint="Give the app a role that owns nothing (manage.py database_roles) and the "
            "owner's URL to migrate (README, Production).",
            id="ledger.W002",
        )
    ]
