"""Issue 17 part 5: the admin lists of applications, disbursements and repayable accounts
export .xlsx through declared resources (Chinese columns, yuan, words not codes), for
those who may read them in the admin (the auditor), read-only."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from accounts.models import User
from projects.models import Application

pytestmark = pytest.mark.django_db


def _export(client: Client, url: str) -> openpyxl.Workbook:
    form = client.get(url).context["form"]
    # the first (only) declared resource, every one of its columns, .xlsx
    data = {name: "on" for name in form.fields if "resource_" in name}
    data.update({"resource": "0", "format": "0"})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_auditor_exports_the_applications_list_as_xlsx(demo_world):
    from tests.projects.conftest import checked

    application = checked(title="导出测试项目", amount="123456.78")
    client = Client()
    client.force_login(User.objects.get(username="auditor"))
    book = _export(client, "/admin/projects/application/export/")
    rows = list(book.active.iter_rows(values_only=True))
    header, *body = rows
    assert header[:2] == ("项目编号", "项目名称") and "申请金额（元）" in header
    row = next(r for r in body if r[0] == application.number)
    assert row[1] == "导出测试项目"
    assert str(row[header.index("申请金额（元）")]) == "123456.78"
    status = row[header.index("状态")]
    assert (
        status == str(Application.Status(application.status).label) and status != application.status
    )
    # read-only all the same: no import, no change
    changelist = client.get("/admin/projects/application/").content.decode()
    assert 'href="/admin/projects/application/export/' in changelist
    assert "/admin/projects/application/import/" not in changelist
    assert (
        client.post(f"/admin/projects/application/{application.pk}/change/", {}).status_code == 403
    )


def test_who_may_not_read_the_admin_cannot_export(demo_world):
    client = Client()
    client.force_login(User.objects.get(username="applicant"))
    response = client.get("/admin/projects/application/export/")
    assert response.status_code in (302, 403)
