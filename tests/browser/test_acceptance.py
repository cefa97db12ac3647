"""Acceptance 5 of the contract issue: in Debian's chromium the applicant requests
acceptance, the officer records the conclusion, the applicant downloads the certificate."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest

from core import clock
from projects import closing, contracts
from projects.models import Application
from reviews.models import Panel

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log
    from tests.projects.lifecycle import approved_project, money, pay, signed_contract, user

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)
    books = money()
    application = approved_project(grant="200000.00", repayable="0")
    contract = signed_contract(application)
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        first = contract.tranches.get(seq=1)
        pay(
            contracts.tranche_order(tranche=first, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    return Application.objects.get(pk=application.pk)


def test_acceptance_request_conclusion_and_certificate(project, live_server, browser):
    from pypdf import PdfReader

    from tests.projects.lifecycle import acceptance_rubric, panel_through, user

    page = Pages(browser, live_server.url, "acceptance")
    with clock.frozen(dt.datetime(2029, 1, 10, 10, 0)):
        page.login("applicant")
        page.visit(f"/applications/{project.pk}/")
        page.shot("in-progress")
        page.go("#acceptance-new")
        indicators = list(project.contract.indicators.order_by("order"))
        page.fill("text", "示范面积520亩，培训农民1000人次，全部完成。")
        page.fill(f"ind_{indicators[0].pk}", "520")
        page.fill(f"ind_{indicators[1].pk}", "1000")
        page.fill("spent_equipment", "120000")
        page.fill("spent_materials", "80000")
        page.fill("fund_usage", "经费专款专用，无结余。")
        page.shot("acceptance-form")
        page.go("#request-acceptance", confirm=True)
        page.shot("requested")
        assert Application.objects.get(pk=project.pk).status == "acceptance_requested"
        acceptance = project.acceptances.get()
        # the acceptance panel scores it and finance records the financial acceptance
        panel_through(
            [Application.objects.get(pk=project.pk)],
            stage=Panel.Stage.ACCEPTANCE,
            rubric=acceptance_rubric(),
            score={"tasks": "64", "funds": "18", "other": "8"},
        )
        closing.acceptance_finance_record(
            acceptance=acceptance, actor=user("finance"), passed=True, note=""
        )

        page.login("city_officer")
        page.visit(f"/reviews/acceptances/{acceptance.pk}/")
        page.shot("officer-acceptance")
        page.go("#conclude", confirm=True)
        page.shot("concluded")
        assert "通过验收" in page.find("#conclusion").text

        page.login("applicant")
        page.visit(f"/reviews/acceptances/{acceptance.pk}/")
        page.shot("applicant-sees-conclusion")
        page.click("#certificate")
        pdf = page.downloaded(".pdf")
    text = PdfReader(BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "验收证书" in text and project.number in text
    assert Application.objects.get(pk=project.pk).status == "accepted"
