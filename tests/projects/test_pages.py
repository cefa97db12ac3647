"""The pages of the road to recommendation: what each role sees, buttons, downloads,
the public notice page, and query counts that do not grow with the rows (acceptance 7)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core import clock
from core.confirm import CONFIRMED
from projects import services
from projects.models import Application

from .conftest import award_call, checked, make_application, refresh, submitted, user

pytestmark = pytest.mark.django_db
S = Application.Status


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def test_applicant_creates_edits_and_submits_through_the_pages(world, today):
    client = _client("applicant")
    from funding.models import Category

    category = Category.objects.get(programme__code="KJJH", code="agriculture")
    response = client.post(
        reverse("application_start"),
        {
            "call": category.programme.calls.get().pk,
            "category": category.pk,
            "title": "稻田综合种养技术示范",
        },
    )
    application = Application.objects.get(title="稻田综合种养技术示范")
    assert response.status_code == 302 and response["Location"] == reverse(
        "application_edit", args=[application.pk]
    )
    response = client.post(
        reverse("application_edit", args=[application.pk]),
        {
            "title": "稻田综合种养技术示范",
            "summary": "稻鱼共生",
            "contact_name": "周明",
            "contact_phone": "0571-1",
            "fund_grant": "120,000.00元",
            "item_equipment": "100000",
            "item_travel": "20000.00",
        },
    )
    assert response.status_code == 302
    application = refresh(application)
    assert application.amount_requested_fen == 12_000_000
    page = client.get(reverse("application_detail", args=[application.pk])).content.decode()
    assert 'id="action-submit"' in page and 'id="action-withdraw"' in page
    assert 'id="action-return_for_revision"' not in page
    client.post(reverse("application_action", args=[application.pk, "submit"]), {CONFIRMED: "1"})
    assert refresh(application).status == S.SUBMITTED


def test_money_with_a_fraction_of_a_fen_is_refused_on_the_form(world, today):
    application = make_application()
    response = _client("applicant").post(
        reverse("application_edit", args=[application.pk]),
        {
            "title": "x",
            "fund_grant": "100.005",
            "item_equipment": "100.005",
        },
    )
    assert response.status_code == 200
    assert "fund_grant" in response.context["form"].errors


def test_officer_sees_only_the_buttons_they_may_use(world, today):
    application = submitted()
    page = (
        _client("district_officer")
        .get(reverse("application_detail", args=[application.pk]))
        .content.decode()
    )
    assert 'id="action-return_for_revision"' in page and 'id="action-reject"' in page
    assert 'id="action-submit"' not in page and 'id="action-withdraw"' not in page
    response = _client("auditor").get(reverse("application_detail", args=[application.pk]))
    assert response.status_code == 200 and application.number in response.content.decode()
    assert "action-" not in response.content.decode()


def test_officer_returns_with_a_reason_and_the_applicant_sees_it(world, today):
    application = submitted()
    _client("district_officer").post(
        reverse("application_action", args=[application.pk, "return_for_revision"]),
        {"reason": "请补充营业执照复印件", CONFIRMED: "1"},
    )
    assert refresh(application).status == S.RETURNED
    page = (
        _client("applicant")
        .get(reverse("application_detail", args=[application.pk]))
        .content.decode()
    )
    assert "请补充营业执照复印件" in page


def test_a_stale_button_gives_a_message_not_an_error(world, today):
    application = submitted()
    officer = _client("district_officer")
    officer.post(
        reverse("application_action", args=[application.pk, "reject"]),
        {"reason": "不符合", CONFIRMED: "1"},
    )
    response = officer.post(
        reverse("application_action", args=[application.pk, "return_for_revision"]),
        {"reason": "再退回", CONFIRMED: "1"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("刷新" in str(m) or "Refresh" in str(m) for m in response.context["messages"])


def test_drafts_are_private_to_the_applicant(world, today):
    draft = make_application()
    assert (
        _client("district_officer").get(reverse("application_detail", args=[draft.pk])).status_code
        == 404
    )
    assert (
        _client("applicant").get(reverse("application_detail", args=[draft.pk])).status_code == 200
    )
    assert (
        _client("applicant_yh").get(reverse("application_detail", args=[draft.pk])).status_code
        == 404
    )


def test_other_districts_cannot_see_the_application(world, today):
    application = submitted()
    assert (
        _client("district_officer_yh")
        .get(reverse("application_detail", args=[application.pk]))
        .status_code
        == 404
    )
    page = _client("district_officer_yh").get(reverse("application_list")).content.decode()
    assert application.number not in page


def test_attachments_are_checked_stored_privately_and_served_only_to_those_who_may_see(
    world, today
):
    application = make_application()
    client = _client("applicant")
    client.post(
        reverse("attachment_upload", args=[application.pk]),
        {
            "kind": "form",
            "file": SimpleUploadedFile("申报书.pdf", b"%PDF-1.4\n%%EOF\n"),
        },
    )
    client.post(
        reverse("attachment_upload", args=[application.pk]),
        {
            "kind": "other",
            "file": SimpleUploadedFile("virus.exe", b"MZ"),
        },
    )
    attachments = list(refresh(application).attachments.all())
    assert [a.original_name for a in attachments] == ["申报书.pdf"]
    url = reverse("attachment_download", args=[attachments[0].pk])
    assert client.get(url).status_code == 200
    assert _client("district_officer_yh").get(url).status_code == 404
    assert Client().get(url).status_code == 404
    services.application_submit(application=application, actor=user("applicant"))
    assert _client("district_officer").get(url).status_code == 200


def test_public_notice_page_needs_no_login_masks_persons_and_takes_objections(world, today):
    application = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    notice = services.notice_publish(
        level="district",
        call=award_call(),
        unit=application.district,
        applications=[application],
        starts_on=today,
        actor=user("district_officer"),
    )
    anonymous = Client()
    page = anonymous.get(reverse("public_notice_detail", args=[notice.pk])).content.decode()
    assert application.number in page
    assert "俞**" in page and "俞根土" not in page
    assert (
        application.person.id_number not in page
        and application.person.id_number[:6] + "*" not in page
    )
    response = anonymous.post(
        reverse("public_notice_detail", args=[notice.pk]),
        {
            "application": application.pk,
            "name": "王五",
            "contact": "13812345678",
            "content": "情况不实",
            CONFIRMED: "1",
        },
    )
    assert response.status_code == 302
    assert notice.objections.get().content == "情况不实"
    # after the period the public page no longer shows it
    with clock.frozen(notice.ends_on + dt.timedelta(days=1)):
        assert anonymous.get(reverse("public_notice_detail", args=[notice.pk])).status_code == 404


def test_officer_publishes_a_notice_and_recommends_from_the_queue(world, today):
    application = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    officer = _client("district_officer")
    response = officer.post(
        reverse("notice_create"),
        {"selected": [application.pk], "starts_on": today.isoformat(), CONFIRMED: "1"},
    )
    assert response.status_code == 302
    assert refresh(application).status == S.DISTRICT_PUBLICITY
    response = officer.post(reverse("recommendation_create"), {"selected": [application.pk]})
    rec_url = response["Location"]
    rec_pk = int(rec_url.rstrip("/").split("/")[-1])
    _client("district_finance").post(reverse("recommendation_action", args=[rec_pk, "cosign"]))
    with clock.frozen(today + dt.timedelta(days=10)):
        officer.post(reverse("recommendation_action", args=[rec_pk, "submit"]), {CONFIRMED: "1"})
    assert refresh(application).status == S.RECOMMENDED
    # and the 推荐汇总表 downloads with the application in it
    response = officer.get(reverse("recommendation_export", args=[rec_pk]))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert any(application.number in row for row in rows)
    assert any(r and r[0] == "合计" for r in rows)


def test_district_finance_sees_the_list_to_cosign_on_the_home_page(world, today):
    application = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    services.recommendation_list_create(
        call=award_call(),
        district=application.district,
        applications=[application],
        actor=user("district_officer"),
    )
    page = _client("district_finance").get(reverse("home")).content.decode()
    assert "待会签" in page or "to co-sign" in page
    assert award_call().title in page


def _make_many(n: int) -> None:
    for i in range(n):
        submitted(title=f"批量项目{i}", amount="1000.00")


@pytest.mark.parametrize("username", ["district_officer", "applicant"])
def test_list_page_query_count_does_not_grow_with_rows(
    world, today, username, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(username)
    url = reverse("application_list")
    _make_many(5)
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    _make_many(45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url + "?page=2")
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 25
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]
