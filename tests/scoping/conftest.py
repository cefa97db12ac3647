"""The whole demo world, built once for the scoping walk and rolled back after it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import whole_demo_world

demo_books = pytest.fixture(scope="package")(whole_demo_world)


@pytest.fixture
def demo(demo_books: Any, db: Any) -> None:
    """The demo world, in this test's transaction."""
