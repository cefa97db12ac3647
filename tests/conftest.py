from __future__ import annotations

import shutil
from typing import Any

import pytest
from django.test import Client

from accounts.models import User


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


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def as_user(demo_world: None) -> Any:
    return login
