"""Acceptance 6: in Debian's chromium, an applicant goes draft → submit; a district officer
returns it, the applicant resubmits, the officer publishes the notice, the finance bureau
co-signs and the officer recommends. A screenshot of each page is saved."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from projects.models import Application

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)


def test_applicant_and_district_officer_walk_to_recommendation(world, live_server, browser):
    page = Pages(browser, live_server.url, "road_to_recommendation")
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        # the applicant drafts an application
        page.login("applicant_nt")
        page.shot("applicant-home")
        assert "我的工作台" in page.text()
        page.visit("/applications/new/")
        page.select("call", "2026年度杭州市科普惠农兴村计划")
        page.select("category", "农村科普示范基地")
        page.fill("title", "转塘街道农村科普示范基地")
        page.shot("new-application")
        page.go("button.primary")
        page.select("fact_named_base", "区（县）科协命名")
        page.fill("fact_beneficiary_person_times", "1500")
        page.fill("fund_award", "60,000.00")
        page.fill("item_training", "40000")
        page.fill("item_popsci_materials", "20000元")
        page.shot("edit-form")
        page.go("form.card button.primary")
        assert "已保存" in page.text()
        page.shot("draft-detail")
        page.go("#action-submit", confirm=True)
        application = Application.objects.get(title="转塘街道农村科普示范基地")
        assert application.status == "submitted"
        page.shot("submitted")

        # the district officer returns it with a reason
        page.login("district_officer")
        page.visit(f"/applications/{application.pk}/")
        page.shot("officer-detail")
        page.fill("reason", "请补充基地命名文件扫描件。")
        page.go("#action-return_for_revision", confirm=True)
        assert Application.objects.get(pk=application.pk).status == "returned"
        page.shot("returned")

        # the applicant reads the reason and resubmits
        page.login("applicant_nt")
        page.visit(f"/applications/{application.pk}/")
        assert "请补充基地命名文件扫描件" in page.text()
        page.shot("applicant-sees-reason")
        page.go("#action-submit", confirm=True)
        assert Application.objects.get(pk=application.pk).status == "submitted"

        # the officer checks it and publishes the district notice from the queue
        page.login("district_officer")
        page.visit(f"/applications/{application.pk}/")
        page.go('form[action$="/do/formal_check/"] button', confirm=True)
        page.visit("/applications/?status=submitted")
        page.click(f'input[name="selected"][value="{application.pk}"]')
        page.shot("queue")
        page.go('button[formaction="/notices/new/"]', confirm=True)
        assert Application.objects.get(pk=application.pk).status == "district_publicity"
        page.shot("notice")
        notice_path = browser.current_url.replace(live_server.url, "")

        # the notice is public, without login
        browser.delete_all_cookies()
        page.visit("/gongshi/")
        page.shot("public-notices")
        assert "推荐名单公示" in page.text()

        # the officer makes the recommendation list; the finance bureau co-signs
        page.login("district_officer")
        page.visit("/applications/?status=district_publicity")
        page.click(f'input[name="selected"][value="{application.pk}"]')
        page.go('button[formaction="/recommendations/new/"]')
        list_path = browser.current_url.replace(live_server.url, "")
        page.shot("recommendation-draft")
        page.login("district_finance")
        page.visit(list_path)
        page.go("#action-cosign")
        assert "已会签" in page.text()
        page.shot("cosigned")

    # after the ten-day notice (20 Nov – 29 Nov), the officer recommends
    with clock.frozen(dt.datetime(2026, 11, 30, 9, 0)):
        page.login("district_officer")
        page.visit(notice_path)
        page.shot("notice-ended")
        page.visit(list_path)
        page.go("#action-submit-list", confirm=True)
        page.shot("recommended")
        assert "汇总表已报送" in page.text()
    assert Application.objects.get(pk=application.pk).status == "recommended"
