"""项目变更 in Debian's chromium: the applicant asks for a 延期 on the contract page, the
city officer finds it through the menu (合同与验收 → 项目变更) and approves it, and the
applicant's home then shows the reports due on the new dates, and the decision waits in
the applicant's inbox (the unread count in the top bar, the message on the inbox page)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from projects.models import ChangeRequest

from .conftest import Pages


def unread_badge(page: Pages) -> int:
    """The unread count in the top bar (no badge: none unread)."""
    page.driver.implicitly_wait(0)
    try:
        badges = page.driver.find_elements("css selector", ".inboxlink .badge")
    finally:
        page.driver.implicitly_wait(5)
    return int(badges[0].text) if badges else 0


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def contract(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log
    from tests.projects.lifecycle import approved_project, money, signed_contract

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)
    money()
    return signed_contract(approved_project(grant="200000.00", repayable="0"))


def test_an_extension_asked_approved_and_shown_on_the_applicants_home(
    contract, live_server, browser
):
    page = Pages(browser, live_server.url, "project-change")
    final = contract.reports.get(kind="final")
    assert final.due_on == dt.date(2028, 12, 31)
    with clock.frozen(dt.datetime(2027, 3, 1, 10, 0)):
        # the applicant asks on the contract page
        page.login("applicant")
        page.visit(f"/contracts/{contract.pk}/")
        unread_before = unread_badge(page)
        page.go(f'a[href="/contracts/{contract.pk}/changes/new/"]')
        page.select("kind", "延期")
        page.driver.execute_script(
            "arguments[0].value = arguments[1];",
            page.find('[name="new_end_date"]'),
            "2029-06-30",
        )
        page.fill("reason", "示范基地受台风影响，需延长实施期半年")
        page.shot("request")
        page.go("#ask-change", confirm=True)
        assert "变更申请已提交" in page.text()
        change = ChangeRequest.objects.get(contract=contract)
        assert change.get_status_display() == "待审批"

        # the city officer finds it in the menu and approves it
        page.login("city_officer")
        page.visit("/")
        page.menu("/changes/")
        page.shot("list")
        page.go(f'a[href="/changes/{change.pk}/"]')
        assert "结束日期 2028-12-31 → 2029-06-30" in page.text()
        page.select("decision", "批准变更")
        page.fill("reason", "受灾情况属实，同意延期")
        page.go("#decide-change", confirm=True)
        page.shot("approved")
        assert "变更已批准" in page.text()

        # the applicant's home lists the final report on the new date
        page.login("applicant")
        page.visit("/")
        page.shot("home")
        home = page.text()
        assert "2029-06-30" in home and "2028-12-31" not in home
        # the decision is in the inbox: one more unread in the top bar, the message listed
        assert unread_badge(page) == unread_before + 1
        page.go(".inboxlink")
        page.shot("inbox")
        inbox = page.text()
        number = contract.application.number
        assert f"项目变更已批准：{number} 延期" in inbox
        assert "受灾情况属实，同意延期" in inbox
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2029, 6, 30)
    assert list(contract.versions.values_list("number", flat=True)) == [1, 2]
