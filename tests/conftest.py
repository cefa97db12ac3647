from __future__ import annotations

import io
import shutil
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.models import User

# Hypothesis judges the machine's speed, not the code's: on a shared two-core machine its
# "generation is slow" check and per-example deadline failed tests that were right. The
# properties are the point; the time limits are not.
hypothesis_settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("shared-machine")


@pytest.fixture(autouse=True)
def _private_media(tmp_path: Any, settings: Any) -> Any:
    """Uploaded files go to a per-test folder outside the web root."""
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _default_language(settings: Any) -> Any:
    """Each test starts and ends in the default language: a request made with the English
    cookie leaves English active in the test's thread (the middleware activates the
    language per request), and the next test in the same process would read English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _build_base_world() -> None:
    """Regions, organisations, persons, experts and one user per role (accounts), and
    the programmes, categories with their rules, this year's calls and quotas (funding),
    built through the real services. Idempotent."""
    from accounts.models import User
    from demo import accounts_world, funding_world
    from demo.log import Log
    from funding.models import Call

    if not User.objects.filter(username="applicant_nt").exists():
        accounts_world.build(Log())
    if not Call.objects.filter(year=2026).exists():
        funding_world.build(Log())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Build the base world once per test database; every test runs in a transaction
    rolled back to it. (Transactional tests run last and build it again if they need it.)"""
    with django_db_blocker.unblock():
        _build_base_world()


@pytest.fixture
def demo_world(db: Any) -> None:
    """The base world (see ``_build_base_world``)."""
    _build_base_world()


def whole_demo_world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The whole demo world (``manage.py demo``), for a package fixture:
    ``demo_books = pytest.fixture(scope="package")(whole_demo_world)``.

    Building the demo takes about 20 seconds, and the tests that use it only read it (or
    add a little inside their own transaction), so it is built once per package and test
    process inside an outer transaction that is rolled back when the package's tests are
    done; each test's own transaction is a savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # The demo command opens a durable block; inside tests Django allows that only
        # directly under a test's own transaction, which this one stands in for.
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            call_command("demo", stdout=io.StringIO())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def as_user(demo_world: None) -> Any:
    return login
