from tests.reviews.conftest import today, world  # noqa: F401
