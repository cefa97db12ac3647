"""Issue 13, in Debian's chromium on the whole demo world:

* at 400 px (a phone) the home page and the application, panel, disbursement and
  statement pages do not scroll sideways, and the 菜单 opens and leads to another page;
  at 1400 px the menu's groups open on hover;
* the confirmation of an action that cannot be undone: the dialog, going back from it,
  confirming in it, and without JavaScript the confirmation page.

Screenshots of each page at 1400 px and at 400 px go to test-artifacts/browser/small_screens/
(whole pages, top to bottom)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from ledger.models import BankStatement, Disbursement
from projects.models import Application
from reviews.models import Panel

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESK = 400, 1400


@pytest.fixture
def demo(transactional_db: Any) -> None:
    call_command("demo", stdout=io.StringIO())


def _pages() -> list[tuple[str, str, str]]:
    """(login, address, label) of the pages the issue names, on demo records."""
    application = Application.objects.filter(organisation__name="杭州西湖智慧农业科技有限公司")
    application = application.exclude(status="draft").order_by("-pk").first()
    panel = Panel.objects.filter(status="open").first() or Panel.objects.first()
    paid = Disbursement.objects.filter(status="paid").order_by("pk").first()
    statement = BankStatement.objects.order_by("pk").first()
    assert application and panel and paid and statement
    return [
        ("city_officer", "/", "home"),
        ("applicant", "/", "applicant-home"),
        ("applicant", f"/applications/{application.pk}/", "application"),
        ("city_officer", "/applications/", "application-list"),
        ("city_officer", f"/reviews/panels/{panel.pk}/", "panel"),
        ("finance", "/ledger/disbursements/", "disbursement-list"),
        ("finance", f"/ledger/disbursements/{paid.pk}/", "disbursement"),
        ("finance", f"/ledger/statements/{statement.pk}/", "statement"),
    ]


def test_pages_fit_a_phone_and_the_menu_leads_on(demo, live_server, browser):
    page = Pages(browser, live_server.url, "small_screens")
    # every page the issue names, at 400 px: nothing scrolls sideways but a table's box
    sideways = []
    for username, address, label in _pages():
        page.login(username)
        page.width(DESK)
        page.visit(address)
        page.whole_page(f"{label}-{DESK}")
        assert not page.scrolls_sideways(), (label, DESK)
        page.width(PHONE)
        page.visit(address)
        page.whole_page(f"{label}-{PHONE}")
        if page.scrolls_sideways():
            sideways.append(label)
    assert sideways == []

    # the menu is folded on a phone; it opens, by task, and leads to another page
    page.login("finance")
    page.width(PHONE)
    page.visit("/")
    menu = page.find("#menu")
    assert not menu.is_displayed()
    page.find("#menu-button").click()
    assert menu.is_displayed()
    page.shot(f"menu-open-{PHONE}")
    groups = [g.text for g in browser.find_elements("css selector", "#menu .navgroup-title")]
    # 报表 is a group since the 批次 summary joined the dashboard
    assert {"申报与评审", "合同与验收", "资金", "报表"} <= set(groups)
    page.go('#menu a[href="/ledger/disbursements/"]')
    assert browser.current_url.endswith("/ledger/disbursements/")
    assert browser.title.startswith("拨付单 · ")
    assert not page.scrolls_sideways()

    # on a desk screen the groups sit in one row and open on hover
    from selenium.webdriver.common.action_chains import ActionChains

    page.width(DESK)
    page.visit("/")
    funds = page.find('.navgroup[data-group="funds"]')
    entries = funds.find_element("css selector", ".navgroup-items")
    assert not entries.is_displayed()
    ActionChains(browser).move_to_element(funds).perform()
    assert entries.is_displayed()
    page.shot(f"menu-hover-{DESK}")
    top = {e.location["y"] for e in browser.find_elements("css selector", ".navbar > li")}
    assert len(top) == 1, "the menu is in one row"
    page.go('.navgroup[data-group="funds"] a[href="/ledger/budget-lines/"]')
    assert browser.title.startswith("预算科目 · ")


def test_the_confirmation_dialog_on_a_phone(demo, live_server, browser):
    # given a submitted application of 西湖区 not yet checked
    application = Application.objects.filter(
        status="submitted", district__code="330106", formal_check_at__isnull=True
    ).first()
    assert application is not None
    page = Pages(browser, live_server.url, "confirmation")
    page.login("district_officer")
    page.width(PHONE)
    page.visit(f"/applications/{application.pk}/")
    # when the officer presses 形式审查通过, then the dialog asks first
    button = 'form[action$="/do/formal_check/"] button'
    page.find(button).click()
    assert "请确认" in page.dialog_text() and "形式审查通过" in page.dialog_text()
    assert "此操作无法撤销" in page.dialog_text()
    page.shot(f"dialog-{PHONE}")
    # going back closes it and nothing happened
    page.find("#confirm-dialog-no").click()
    assert page.dialog_text() == ""
    assert Application.objects.get(pk=application.pk).formal_check_at is None
    # confirming does it
    page.go(button, confirm=True)
    page.shot(f"checked-{PHONE}")
    assert "形式审查通过" in page.text()
    assert Application.objects.get(pk=application.pk).formal_check_at is not None


def test_without_javascript_the_confirmation_is_a_page(demo, live_server, browser_without_script):
    application = Application.objects.filter(
        status="submitted", district__code="330106", formal_check_at__isnull=True
    ).first()
    assert application is not None
    page = Pages(browser_without_script, live_server.url, "confirmation_without_script")
    page.login("district_officer")
    page.width(PHONE)
    page.visit(f"/applications/{application.pk}/")
    # the button leads to a page that asks, and nothing has happened yet
    page.go('form[action$="/do/formal_check/"] button')
    assert browser_without_script.title.startswith("请确认")
    assert "此操作无法撤销" in page.text() and application.number in page.text()
    assert Application.objects.get(pk=application.pk).formal_check_at is None
    assert not page.scrolls_sideways()
    page.shot(f"confirm-page-{PHONE}")
    # 确认 on that page does it
    page.go("#confirm-yes")
    assert browser_without_script.current_url.endswith(f"/applications/{application.pk}/")
    assert Application.objects.get(pk=application.pk).formal_check_at is not None
