"""Settings for the django-hordak half of ``bench/ledger.py`` only.

hordak is a bench-only dependency (``pip install -e '.[bench]'``); the application
never has it in INSTALLED_APPS. The database is a throw-away PostgreSQL database named
by ``BENCH_HORDAK_DATABASE_URL``.
"""

from __future__ import annotations

import os

import environ

SECRET_KEY = "bench-only-not-secret"  # noqa: S105
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "mptt",
    "djmoney",
    "hordak",
]
DATABASES = {
    "default": environ.Env.db_url_config(
        os.environ.get(
            "BENCH_HORDAK_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/kjfund_bench_hordak",
        )
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY"]
HORDAK_DECIMAL_PLACES = 2
HORDAK_MAX_DIGITS = 20
