"""The import pages: template download, dry run listing every bad row, commit of the
checked file, all or nothing, permission and area."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from accounts.models import Organisation

from .conftest import ORG_HEADER, org_code, xlsx

pytestmark = pytest.mark.django_db

GOOD = [
    [org_code("w1"), "网页甲", "企业", "西湖区", "张", "0571-1234567"],
    [org_code("w2"), "网页乙", "社会团体", "西湖区", "", ""],
]


def upload(client, rows, kind="organisations"):
    file = xlsx(rows, ORG_HEADER)
    file.name = "单位.xlsx"
    return client.post(f"/imports/{kind}/", {"file": file})


def test_the_template_downloads_with_the_chinese_headers(as_user):
    response = as_user("district_officer").get("/imports/organisations/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == ORG_HEADER


def test_the_dry_run_lists_every_bad_row_and_imports_nothing(as_user):
    client = as_user("district_officer")
    rows = [*GOOD, [org_code("w3"), "网页丙", "公司", "余杭区", "", ""]]

    response = upload(client, rows)

    assert response.status_code == 200
    page = response.content.decode()
    assert "公司" in page and "余杭区" in page  # both problems of row 4 are shown
    assert page.count('<td class="num">4</td>') == 2
    assert "imports/organisations/commit" not in page  # no import button
    assert not Organisation.objects.filter(name__startswith="网页").exists()


def test_a_clean_dry_run_offers_the_import_which_commits_the_same_file(as_user):
    client = as_user("district_officer")
    response = upload(client, GOOD)
    page = response.content.decode()
    assert "/imports/organisations/commit/" in page
    assert not Organisation.objects.filter(name__startswith="网页").exists()
    token = response.context["token"]

    committed = client.post("/imports/organisations/commit/", {"token": token}, follow=True)

    assert committed.status_code == 200
    assert Organisation.objects.filter(name__startswith="网页").count() == 2
    assert "新增 2 条" in committed.content.decode()
    # the same token cannot import twice: the page says it was imported
    again = client.post("/imports/organisations/commit/", {"token": token}, follow=True)
    assert again.status_code == 409
    assert "已导入" in again.content.decode()
    assert Organisation.objects.filter(name__startswith="网页").count() == 2


def test_the_commit_rechecks_and_refuses_what_changed_since_the_dry_run(as_user):
    # given: a clean dry run
    client = as_user("district_officer")
    token = upload(client, GOOD).context["token"]
    # when someone registers one of the codes in another district meanwhile
    from accounts import services
    from accounts.models import OrgUnit

    services.organisation_create(
        credit_code=GOOD[1][0],
        name="别处的单位",
        org_type="enterprise",
        region=OrgUnit.objects.get(name="余杭区"),
    )
    response = client.post("/imports/organisations/commit/", {"token": token})
    # then nothing is imported and the row is named
    assert response.status_code == 200
    assert response.context["outcome"].errors[0].row == 3
    assert not Organisation.objects.filter(name__startswith="网页").exists()


def test_a_file_that_is_not_xlsx_is_refused_on_the_form(as_user):
    client = as_user("district_officer")
    response = client.post(
        "/imports/organisations/",
        {"file": io.BytesIO(b"a,b\n1,2\n")},
    )
    assert response.status_code == 200
    assert response.context["upload"].errors


def test_permissions(as_user):
    assert as_user("applicant").get("/imports/organisations/").status_code == 403
    assert as_user("auditor").get("/imports/organisations/").status_code == 403
    assert as_user("district_officer").get("/imports/experts/").status_code == 403
    assert as_user("city_officer").get("/imports/experts/").status_code == 200
    assert as_user("admin").get("/imports/organisations/").status_code == 200


def test_the_menu_and_index_show_what_the_user_may_import(as_user):
    page = as_user("district_officer").get("/imports/").content.decode()
    assert "/imports/organisations/" in page
    assert "/imports/experts/" not in page
    home = as_user("district_officer").get("/").content.decode()
    assert 'href="/imports/"' in home
    assert 'href="/imports/"' not in as_user("applicant").get("/").content.decode()


def test_kinds_not_built_yet_say_so(as_user, monkeypatch):
    from core import importing

    monkeypatch.delitem(importing._registry, "repayments")  # as before the ledger registers it
    response = as_user("admin").get("/imports/repayments/")
    assert response.status_code == 404
    assert "尚未开放" in response.content.decode()
