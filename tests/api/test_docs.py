"""The schema and the self-hosted docs: nothing is loaded from another site, the pages
keep the Content-Security-Policy's 'self' scripts, and the schema lists every endpoint
with its problem responses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_nothing_from_elsewhere(db: Any, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script: the CSP would block it
    for asset in re.findall(r"""(?:src|href)="/static/([^"]+)\"""", html):
        assert finders.find(asset.split("?")[0]), asset


def test_swagger_start_script_is_served(db: Any) -> None:
    html = Client().get("/api/v1/docs/").content.decode()
    script = re.search(r'<script src="(/api/v1/docs/[^"]+)"', html)
    assert script is not None
    response = Client().get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert b"SwaggerUIBundle" in response.content


def test_schema_documents_every_endpoint_and_its_problems(db: Any) -> None:
    schema = Client().get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    for expected in (
        "/api/v1/calls/",
        "/api/v1/applications/{id}/",
        "/api/v1/panels/{panel_pk}/results/",
        "/api/v1/contracts/",
        "/api/v1/disbursements/{id}/approve/",
        "/api/v1/repayable-accounts/{id}/repayments/",
        "/api/v1/budget-lines/",
        "/api/v1/year-end/districts/",
        "/api/v1/assignments/{id}/scores/",
    ):
        assert expected in paths, expected
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "404"} <= set(responses), (path, method)
            assert "application/problem+json" in responses["401"]["content"]
            if method == "post":
                assert any(
                    p["name"] == "Idempotency-Key" and p["required"]
                    for p in operation["parameters"]
                )
                assert {"409", "422"} <= set(responses)
