"""Personal API tokens: no token, a wrong, an expired or a revoked token is a 401 problem;
the token page shows the secret once and stores only its digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from api.models import ApiToken
from api.tokens import token_create
from core import clock
from core.confirm import CONFIRMED

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def test_without_a_token_the_answer_is_401_in_chinese(demo: None) -> None:
    # when
    response = Client().get(LIST)
    # then
    body = _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["type"] == "urn:kjfund:problem:not-authenticated"
    assert body["title"] == "需要身份认证"
    assert body["instance"] == LIST


def test_english_with_accept_language_en(demo: None) -> None:
    response = Client().get(LIST, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,zh;q=0.5")
    body = _problem(response, 401)
    assert body["title"] == "Authentication is needed"


def test_a_valid_token_reads(demo: None) -> None:
    made = token_create(
        user=User.objects.get(username="city_officer"), name="省平台", lifetime_days=90
    )
    response = Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    assert response.status_code == 200
    assert response.json()["results"]
    made.token.refresh_from_db()
    assert made.token.last_used_at is not None


def test_expired_revoked_and_unknown_tokens_are_401(demo: None) -> None:
    # given
    user = User.objects.get(username="city_officer")
    expired = token_create(user=user, name="旧", lifetime_days=1)
    revoked = token_create(user=user, name="停用", lifetime_days=30)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        created_at=clock.now() - dt.timedelta(days=3),
        expires_at=clock.now() - dt.timedelta(days=2),
    )
    Client(HTTP_AUTHORIZATION=f"Bearer {revoked.secret}")  # works until revoked:
    assert Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {revoked.secret}").status_code == 200
    from api.tokens import token_revoke

    token_revoke(token=revoked.token, actor=user)
    # when / then
    for secret in (expired.secret, revoked.secret, "kjf_" + "x" * 43, "not-a-token"):
        body = _problem(Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)
        assert body["type"] == "urn:kjfund:problem:not-authenticated"


def test_a_token_of_a_deactivated_user_is_401(demo: None) -> None:
    user = User.objects.get(username="finance")
    made = token_create(user=user, name="银行对接", lifetime_days=30)
    User.objects.filter(pk=user.pk).update(is_active=False)
    _problem(Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {made.secret}"), 401)


def test_token_page_shows_the_secret_once_and_stores_its_digest(demo: None) -> None:
    # given
    client = Client()
    user = User.objects.get(username="auditor")
    client.force_login(user)
    # when
    page = client.post("/accounts/tokens/", {"name": "审计抽数", "lifetime_days": "90"})
    # then
    assert page.status_code == 200
    text = page.content.decode()
    secret = re.search(r"kjf_[A-Za-z0-9_-]{43}", text)
    assert secret is not None
    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(secret.group(0).encode()).hexdigest()
    assert secret.group(0) not in {token.prefix, token.digest, token.name}
    assert dt.timedelta(days=89) < token.expires_at - token.created_at <= dt.timedelta(days=90)
    again = client.get("/accounts/tokens/").content.decode()
    assert secret.group(0) not in again and "审计抽数" in again and "我的 API 令牌" in again
    # the auditor reads through it
    assert Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {secret.group(0)}").status_code == 200


def test_a_lifetime_over_a_year_is_refused(demo: None) -> None:
    client = Client()
    client.force_login(User.objects.get(username="finance"))
    page = client.post("/accounts/tokens/", {"name": "长期", "lifetime_days": "3650"})
    assert page.status_code == 200
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_the_token_stops_working(demo: None) -> None:
    # given
    user = User.objects.get(username="finance")
    made = token_create(user=user, name="银行对接", lifetime_days=30)
    client = Client()
    client.force_login(user)
    url = f"/accounts/tokens/{made.token.pk}/revoke/"
    # when: without the confirmation
    asked = client.post(url)
    # then
    assert asked.status_code == 200
    made.token.refresh_from_db()
    assert made.token.revoked_at is None
    # when: confirmed
    done = client.post(url, {CONFIRMED: "1"})
    assert done.status_code == 302
    made.token.refresh_from_db()
    assert made.token.revoked_at is not None
    _problem(Client().get(LIST, HTTP_AUTHORIZATION=f"Bearer {made.secret}"), 401)


def test_nobody_revokes_someone_elses_token(demo: None) -> None:
    made = token_create(user=User.objects.get(username="finance"), name="x", lifetime_days=30)
    client = Client()
    client.force_login(User.objects.get(username="finance_checker"))
    assert (
        client.post(f"/accounts/tokens/{made.token.pk}/revoke/", {CONFIRMED: "1"}).status_code
        == 404
    )
    made.token.refresh_from_db()
    assert made.token.revoked_at is None


def test_an_unknown_api_address_is_a_problem(demo: None) -> None:
    body = _problem(Client().get("/api/v1/nothing-here/"), 404)
    assert body["type"] == "urn:kjfund:problem:not-found"
