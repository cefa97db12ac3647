"""申报书: the application printed as the office's form, read back with pypdf."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from demo.codes import id_number
from projects import application_pdf, services, team
from projects.models import Application

from .conftest import make_application, user
from .flow import client

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def with_team(application: Application) -> Application:
    applicant = user("applicant")
    team.team_person_create(
        application=application,
        name="马骏",
        id_number=id_number(division="330106", birth="19750303", seq=601),
        kind="lead",
        title="正高级工程师",
        duty="总体负责",
        actor=applicant,
    )
    team.team_person_create(
        application=application,
        name="吴芳",
        id_number=id_number(division="330106", birth="19880808", seq=602),
        kind="member",
        title="工程师",
        duty="田间试验",
        actor=applicant,
    )
    return application


def test_the_form_carries_the_team_the_budget_and_the_boxes_marked_draft(world, today):
    # given: a draft with a leader, a member, 100,000 yuan in one budget item
    application = with_team(make_application(title="智慧灌溉示范", amount="100000.00"))
    # when
    text = pdf_text(application_pdf.application_pdf(application))
    # then
    for phrase in (
        "申报书",
        application.number,
        "智慧灌溉示范",
        "项目负责人",
        "马骏",
        "正高级工程师",
        "吴芳",
        "田间试验",
        "无偿资助",
        "设备费",
        "合计",
        "100,000.00",
        "负责人（签字）",
        "申报单位（盖章）",
        "附件清单",
        "草稿",
    ):
        assert phrase in text, phrase
    # a date line under each box (signature, seal)
    assert len(re.findall(r"年\s+月\s+日", text)) == 2
    # the full ID number is never printed
    lead = application.team.get(kind="lead").person
    assert lead.id_number not in text and lead.id_number_masked in text


def test_the_draft_mark_is_gone_once_submitted(world, today):
    application = with_team(make_application())
    application = services.application_submit(application=application, actor=user("applicant"))
    text = pdf_text(application_pdf.application_pdf(application))
    assert "草稿" not in text
    assert "马骏" in text and "申报单位（盖章）" in text


def test_the_download_has_a_chinese_name_and_only_readers_get_it(world, today):
    application = with_team(make_application(title="智慧灌溉示范"))
    url = f"/applications/{application.pk}/application.pdf"
    response = client("applicant").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert quote("申报书") in response["Content-Disposition"]
    assert "马骏" in pdf_text(response.content)
    page = client("applicant").get(f"/applications/{application.pk}/").content.decode()
    assert url in page
    # another organisation's applicant, and an officer before submission, get nothing
    assert client("applicant_yh").get(url).status_code == 404
    assert client("district_officer").get(url).status_code == 404


def test_the_contract_page_and_pdf_carry_the_team(world):
    from accounts.models import Organisation, Person
    from projects import documents
    from projects.models import TeamMember

    from .lifecycle import approved_project, money, signed_contract

    money()
    application = approved_project()
    org = Organisation.objects.get(name="杭州西湖智慧农业科技有限公司")
    lead = Person.objects.create(
        name="马骏",
        id_number=id_number(division="330106", birth="19750303", seq=611),
        organisation=org,
        region=org.region,
    )
    TeamMember.objects.create(
        application=application, person=lead, kind="lead", title="正高级工程师", duty="总体负责"
    )
    contract = signed_contract(application)
    text = pdf_text(documents.contract_pdf(contract))
    assert "项目负责人" in text and "马骏" in text and "正高级工程师" in text
    assert lead.id_number not in text
    page = client("applicant").get(f"/contracts/{contract.pk}/").content.decode()
    assert "马骏" in page and lead.id_number_masked in page and lead.id_number not in page
