"""Issue 17 part 2: the year-end workbook is prepared by a task, not in the request; the
page follows its progress and offers the file, to the user who asked for it only, with
that user's scope."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import User
from reports.models import WorkbookExport

from .test_workbook import all_values, read_book, web_book

pytestmark = pytest.mark.django_db


def _login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def _prepare(client, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:year_end"), {"year": 2025, **fields})
    assert response.status_code == 302
    return WorkbookExport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_the_workbook_is_made_by_a_task_for_the_user_who_asked_with_their_scope(
    demo, client, django_capture_on_commit_callbacks
):
    # given the city officer asks for the workbook of 2025
    _login(client, "city_officer")
    export = _prepare(client, django_capture_on_commit_callbacks)
    # then the task made it, stored in the officer's own folder
    export.refresh_from_db()
    officer = User.objects.get(username="city_officer")
    assert export.status == WorkbookExport.Status.DONE and export.progress == 100
    assert export.file.startswith(f"exports/{officer.pk}/")
    assert default_storage.exists(export.file)
    # the page offers it, the status says finished
    page = client.get(reverse("reports:export", args=[export.pk])).content.decode()
    assert reverse("reports:export_file", args=[export.pk]) in page
    assert 'src="/static/js/poll.js"' in page and "<script>" not in page
    status = client.get(reverse("reports:export_status", args=[export.pk])).json()
    assert status["finished"] is True and status["progress"] == 100
    # and the file is the officer's workbook, the same as the one made in the request
    response = client.get(reverse("reports:export_file", args=[export.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''2025" in response["Content-Disposition"]
    book = read_book(b"".join(response.streaming_content))
    assert all_values(book) == all_values(web_book(client, 2025))


def test_another_user_cannot_see_or_download_the_workbook(
    demo, client, django_capture_on_commit_callbacks
):
    export = _prepare(_login(client, "city_officer"), django_capture_on_commit_callbacks)
    for username in ("district_officer", "auditor", "finance"):
        _login(client, username)
        for name in ("reports:export", "reports:export_status", "reports:export_file"):
            assert client.get(reverse(name, args=[export.pk])).status_code == 404, (username, name)


def test_a_district_officers_workbook_holds_only_the_district(
    demo, client, django_capture_on_commit_callbacks
):
    _login(client, "district_officer")
    export = _prepare(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.label == "西湖区"
    response = client.get(reverse("reports:export_file", args=[export.pk]))
    book = read_book(b"".join(response.streaming_content))
    city = _prepare(_login(client, "city_officer"), django_capture_on_commit_callbacks)
    city_book = read_book(
        b"".join(client.get(reverse("reports:export_file", args=[city.pk])).streaming_content)
    )
    assert len(list(book["项目汇总"].iter_rows())) < len(list(city_book["项目汇总"].iter_rows()))


def test_an_applicant_cannot_ask_for_a_workbook(demo, client):
    _login(client, "applicant")
    assert client.post(reverse("reports:year_end"), {"year": 2025}).status_code == 403
    assert not WorkbookExport.objects.exists()
