"""The demo world (built once for the package, rolled back after it) and API clients
that carry a personal token of a demo user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from api.tokens import token_create
from tests.conftest import whole_demo_world

demo_books = pytest.fixture(scope="package")(whole_demo_world)


@pytest.fixture
def demo(demo_books: Any, db: Any) -> None:
    """The demo world, in this test's transaction."""


def bearer(username: str) -> dict[str, str]:
    user = User.objects.get(username=username)
    made = token_create(user=user, name="测试", lifetime_days=30)
    return {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}


@pytest.fixture
def api_as(demo: None) -> Callable[[str], Client]:
    """``api_as("finance")``: a client sending that user's token on every request."""

    def make(username: str) -> Client:
        return Client(**bearer(username))

    return make
