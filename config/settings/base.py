"""Shared settings. Everything that differs between machines comes from the environment
(or a ``.env`` file beside manage.py): ``DATABASE_URL``, ``DATABASE_OWNER_URL``,
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``EMAIL_URL``, ``PRIVATE_MEDIA_ROOT``,
``LEDGER_CHECKPOINT_KEY``, ``LEDGER_CHECKPOINT_DIR``."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "core.admin_site.KjAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_filters",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "ledger",
    "funding",
    "projects",
    "reviews",
    "reports",
    "notices",
    "jobs",
    "demo",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ReadOnlyAuditorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "notices.context_processors.inbox",
            ],
        },
    },
]

# SQLite file by default (nothing to install); PostgreSQL when DATABASE_URL is set.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so "lock, check, write" services are
    # serialised on SQLite too (select_for_update is a no-op there).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production connects as a role that owns nothing (DATABASE_URL); the schema's owner
# (DATABASE_OWNER_URL, same database) is used only by ``manage.py migrate`` and
# ``manage.py database_roles`` (README, Production). Unset: both are DATABASE_URL's role.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")
DATABASE_OWNER = env.db_url_config(DATABASE_OWNER_URL) if DATABASE_OWNER_URL else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ADMIN_ACCESS_PERMISSION = "accounts.access_admin"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire: after two idle hours, and when the browser closes.
SESSION_COOKIE_AGE = int(timedelta(hours=2).total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Login throttling (django-axes; accounts.lockout): an account is locked, never an
# address. Five wrong passwords lock the account from that address for 15 minutes;
# twenty within those 15 minutes, from any addresses, lock it everywhere. State is in
# the database, so it holds across app servers.
AXES_FAILURE_LIMIT = 5
LOGIN_ACCOUNT_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"

# The client's address (core.net.client_ip, used by everything that records or
# throttles by address). Behind TLS proxies that append the address they saw to a
# header, set TRUSTED_PROXY_COUNT to their number (1 for one nginx) and, if it is not
# X-Forwarded-For, TRUSTED_PROXY_HEADER to the header's META name (HTTP_X_REAL_IP).
# With 0, the default, the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_HEADER = env("TRUSTED_PROXY_HEADER", default="HTTP_X_FORWARDED_FOR")

# Objections on the public 公示 page (projects.services.objection_file), counted from
# the stored objections themselves, so the limits hold across app servers.
OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR = 5
OBJECTION_LIMIT_PER_NOTICE_PER_DAY = 100

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded files live outside the web root and have no URL: they are served only by
# permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# ``ledger_checkpoint`` seals the head of the ledger's hash chain into a file here, with
# a key that is never in the database; ``ledger_verify`` checks the journal against it.
# Outside the web root (README, Production). No key: no checkpoint.
LEDGER_CHECKPOINT_KEY = env("LEDGER_CHECKPOINT_KEY", default="")
LEDGER_CHECKPOINT_DIR = Path(
    env("LEDGER_CHECKPOINT_DIR", default=str(VAR_DIR / "ledger-checkpoint"))
)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Caps on an uploaded .xlsx, checked before any cell is read, on the web and by
# `import_xlsx` alike (core/xlsx_guard/; the numbers and why: docs/decisions.md,
# "Hostile files"). The file itself is capped by UPLOAD_MAX_BYTES.
IMPORT_XLSX_LIMITS = {
    "parts": 1_000,
    "part_bytes": 128 * 1024 * 1024,
    "other_part_bytes": 16 * 1024 * 1024,
    "total_bytes": 256 * 1024 * 1024,
    "rows": 50_000,
    "columns": 256,
    "cells": 1_000_000,
    "shared_strings": 500_000,
    "markup_bytes": 1024 * 1024,
    "elements": 4_000_000,
    "other_elements": 200_000,
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@kjfund.local")
# The site's address as people reach it (https://kj.example.gov.cn), put before the
# links in mail; empty: mail carries the path only.
SITE_URL = env("SITE_URL", default="")

# Background work (django-tasks with its database backend, django-tasks-db): mail
# delivery, the schedule's jobs and long exports are rows in the database that
# ``manage.py db_worker`` runs (one or several workers; README, Production).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# django-import-export: the admin lists of applications, disbursements and repayable
# accounts export .xlsx (declared resources, */resources.py) to whoever may view them
# (the auditor, the administrator); formulae are escaped. Imports never go through it
# (core.importing; docs/decisions.md).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Content-Security-Policy on every response (core.middleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Where inline styles are allowed (core.middleware): the admin, the API's docs pages.
CSP_INLINE_STYLE_PREFIXES = ["/admin/", "/api/v1/docs/", "/api/v1/redoc/"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The machine interface at /api/v1/ (api/; docs/decisions.md, "API"): personal bearer
# tokens only (no session: no CSRF to think about), JSON in and out, problem details on
# every error, cursor pages.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.base.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kjfund API",
    "DESCRIPTION": (
        "科技项目与资金管理系统的机器接口 / The machine interface of the grant and "
        "project-funding system. Authenticate with `Authorization: Bearer <token>` (a "
        "personal token made on the page 我的 API 令牌). Errors are RFC 9457 problem details "
        "(`application/problem+json`), in Chinese, or in English with "
        "`Accept-Language: en`. Every POST needs an `Idempotency-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "SCHEMA_PATH_PREFIX": "/api/v1/",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
