"""Security basics: CSP everywhere, CSRF, expiring sessions, permission-checked uploads
and downloads (login throttling: tests/test_login.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, OrgUnit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("url_name", ["login", "home", "organisation_list", "admin:index"])
def test_every_page_has_a_content_security_policy(as_user, url_name):
    response = as_user("admin").get(reverse(url_name))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_a_post_without_csrf_token_is_refused(as_user):
    from accounts.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="district_officer"))
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("organisation_create"),
        {
            "credit_code": "91350100M000100Y43",
            "name": "无令牌",
            "org_type": "other",
            "region": district.pk,
        },
    )
    assert response.status_code == 403
    assert not Organisation.objects.filter(name="无令牌").exists()


def _try_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_a_good_login_works_and_lands_on_home(demo_world):
    client = Client()
    response = _try_login(client, "applicant", "Demo@2026")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST  # idle timeout, not fixed from login
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_uploads_have_no_public_url_and_downloads_are_checked(as_user, _private_media):
    # given an officer uploads a licence scan for an organisation of their district
    officer = as_user("district_officer")
    org = Organisation.objects.filter(region__code="330106").first()
    response = officer.post(
        reverse("organisation_update", args=[org.pk]),
        {
            "credit_code": org.credit_code,
            "name": org.name,
            "org_type": org.org_type,
            "region": org.region_id,
            "licence": SimpleUploadedFile("营业执照.pdf", PDF),
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    # then the file is stored outside the web root, under a random name
    stored = _private_media / org.licence.name
    assert stored.exists()
    assert not str(stored).startswith(str(settings.BASE_DIR / "static"))
    assert "营业执照" not in org.licence.name
    # and only people who may see the organisation can download it
    assert officer.get(reverse("organisation_licence", args=[org.pk])).status_code == 200
    assert (
        as_user("district_officer_yh")
        .get(reverse("organisation_licence", args=[org.pk]))
        .status_code
        == 404
    )
    assert Client().get(reverse("organisation_licence", args=[org.pk])).status_code == 404


def test_uploads_of_other_types_or_forged_content_are_refused(as_user):
    officer = as_user("district_officer")
    org = Organisation.objects.filter(region__code="330106").first()
    for upload in (
        SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
        SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"),
    ):
        response = officer.post(
            reverse("organisation_update", args=[org.pk]),
            {
                "credit_code": org.credit_code,
                "name": org.name,
                "org_type": org.org_type,
                "region": org.region_id,
                "licence": upload,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors
    org.refresh_from_db()
    assert not org.licence
