"""Property-based tests over the OpenAPI schema (schemathesis): requests generated from
the schema, in valid and invalid shapes, sent to the API on the demo world with a token;
no server error and every answer (status, content type, body) as the schema says."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import bearer

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 10


@pytest.fixture
def wsgi_in_test_transaction() -> Any:
    """Requests go straight to Django's WSGI handler, in the test's transaction: the
    handler must not close the connection before or after each request (the test client
    does the same; on SQLite's in-memory database closing does nothing, on PostgreSQL it
    would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The scope of each login is tested in test_scope.py; here one login that reaches every
# endpoint (finance reads the ledger and acts on it).
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_keeps_to_its_schema(
    demo: None, wsgi_in_test_transaction: Any, mode: GenerationMode
) -> None:
    username = "finance"
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_in_test_transaction)
    headers = {"Authorization": bearer(username)["HTTP_AUTHORIZATION"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
