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


@pytest.fixture
def demo_world(db: Any) -> None:
    """The accounts part of the demo world, built through the real services."""
    from demo import accounts_world
    from demo.log import Log

    accounts_world.build(Log())


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def as_user(demo_world: None) -> Any:
    return login
