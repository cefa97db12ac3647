"""Fast settings for the test suite."""

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run at once, in the test's thread (tests of the worker switch to the database
# backend themselves).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests that need a checkpoint or an owner URL set them themselves.
LEDGER_CHECKPOINT_KEY = ""
LEDGER_CHECKPOINT_DIR = VAR_DIR / "test-ledger-checkpoint"
DATABASE_OWNER = None
STATIC_ROOT = None  # type: ignore[assignment]  # served by whitenoise from the finders; collectstatic is for production

# The ledger's tables refuse TRUNCATE (ledger migration 0012), and Django's flush between
# transactional tests truncates every table: on PostgreSQL the test sessions opt in.
# Production never sets this; tests/ledger/test_database_guards.py shows the refusal on a
# connection made without it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c kjfund.allow_truncate=on"  # noqa: F405
