"""Issue 12, item 8 in Debian's chromium: the 公示 page turns away the sixth objection from
one address within the hour with a Chinese message; an officer who presses "Import"
again on a checked file is told it has been imported, and follows the link to the
result. Screenshots are saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from core import clock

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOMENT = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))


@pytest.fixture
def world(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)


def _notice():
    from accounts.models import User
    from projects import services
    from tests.projects.conftest import award_call, checked

    application = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    return services.notice_publish(
        level="district",
        call=award_call(),
        unit=application.district,
        applications=[application],
        starts_on=clock.today(),
        actor=User.objects.get(username="district_officer"),
    )


def test_the_sixth_objection_within_the_hour_is_turned_away(world, live_server, browser):
    page = Pages(browser, live_server.url, "public_objections")
    with clock.frozen(MOMENT):
        notice = _notice()
        for n in range(settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR + 1):
            page.visit(f"/gongshi/{notice.pk}/")
            page.fill("name", "王五")
            page.fill("contact", "13812345678")
            page.fill("content", f"第{n + 1}条：情况不实，请核实。")
            if n == 0:
                page.shot("objection-form")
            page.go('button[type="submit"].primary', confirm=True)
    page.shot("sixth-objection-refused")
    text = page.find("main").text
    assert "一小时" in text and "书面" in text
    assert notice.objections.count() == settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR


def test_pressing_import_twice_says_the_file_was_imported(world, live_server, browser, tmp_path):
    from accounts.models import Organisation
    from tests.imports.conftest import ORG_HEADER, org_code, xlsx

    path = tmp_path / "单位.xlsx"
    path.write_bytes(
        xlsx(
            [
                [org_code("b1"), "浏览器甲", "企业", "西湖区", "张", "0571-1234567"],
                [org_code("b2"), "浏览器乙", "社会团体", "西湖区", "", ""],
            ],
            ORG_HEADER,
        ).getvalue()
    )
    page = Pages(browser, live_server.url, "import_once")
    page.login("district_officer")
    page.visit("/imports/organisations/")
    page.find('input[name="file"]').send_keys(str(path))
    page.go('form[enctype] button[type="submit"]')
    page.shot("checked")
    commit_page = browser.current_url
    page.go('form[action$="/commit/"] button[type="submit"]')
    page.shot("imported")
    # the officer goes back to the checked page and presses "Import" again
    browser.back()
    assert browser.current_url == commit_page
    page.go('form[action$="/commit/"] button[type="submit"]')
    page.shot("pressed-again")
    text = page.find("main").text
    assert "已导入" in text and "没有重复导入" in text
    page.go("a.button.primary")
    page.shot("result")
    assert "新增 2 条" in page.find("main").text
    assert Organisation.objects.filter(name__startswith="浏览器").count() == 2
