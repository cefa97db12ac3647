"""Review pages: blind panels leak no identity (acceptance 2), nothing opens before the
declaration and nothing changes after closing (acceptance 4), and query counts stay
flat on the expert's list, the assignment matrix and the ranking (acceptance 7)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import Assignment, ExpertProfile, Panel

from .conftest import city_panel, recommended, user

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _panel_with_the_demo_expert(
    n: int = 1, category: str = "industry", **kwargs
) -> tuple[Panel, list[Assignment]]:
    apps = recommended(n, category=category)
    panel = city_panel(apps, size=2, **kwargs)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=4)
    expert = ExpertProfile.objects.get(person__user__username="expert")
    mine = []
    for item in panel.items.all():
        a = Assignment.objects.filter(item=item).order_by("pk").first()
        Assignment.objects.filter(pk=a.pk).update(expert=expert)
        mine.append(Assignment.objects.get(pk=a.pk))
    services.panel_open(panel=panel, actor=user("city_officer"))
    return panel, mine


def _identities(application) -> list[str]:
    org = application.organisation
    return [
        s
        for s in (
            org.name,
            org.credit_code,
            org.contact_name,
            application.contact_name,
            application.contact_phone,
            "杭州西湖智慧农业",
            "智慧农业科技有限公司",
        )
        if s
    ]


def test_a_blind_expert_sees_no_name_organisation_or_id_anywhere(world, today):
    # given a blind panel whose application names its applicant in the title and summary
    panel, (mine,) = _panel_with_the_demo_expert(blind=True)
    application = mine.item.application
    projects_app = application
    from projects.models import Application

    Application.objects.filter(pk=projects_app.pk).update(
        title=f"{application.organisation.name}智能灌溉项目",
        summary=f"由{application.organisation.name}（统一社会信用代码{application.organisation.credit_code}）承担，"
        f"联系人{application.contact_name}，电话13812345678，负责人身份证号110105194912310021。",
    )
    expert = _client("expert")
    pages = []
    for url in (
        reverse("home"),
        reverse("reviews:my_assignments"),
        reverse("reviews:assignment", args=[mine.pk]),
    ):
        pages.append(expert.get(url).content.decode())
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    pages.append(expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode())
    services.scores_save(
        assignment=mine,
        actor=user("expert"),
        submit=True,
        comment="思路清晰",
        values={"innov": "30", "feas": "20", "benefit": "20"},
    )
    pages.append(expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode())
    # every other page or download that names the application is closed to the expert
    for url in (
        reverse("application_detail", args=[application.pk]),
        reverse("reviews:panel", args=[panel.pk]),
        reverse("reviews:ranking_download", args=[panel.pk]),
        reverse("reviews:approval_pdf", args=[application.pk]),
        reverse("organisation_detail", args=[application.organisation_id]),
    ):
        response = expert.get(url)
        assert response.status_code in (302, 403, 404), url
        pages.append(response.content.decode(errors="replace"))
    pages.append(expert.get(reverse("organisation_list")).content.decode())
    text = "\n".join(pages)
    for identity in _identities(Application.objects.get(pk=application.pk)):
        assert identity not in text, identity
    assert not re.search(r"\d{17}[\dX]", text)
    assert "＊＊＊" in text  # the title was shown, masked


def test_a_non_blind_expert_sees_the_applicant(world, today):
    _panel, (mine,) = _panel_with_the_demo_expert(blind=False)
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    page = _client("expert").get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert mine.item.application.organisation.name in page


def test_the_application_opens_only_after_the_declaration(world, today):
    _panel, (mine,) = _panel_with_the_demo_expert()
    from projects.models import Application

    Application.objects.filter(pk=mine.item.application_id).update(
        summary="核心技术路线：毫米波雷达阵列"
    )
    expert = _client("expert")
    page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert (
        "核心技术路线" not in page and 'id="declare"' in page and 'id="submit-scores"' not in page
    )
    # scoring through the page before declaring is refused
    expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {"c_innov": "30", "comment": "x", "submit": "1"},
    )
    assert not mine.scores.exists()
    expert.post(reverse("reviews:assignment_declare", args=[mine.pk]), {"conflict": "no"})
    page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert "核心技术路线" in page and 'id="submit-scores"' in page


def test_another_expert_cannot_open_my_assignment(world, today):
    _panel, (mine,) = _panel_with_the_demo_expert()
    assert (
        _client("city_officer").get(reverse("reviews:assignment", args=[mine.pk])).status_code
        == 404
    )


def test_scores_cannot_change_through_the_page_after_closing(world, today):
    panel, (mine,) = _panel_with_the_demo_expert()
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    expert = _client("expert")
    expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {"c_innov": "30", "c_feas": "20", "c_benefit": "20", "comment": "好", "submit": "1"},
    )
    for a in Assignment.objects.live().filter(panel=panel).exclude(pk=mine.pk):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质",
            values={"innov": "20", "feas": "20", "benefit": "20"},
        )
    _client("city_officer").post(reverse("reviews:panel_action", args=[panel.pk, "close"]))
    assert Panel.objects.get(pk=panel.pk).status == "closed"
    page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert 'id="submit-scores"' not in page and 'id="save-draft"' not in page
    response = expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {"c_innov": "1", "c_feas": "1", "c_benefit": "1", "comment": "改", "submit": "1"},
        follow=True,
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.total == 85 and mine.comment == "好"


def test_the_officer_sees_the_ranking_downloads_it_and_gets_the_pdfs(world, today):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    panel, _ = _panel_with_the_demo_expert(n=2)
    for a in Assignment.objects.live().filter(panel=panel):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质",
            values={"innov": "30", "feas": "20", "benefit": "20"},
        )
    officer = _client("city_officer")
    officer.post(reverse("reviews:panel_action", args=[panel.pk, "close"]))
    page = officer.get(reverse("reviews:panel", args=[panel.pk])).content.decode()
    assert 'id="ranking"' in page and 'id="matrix"' in page and 'id="publish"' in page
    rows = list(
        load_workbook(
            BytesIO(officer.get(reverse("reviews:ranking_download", args=[panel.pk])).content)
        ).active.iter_rows(values_only=True)
    )
    assert rows[0][:6] == ("排名", "申报编号", "名称", "类别", "所属区县", "得分")
    assert [r[0] for r in rows[1:]] == [1, 2]
    response = officer.post(
        reverse("reviews:panel_action", args=[panel.pk, "publish"]),
        {"starts_on": today.isoformat()},
    )
    notice_pk = int(response["Location"].rstrip("/").split("/")[-1])
    text = (
        PdfReader(BytesIO(Client().get(reverse("reviews:notice_pdf", args=[notice_pk])).content))
        .pages[0]
        .extract_text()
    )
    assert "公示" in text and panel.items.first().application.number in text


def _many_assignments(n_items: int, category: str) -> Panel:
    panel, _ = _panel_with_the_demo_expert(n=n_items, category=category)
    return panel


@pytest.mark.parametrize("url_name", ["expert_list", "panel"])
def test_query_counts_do_not_grow(world, today, url_name):
    def count(panel: Panel, client: Client, url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = _many_assignments(2, "industry")
    client = _client("expert" if url_name == "expert_list" else "city_officer")
    url = (
        reverse("reviews:my_assignments")
        if url_name == "expert_list"
        else reverse("reviews:panel", args=[small.pk])
    )
    first = count(small, client, url)
    big = _many_assignments(
        5, "agriculture"
    )  # a second panel: the expert has more items; the panel page has more rows
    url = (
        reverse("reviews:my_assignments")
        if url_name == "expert_list"
        else reverse("reviews:panel", args=[big.pk])
    )
    assert count(big, client, url) == first


def _scored_and_closed(n_items: int, category: str) -> Panel:
    panel, _ = _panel_with_the_demo_expert(n=n_items, category=category)
    for i, a in enumerate(Assignment.objects.live().filter(panel=panel).order_by("pk")):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质",
            values={"innov": str(20 + i % 10), "feas": "20", "benefit": "20"},
        )
    services.panel_close(panel=panel, actor=user("city_officer"))
    return panel


@pytest.mark.parametrize("url_name", ["panel", "ranking_download"])
def test_the_ranking_of_a_scored_panel_costs_the_same_queries_for_2_and_5_items(
    world, today, url_name
):
    # the ranking table (and its download) with every score in: rank, mean, spread per row
    officer = _client("city_officer")

    def count(panel: Panel) -> tuple[int, int]:
        url = reverse(f"reviews:{url_name}", args=[panel.pk])
        officer.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = officer.get(url)
        assert response.status_code == 200
        if url_name == "panel":
            rows = response.content.decode().split('id="ranking"')[1].split("</table>")[0]
            shown = rows.count("<tr") - 1  # the header row
        else:
            from openpyxl import load_workbook

            shown = load_workbook(BytesIO(response.content)).active.max_row - 1
        return len(queries), shown

    small_queries, small_rows = count(_scored_and_closed(2, "industry"))
    big_queries, big_rows = count(_scored_and_closed(5, "agriculture"))
    assert (small_rows, big_rows) == (2, 5)
    assert big_queries == small_queries


def test_attachments_reach_the_expert_after_the_declaration_and_never_on_a_blind_panel(
    world, today
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import Attachment

    for blind in (False, True):
        _panel, (mine,) = _panel_with_the_demo_expert(
            blind=blind, category="industry" if not blind else "agriculture"
        )
        application = mine.item.application
        attachment = Attachment(
            application=application,
            kind="form",
            original_name="申报书.pdf",
            size=9,
            uploaded_by=user("applicant"),
        )
        attachment.file.save("x.pdf", SimpleUploadedFile("x.pdf", b"%PDF-1.4\n"), save=True)
        url = reverse("reviews:assignment_attachment", args=[mine.pk, attachment.pk])
        expert = _client("expert")
        assert expert.get(url).status_code == 404  # not before the declaration
        services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
        assert expert.get(url).status_code == (404 if blind else 200)
        page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
        assert ("申报书.pdf" in page) is not blind
