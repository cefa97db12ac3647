"""One import commit per checked upload (issue 12, item 8): the first request that
presents the upload's token imports it; every other one is told that this file is
being or has been imported, with a link to the result, and imports nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Organisation, User
from core.models import ImportCommit

from .conftest import ORG_HEADER, org_code, xlsx

GOOD = [
    [org_code("c1"), "一次甲", "企业", "西湖区", "张", "0571-1234567"],
    [org_code("c2"), "一次乙", "社会团体", "西湖区", "", ""],
]


def _checked_upload(client: Client) -> str:
    file = xlsx(GOOD, ORG_HEADER)
    file.name = "单位.xlsx"
    response = client.post("/imports/organisations/", {"file": file})
    assert response.status_code == 200
    token = response.context["token"]
    assert token
    return token


def _imported() -> int:
    return Organisation.objects.filter(name__startswith="一次").count()


@pytest.mark.django_db
def test_a_second_commit_of_the_same_upload_imports_nothing_and_says_it_was_imported(as_user):
    # given a checked upload, imported once
    client = as_user("district_officer")
    token = _checked_upload(client)
    first = client.post("/imports/organisations/commit/", {"token": token}, follow=True)
    assert "新增 2 条" in first.content.decode()
    assert _imported() == 2
    # when the import button is pressed again (back button, second tab)
    again = client.post("/imports/organisations/commit/", {"token": token})
    # then nothing more is imported and the page says the file was already imported
    page = again.content.decode()
    assert again.status_code == 409
    assert "已导入" in page and "单位.xlsx" in page
    assert "拒绝" not in page and "失效" not in page
    assert _imported() == 2
    # with a link to the result, which shows what was imported
    commit = ImportCommit.objects.get(token=token)
    url = f"/imports/commits/{commit.token}/"
    assert url in page
    result = client.get(url)
    assert result.status_code == 200
    assert "新增 2 条" in result.content.decode()


@pytest.mark.django_db
def test_the_result_of_an_import_is_shown_only_to_who_imported_it(as_user):
    client = as_user("district_officer")
    token = _checked_upload(client)
    client.post("/imports/organisations/commit/", {"token": token})
    url = f"/imports/commits/{token}/"
    assert client.get(url).status_code == 200
    assert as_user("district_officer_yh").get(url).status_code == 404
    assert Client().get(url).status_code in (302, 404)


@pytest.mark.django_db
def test_a_refused_commit_is_recorded_and_cannot_be_retried_with_the_same_token(as_user):
    # given a checked upload, and one of its codes registered elsewhere meanwhile
    from accounts import services
    from accounts.models import OrgUnit

    client = as_user("district_officer")
    token = _checked_upload(client)
    services.organisation_create(
        credit_code=GOOD[1][0],
        name="别处的单位",
        org_type="enterprise",
        region=OrgUnit.objects.get(name="余杭区"),
    )
    refused = client.post("/imports/organisations/commit/", {"token": token})
    assert refused.status_code == 200
    assert refused.context["outcome"].errors[0].row == 3
    # when the button is pressed again
    again = client.post("/imports/organisations/commit/", {"token": token})
    # then the page says that file's import was refused, and shows why
    assert again.status_code == 409
    result = client.get(f"/imports/commits/{token}/").content.decode()
    assert "第 3 行" in result or ">3<" in result
    assert _imported() == 0


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_commits_of_one_upload_import_it_once(demo_world):
    if connection.vendor != "postgresql":
        print("skipped: concurrent requests need PostgreSQL (SQLite serialises every write)")
        pytest.skip("concurrent requests need PostgreSQL (SQLite serialises every write)")
    # given a checked upload in one officer's session
    officer = Client()
    officer.force_login(User.objects.get(username="district_officer"))
    token = _checked_upload(officer)
    cookie = officer.cookies["sessionid"].value
    # when five requests of that session press "Import" at the same moment
    n = 5
    barrier = threading.Barrier(n)
    responses: list = [None] * n

    def worker(i: int) -> None:
        client = Client()
        client.cookies["sessionid"] = cookie
        try:
            barrier.wait()
            responses[i] = client.post("/imports/organisations/commit/", {"token": token})
        except Exception as error:  # pragma: no cover - reported below
            responses[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # then the file is imported exactly once
    assert [r for r in responses if isinstance(r, Exception)] == []
    assert _imported() == 2
    imported = [r for r in responses if r.status_code == 302]
    duplicates = [r for r in responses if r.status_code == 409]
    assert len(imported) == 1 and len(duplicates) == n - 1
    # and each of the others says the file is being or has been imported, with the link
    for response in duplicates:
        page = response.content.decode()
        assert "正在导入" in page or "已导入" in page
        assert "拒绝" not in page and "失效" not in page
        assert f"/imports/commits/{token}/" in page
    assert ImportCommit.objects.get(token=token).status == ImportCommit.Status.IMPORTED
