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

from accounts.models import Organisation, Person
from core import clock
from core.confirm import CONFIRMED
from projects.models import Application
from reviews import services
from reviews.models import Assignment, ExpertProfile, Panel, Score
from tests.projects.conftest import award_call, force_state

from .conftest import checked, city_panel, recommended, user

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _panel_with_the_demo_expert(
    n: int = 1, category: str = "industry", apps=None, **kwargs
) -> tuple[Panel, list[Assignment]]:
    apps = apps or recommended(n, category=category)
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


def _organisation_identities(org) -> list[str]:
    if org is None:
        return []
    return [org.name, org.credit_code, org.contact_name, org.contact_phone]


def _identities(application) -> list[str]:
    """Every name, number and contact of the applicant: the organisation, and for a
    nominee the person and the organisation that employs them."""
    person = application.person
    found = _organisation_identities(application.organisation)
    if person is not None:
        found += [person.name, person.id_number, person.mobile, person.email]
        found += _organisation_identities(person.organisation)
    found += [
        application.contact_name,
        application.contact_phone,
        "杭州西湖智慧农业",
        "智慧农业科技有限公司",
        # numbers typed into the summary that are on no record
        "0571-87654321",
        "13812345678",
    ]
    return [s for s in found if s]


def _nominee() -> list[Application]:
    """An award nomination of 俞根土 by 西湖区农业技术推广中心, recommended to the city.
    The nominee has an e-mail address and has since moved to another employer."""
    Person.objects.filter(name="俞根土").update(
        email="yugentu@example.cn",
        organisation=Organisation.objects.get(name="杭州市上城区科学技术协会"),
    )
    nomination = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
        amount="50000.00",
    )
    # the district notice and the co-signed list are not what this test is about
    return [force_state(nomination, "recommended")]


def _naming_everyone(application) -> str:
    """A summary that names the applicant by every identity it has."""
    org, person = application.organisation, application.person
    text = (
        f"由{org.name}（统一社会信用代码{org.credit_code}）承担，联系人{org.contact_name}，"
        f"电话{org.contact_phone}，项目联系人{application.contact_name}"
        f"（{application.contact_phone}），办公室电话0571-87654321，"
        f"手机13812345678，负责人身份证号110105194912310021。"
    )
    if person is not None:
        employer = person.organisation
        text += (
            f"被推荐人{person.name}，身份证号{person.id_number}，手机{person.mobile}，"
            f"邮箱{person.email}，工作单位{employer.name}"
            f"（{employer.credit_code}，联系人{employer.contact_name}，电话{employer.contact_phone}）。"
        )
    return text


@pytest.mark.parametrize("applicant", ["organisation", "nominee"])
def test_a_blind_expert_sees_no_name_organisation_or_id_anywhere(world, today, applicant):
    # given a blind panel whose application names its applicant in the title and summary
    apps = _nominee() if applicant == "nominee" else None
    panel, (mine,) = _panel_with_the_demo_expert(blind=True, apps=apps)
    application = Application.objects.get(pk=mine.item.application_id)
    applicant_name = application.person.name if application.person else ""
    Application.objects.filter(pk=application.pk).update(
        title=f"{applicant_name}{application.organisation.name}智能灌溉项目",
        summary=_naming_everyone(application),
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
    page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert "办公室电话＊＊＊" in page  # the summary is shown, masked
    pages.append(page)
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
    identities = _identities(Application.objects.get(pk=application.pk))
    if applicant == "nominee":
        assert {"俞根土", "yugentu@example.cn", "杭州市上城区科学技术协会"} <= set(identities)
    for identity in identities:
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
        {"c_innov": "30", "comment": "x", "submit": "1", CONFIRMED: "1"},
    )
    assert not mine.scores.exists()
    expert.post(
        reverse("reviews:assignment_declare", args=[mine.pk]), {"conflict": "no", CONFIRMED: "1"}
    )
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
        {
            "c_innov": "30",
            "c_feas": "20",
            "c_benefit": "20",
            "comment": "好",
            "submit": "1",
            CONFIRMED: "1",
        },
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
    _client("city_officer").post(
        reverse("reviews:panel_action", args=[panel.pk, "close"]), {CONFIRMED: "1"}
    )
    assert Panel.objects.get(pk=panel.pk).status == "closed"
    page = expert.get(reverse("reviews:assignment", args=[mine.pk])).content.decode()
    assert 'id="submit-scores"' not in page and 'id="save-draft"' not in page
    response = expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": "1",
            "c_feas": "1",
            "c_benefit": "1",
            "comment": "改",
            "submit": "1",
            CONFIRMED: "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.total == 85 and mine.comment == "好"


def test_scores_cannot_change_through_the_page_once_the_panel_is_closed_mid_scoring(world, today):
    # given an expert who declared and saved a draft, but has not submitted
    panel, (mine,) = _panel_with_the_demo_expert()
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    expert = _client("expert")
    expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {"c_innov": "30", "comment": "草稿"},
    )
    # when the panel is closed with the assignment still in progress (the close service
    # refuses that, so the state is forced: the page must not rely on it)
    Panel.objects.filter(pk=panel.pk).update(status=Panel.Status.CLOSED, closed_at=clock.now())
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.ACCEPTED
    # then scoring through the page is refused, with the reason, and nothing changes
    response = expert.post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": "1",
            "c_feas": "1",
            "c_benefit": "1",
            "comment": "改",
            "submit": "1",
            CONFIRMED: "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "评审组不在评分期" in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.ACCEPTED and mine.comment == "草稿"
    assert mine.total is None
    assert {s.criterion.code: s.value for s in mine.scores.all()} == {"innov": 30}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e30", "创新性：分数应在 0 到 40"),
        ("Infinity", "创新性：“Infinity”不是数字。"),
        ("-Infinity", "创新性：“-Infinity”不是数字。"),
        ("NaN", "创新性：“NaN”不是数字。"),
        ("sNaN", "创新性：“sNaN”不是数字。"),
    ],
)
def test_a_score_that_is_not_a_finite_number_is_refused_with_the_criterion_named(
    world, today, typed, message
):
    _panel, (mine,) = _panel_with_the_demo_expert()
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    response = _client("expert").post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": typed,
            "c_feas": "20",
            "c_benefit": "20",
            "comment": "好",
            "submit": "1",
            CONFIRMED: "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.ACCEPTED and mine.comment == ""
    assert not Score.objects.filter(assignment=mine).exists()


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
    officer.post(reverse("reviews:panel_action", args=[panel.pk, "close"]), {CONFIRMED: "1"})
    page = officer.get(reverse("reviews:panel", args=[panel.pk])).content.decode()
    assert 'id="ranking"' in page and 'id="matrix"' in page and 'id="publish"' in page
    rows = list(
        load_workbook(
            BytesIO(officer.get(reverse("reviews:ranking_download", args=[panel.pk])).getvalue())
        ).active.iter_rows(values_only=True)
    )
    assert rows[0][:6] == ("排名", "申报编号", "名称", "类别", "所属区县", "得分")
    assert [r[0] for r in rows[1:]] == [1, 2]
    response = officer.post(
        reverse("reviews:panel_action", args=[panel.pk, "publish"]),
        {"starts_on": today.isoformat(), CONFIRMED: "1"},
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

            shown = load_workbook(BytesIO(response.getvalue())).active.max_row - 1
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
