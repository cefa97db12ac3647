"""Login throttling and the client address (issue 12, item 8).

Failed logins lock an account, never a whole address: five wrong passwords lock the
account *from that address*; twenty within the cool-off, from any addresses, lock it
everywhere. The address is the one the trusted proxy saw (``TRUSTED_PROXY_COUNT``),
never a header the client wrote itself."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from core.net import client_ip

pytestmark = pytest.mark.django_db

GOOD = "Demo@2026"


def _login(username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def _fail(username: str, times: int, ip: str = "10.0.0.1", **headers: str) -> None:
    for _ in range(times):
        response = _login(username, "wrong", ip, **headers)
        assert response.status_code in (200, 429)


# --- lockout ----------------------------------------------------------------------------


def test_five_wrong_passwords_for_one_user_do_not_lock_others_behind_the_same_address(
    demo_world,
):
    # given five wrong passwords for district_officer from the office's one address
    _fail("district_officer", settings.AXES_FAILURE_LIMIT, ip="10.0.0.7")
    # when a colleague logs in from that same address
    response = _login("applicant", GOOD, ip="10.0.0.7")
    # then the colleague is let in
    assert response.status_code == 302


def test_wrong_passwords_for_many_names_from_one_address_lock_no_address(demo_world):
    # given someone tries five names that do not exist from one address
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(f"nobody{i}", "wrong", ip="10.0.0.8")
    # then a real user behind that address still logs in
    assert _login("applicant", GOOD, ip="10.0.0.8").status_code == 302


def test_five_wrong_passwords_lock_the_account_from_that_address_only(demo_world):
    # given five wrong passwords for district_officer from one address
    _fail("district_officer", settings.AXES_FAILURE_LIMIT, ip="10.0.0.1")
    # when the right password is given from that address
    locked = _login("district_officer", GOOD, ip="10.0.0.1")
    # then it is refused with the lockout page
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    # while the owner elsewhere (another office, home) still logs in
    assert _login("district_officer", GOOD, ip="10.0.0.99").status_code == 302


def test_four_wrong_passwords_do_not_lock(demo_world):
    _fail("district_officer", settings.AXES_FAILURE_LIMIT - 1, ip="10.0.0.1")
    assert _login("district_officer", GOOD, ip="10.0.0.1").status_code == 302


def test_guessing_one_account_from_many_addresses_locks_it_everywhere(demo_world):
    # given wrong passwords for one account, a few from each of many addresses (none of
    # them reaching the per-address limit), up to the account limit
    limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    per_address = settings.AXES_FAILURE_LIMIT - 1
    sent = 0
    n = 0
    while sent < limit:
        batch = min(per_address, limit - sent)
        _fail("finance", batch, ip=f"172.16.0.{n}")
        sent += batch
        n += 1
    # when the right password comes from a fresh address
    response = _login("finance", GOOD, ip="172.16.9.9")
    # then the account is locked from every address
    assert response.status_code == 429
    # and other accounts are not
    assert _login("applicant", GOOD, ip="172.16.0.0").status_code == 302


def test_one_failure_short_of_the_account_limit_does_not_lock_everywhere(demo_world):
    limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    per_address = settings.AXES_FAILURE_LIMIT - 1
    sent = 0
    n = 0
    while sent < limit - 1:
        batch = min(per_address, limit - 1 - sent)
        _fail("finance", batch, ip=f"172.16.1.{n}")
        sent += batch
        n += 1
    assert _login("finance", GOOD, ip="172.16.9.9").status_code == 302


def test_a_good_login_clears_the_failures_from_that_address(demo_world):
    _fail("district_officer", settings.AXES_FAILURE_LIMIT - 1, ip="10.0.0.1")
    assert _login("district_officer", GOOD, ip="10.0.0.1").status_code == 302
    _fail("district_officer", settings.AXES_FAILURE_LIMIT - 1, ip="10.0.0.1")
    assert _login("district_officer", GOOD, ip="10.0.0.1").status_code == 302


def test_an_overlong_password_is_refused_before_it_is_hashed(demo_world):
    response = _login("applicant", "x" * 100_000)
    assert response.status_code == 200
    assert response.context["form"].errors


def test_an_overlong_user_name_is_refused_and_not_logged(demo_world):
    # (the failed-login log's user name column holds 255 characters: a 500 on PostgreSQL)
    for url in (reverse("login"), reverse("admin:login")):
        response = Client().post(
            url, {"username": "a" * 100_000, "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not AccessAttempt.objects.exists()


def test_the_password_change_form_is_bounded(as_user):
    response = as_user("applicant").post(
        reverse("password_change"),
        {
            "old_password": GOOD,
            "new_password1": "Ab1!" * 10_000,
            "new_password2": "Ab1!" * 10_000,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"]


# --- the client address -------------------------------------------------------------------


def test_without_a_configured_proxy_a_forged_forwarded_for_is_ignored(demo_world, settings):
    # given no proxy in front of the app (the default)
    settings.TRUSTED_PROXY_COUNT = 0
    # when one client sends five wrong passwords, each claiming another address
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login("district_officer", "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"8.8.8.{i}")
    # then they were all counted against the address it really came from
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert _login("district_officer", GOOD, ip="10.0.0.1").status_code == 429


def test_behind_the_configured_proxy_the_address_it_saw_is_taken(demo_world, settings):
    # given one TLS proxy (10.0.0.254) in front of the app, appending to X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"
    # when a client at 203.0.113.5 sends five wrong passwords, forging an address in front
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(
            "district_officer",
            "wrong",
            ip=proxy,
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5",
        )
    # then the failures are counted against 203.0.113.5, the address the proxy saw
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert (
        _login("district_officer", GOOD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code
        == 429
    )
    # and the same user from another client behind the same proxy is not locked
    assert (
        _login("district_officer", GOOD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code
        == 302
    )


def _request(remote: str, forwarded: str | None = None, header: str = "HTTP_X_FORWARDED_FOR"):
    extra = {header: forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_client_ip_rules(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.1", "1.2.3.4")) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    # the right-most entry is the one our proxy appended
    assert client_ip(_request("10.0.0.254", "1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(_request("10.0.0.254", " 203.0.113.5 ")) == "203.0.113.5"
    assert client_ip(_request("10.0.0.254", "2001:db8::1")) == "2001:db8::1"
    # not through the proxy (no header), or a header that is not an address: the peer
    assert client_ip(_request("10.0.0.254")) == "10.0.0.254"
    assert client_ip(_request("10.0.0.254", "")) == "10.0.0.254"
    assert client_ip(_request("10.0.0.254", "1.2.3.4, not-an-ip")) == "10.0.0.254"
    # two proxies (a load balancer, then nginx): the second entry from the right
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.3")) == "203.0.113.5"
    # fewer entries than proxies: the request did not come through them all
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "10.0.0.2"
    # another header name (a proxy that sets X-Real-IP)
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_REAL_IP"
    assert (
        client_ip(_request("10.0.0.254", "203.0.113.7", header="HTTP_X_REAL_IP")) == "203.0.113.7"
    )
    assert client_ip(_request("10.0.0.254", "203.0.113.8")) == "10.0.0.254"


def test_axes_uses_the_one_client_ip_function():
    assert settings.AXES_CLIENT_IP_CALLABLE == "core.net.client_ip"
