"""Open redirects (issue 12, item 8): a ``next`` or return address taken from a request
is followed only when it stays on this site (``core.http.safe_next``)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from core.http import safe_next

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    " https://evil.example/",
    "javascript:alert(1)",
    "https://testserver.evil.example/",
]


def _off_site(response) -> bool:
    location = response.get("Location", "")
    return "evil" in location or "javascript" in location


@pytest.mark.parametrize("next_url", HOSTILE)
@pytest.mark.parametrize("url_name", ["notice_create", "recommendation_create"])
def test_officer_bulk_actions_never_redirect_off_site(as_user, url_name, next_url):
    # given a district officer, and a form posted with a hostile next (nothing selected)
    client = as_user("district_officer")
    # when it is posted
    response = client.post(reverse(url_name), {"next": next_url})
    # then the redirect stays on the site, at the queue
    assert response.status_code == 302
    assert not _off_site(response)
    assert response["Location"] == reverse("application_list")


@pytest.mark.parametrize("url_name", ["notice_create", "recommendation_create"])
def test_officer_bulk_actions_return_to_the_queue_page_they_came_from(as_user, url_name):
    client = as_user("district_officer")
    back = reverse("application_list") + "?status=submitted&page=2"
    response = client.post(reverse(url_name), {"next": back})
    assert response["Location"] == back


@pytest.mark.parametrize("next_url", HOSTILE)
def test_login_never_redirects_off_site(demo_world, next_url):
    response = Client().post(
        reverse("login") + "?next=" + next_url,
        {"username": "applicant", "password": "Demo@2026", "next": next_url},
    )
    assert response.status_code == 302
    assert not _off_site(response)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_language_switch_never_redirects_off_site(next_url):
    response = Client().post(reverse("set_language"), {"language": "en", "next": next_url})
    assert not _off_site(response)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_logout_never_redirects_off_site(as_user, next_url):
    response = as_user("applicant").post(reverse("logout"), {"next": next_url})
    assert not _off_site(response)


def test_safe_next_keeps_local_paths_and_refuses_the_rest():
    factory = RequestFactory()
    ok = factory.post("/x/", {"next": "/applications/?a=1"})
    assert safe_next(ok, "/home/") == "/applications/?a=1"
    for hostile in HOSTILE:
        assert safe_next(factory.post("/x/", {"next": hostile}), "/home/") == "/home/"
    assert safe_next(factory.get("/x/", {"next": "/a/"}), "/home/") == "/a/"
    assert safe_next(factory.post("/x/"), "/home/") == "/home/"
    # an https site: an http return address on the same host is refused
    secure = factory.post("/x/", {"next": "http://testserver/a/"}, secure=True)
    assert safe_next(secure, "/home/") == "/home/"


def test_no_view_follows_a_next_without_safe_next():
    """Every view that reads ``next`` goes through ``core.http.safe_next``."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent
    pattern = re.compile(r"""(GET|POST|REQUEST)\.get\(\s*["'](next|return_to|back)["']""")
    offenders = []
    for path in root.glob("*/**/*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "tests", "bench"} or "migrations" in parts:
            continue
        if path.relative_to(root).as_posix() == "core/http.py":
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(path.relative_to(root).as_posix())
    assert offenders == []
