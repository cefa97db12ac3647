"""Acceptance 3 of the foundation: what each role may see and do, page by page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Organisation, Person

pytestmark = pytest.mark.django_db

XIHU = "330106"
YUHANG = "330110"


def _orgs_in(code: str) -> list[Organisation]:
    return list(Organisation.objects.filter(region__code=code))


def _persons_in(code: str) -> list[Person]:
    return list(Person.objects.filter(region__code=code))


def test_district_officer_lists_only_their_district(as_user):
    # given the officer of 西湖区
    client = as_user("district_officer")
    # when they open the organisation and person lists
    orgs_page = client.get(reverse("organisation_list")).content.decode()
    persons_page = client.get(reverse("person_list")).content.decode()
    # then every 西湖区 record is there and no 余杭区 record is
    for org in _orgs_in(XIHU):
        assert org.name in orgs_page
    for org in _orgs_in(YUHANG):
        assert org.name not in orgs_page
    for person in _persons_in(XIHU):
        assert person.name in persons_page
    for person in _persons_in(YUHANG):
        assert person.name not in persons_page


def test_district_officer_cannot_open_another_districts_records(as_user):
    client = as_user("district_officer")
    for org in _orgs_in(YUHANG):
        assert client.get(reverse("organisation_detail", args=[org.pk])).status_code == 404
        assert client.get(reverse("organisation_update", args=[org.pk])).status_code == 404
        assert client.get(reverse("organisation_licence", args=[org.pk])).status_code == 404
    for person in _persons_in(YUHANG):
        assert client.get(reverse("person_detail", args=[person.pk])).status_code == 404
    # while their own district's pages open
    own = _orgs_in(XIHU)[0]
    assert client.get(reverse("organisation_detail", args=[own.pk])).status_code == 200


def test_district_officer_cannot_edit_another_district_by_post(as_user):
    client = as_user("district_officer")
    other = _orgs_in(YUHANG)[0]
    response = client.post(
        reverse("organisation_update", args=[other.pk]),
        {
            "credit_code": other.credit_code,
            "name": "改名",
            "org_type": other.org_type,
            "region": other.region_id,
        },
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name != "改名"


def test_district_downloads_are_scoped_too(as_user):
    from io import BytesIO

    from openpyxl import load_workbook

    client = as_user("district_officer")
    response = client.get(reverse("organisation_export"))
    assert response.status_code == 200
    names = {
        row[1]
        for row in load_workbook(BytesIO(response.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    }
    assert names == {o.name for o in _orgs_in(XIHU)}


def test_applicant_sees_only_their_own_organisation(as_user):
    client = as_user("applicant")
    own = Organisation.objects.get(name="杭州西湖智慧农业科技有限公司")
    page = client.get(reverse("organisation_list")).content.decode()
    assert own.name in page
    others = Organisation.objects.exclude(pk=own.pk)
    for org in others:
        assert org.name not in page
        assert client.get(reverse("organisation_detail", args=[org.pk])).status_code == 404
    assert client.get(reverse("organisation_detail", args=[own.pk])).status_code == 200
    # an applicant may read but not edit the registry entry
    assert client.get(reverse("organisation_update", args=[own.pk])).status_code == 403
    assert client.get(reverse("organisation_create")).status_code == 403


def test_applicant_sees_only_persons_of_their_organisation(as_user):
    client = as_user("applicant")
    own = Organisation.objects.get(name="杭州西湖智慧农业科技有限公司")
    page = client.get(reverse("person_list")).content.decode()
    for person in Person.objects.all():
        if person.organisation_id == own.pk:
            assert person.name in page
        else:
            assert f">{person.name}<" not in page
            assert client.get(reverse("person_detail", args=[person.pk])).status_code == 404


def test_city_officer_sees_the_whole_city_but_not_the_other_city(as_user):
    client = as_user("city_officer")
    page = client.get(reverse("organisation_list") + "?page=1").content.decode()
    hangzhou = Organisation.objects.filter(region__parent__code="330100")
    huzhou = Organisation.objects.filter(region__parent__code="330500")
    for org in hangzhou:
        assert org.name in page
    for org in huzhou:
        assert org.name not in page
        assert client.get(reverse("organisation_detail", args=[org.pk])).status_code == 404


def test_auditor_reads_everything(as_user):
    client = as_user("auditor")
    page = client.get(reverse("organisation_list")).content.decode()
    for org in Organisation.objects.all()[:25]:
        assert org.name in page
    for org in Organisation.objects.all():
        assert client.get(reverse("organisation_detail", args=[org.pk])).status_code == 200
    for person in Person.objects.all():
        assert client.get(reverse("person_detail", args=[person.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_organisation_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_every_write_of_an_auditor_is_refused(as_user):
    client = as_user("auditor")
    org = Organisation.objects.first()
    person = Person.objects.first()
    district = org.region
    attempts = [
        (
            reverse("organisation_create"),
            {
                "credit_code": org.credit_code,
                "name": "x",
                "org_type": "other",
                "region": district.pk,
            },
        ),
        (reverse("organisation_update", args=[org.pk]), {"name": "审计改名"}),
        (reverse("person_create"), {"name": "x"}),
        (reverse("person_update", args=[person.pk]), {"name": "审计改名"}),
        (reverse("admin:accounts_organisation_change", args=[org.pk]), {"name": "审计改名"}),
        (reverse("admin:accounts_organisation_add"), {"name": "x"}),
        (reverse("admin:accounts_person_delete", args=[person.pk]), {"post": "yes"}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    org.refresh_from_db()
    assert org.name != "审计改名"
    assert Person.objects.filter(pk=person.pk).exists()
    # and the pages offer no write buttons
    page = client.get(reverse("organisation_detail", args=[org.pk])).content.decode()
    assert reverse("organisation_update", args=[org.pk]) not in page


def test_auditor_may_still_log_out(as_user):
    client = as_user("auditor")
    assert client.post(reverse("logout")).status_code == 302


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get(reverse("organisation_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_district_officer_cannot_enter_admin(as_user):
    client = as_user("district_officer")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302  # to the admin login
