"""The year's set-up by finance on pages (issue 13, item 4: a fresh install runs a whole
year without the Django admin): a budget line with its budget, a bank account, the funds
that arrive in it. Only the makers of a region, each asking first, each posted once."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from core.confirm import CONFIRMED
from ledger.models import BankAccount, BudgetLine, Entry

pytestmark = pytest.mark.django_db

CITY = "/330000/330100/"


def _line_form(**extra: str) -> dict[str, str]:
    return {
        "scope_path": CITY,
        "programme_code": "KJJH",
        "year": "2026",
        "funding_source": "sci_tech",
        "instrument": "grant",
        "name": "",
        "amount": "1,200,000.00",
        "value_date": "2026-02-01",
        "document_no": "杭财教〔2026〕7号",
        CONFIRMED: "1",
        **extra,
    }


def test_city_finance_creates_a_budget_line_with_its_budget(demo_world, as_user):
    # given the city's finance officer on the budget lines page
    client = as_user("finance")
    listing = client.get(reverse("ledger:budget_line_list")).content.decode()
    assert reverse("ledger:budget_line_create") in listing
    page = client.get(reverse("ledger:budget_line_create")).content.decode()
    assert "杭州市" in page and "科技计划" in page  # regions and programmes by name
    # when they create the 2026 科技三项费用 grant line of the city with 1,200,000.00
    unconfirmed = client.post(reverse("ledger:budget_line_create"), {**_line_form(), CONFIRMED: ""})
    assert "请确认" in unconfirmed.content.decode()
    assert not BudgetLine.objects.filter(year=2026, funding_source="sci_tech").exists()
    response = client.post(reverse("ledger:budget_line_create"), _line_form())
    # then the line exists, named in words, with its budget issued and available
    line = BudgetLine.objects.with_figures().get(
        year=2026, funding_source="sci_tech", scope_path=CITY
    )
    assert response.url == reverse("ledger:budget_line_detail", args=[line.pk])
    assert line.name.startswith("2026年") and "杭州市" in line.name
    assert line.appropriation_fen == line.available_fen == 120_000_000
    # and the same line again is refused with a message, posting nothing
    entries = Entry.objects.count()
    again = client.post(reverse("ledger:budget_line_create"), _line_form(), follow=True)
    assert "已存在" in again.content.decode()
    assert Entry.objects.count() == entries


@pytest.mark.parametrize("username", ["district_officer", "auditor", "finance_checker"])
def test_who_may_not_set_up_the_books_cannot(demo_world, as_user, username):
    client = as_user(username)
    assert client.get(reverse("ledger:budget_line_create")).status_code in (403, 404)
    before = BudgetLine.objects.count()
    client.post(reverse("ledger:budget_line_create"), _line_form())
    assert BudgetLine.objects.count() == before


def test_district_finance_cannot_create_a_line_of_the_city(demo_world, as_user):
    client = as_user("district_finance")
    page = client.get(reverse("ledger:budget_line_create")).content.decode()
    assert "西湖区" in page and f'value="{CITY}"' not in page  # only their district is offered
    response = client.post(reverse("ledger:budget_line_create"), _line_form())
    assert response.status_code == 200  # the form again: the city is no choice of theirs
    assert not BudgetLine.objects.filter(scope_path=CITY, year=2026).exists()


def test_a_bank_account_is_opened_and_funds_received_are_booked_once(demo_world, as_user):
    # given the city's finance officer on the bank accounts page
    client = as_user("finance")
    url = reverse("ledger:bank_account_list")
    client.post(
        url,
        {
            "action": "open",
            "scope_path": CITY,
            "name": "杭州市财政局科技专户",
            "bank_name": "中国工商银行杭州分行",
            "account_number": "1202 0210 0900 0099 999",
            CONFIRMED: "1",
        },
    )
    bank = BankAccount.objects.get(account_number="1202021009000099999")
    # when the funds that arrived are recorded, and the button is pressed twice
    token = str(uuid.uuid4())
    fund = {
        "action": "fund",
        "bank_account": bank.pk,
        "amount": "3,000,000.00",
        "value_date": "2026-01-05",
        "memo": "年初预算资金到账",
        "token": token,
        CONFIRMED: "1",
    }
    client.post(url, fund)
    client.post(url, fund)
    # then the bank holds 3,000,000.00 once, shown on the page
    bank.account.refresh_from_db()
    assert bank.account.balance == 300_000_000
    assert "3,000,000.00" in client.get(url).content.decode()
    # and a date ahead is refused naming today
    late = client.post(
        url, {**fund, "token": str(uuid.uuid4()), "value_date": "9999-12-31"}, follow=True
    )
    assert "9999-12-31" in late.content.decode() and "今天" in late.content.decode()
