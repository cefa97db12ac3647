from tests.projects.conftest import world  # noqa: F401
