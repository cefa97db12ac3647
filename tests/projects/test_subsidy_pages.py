"""The pages of 贷款贴息 and 核减, as their users reach them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import clock
from projects.models import Loan

from .conftest import refresh
from .flow import client, text
from .subsidy_world import approved, draft, drafted_contract, signed, subsidy_line, to_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(world):
    from .lifecycle import money

    setup = money()
    subsidy_line()
    return setup


def test_the_applicant_states_the_loan_on_its_page(world):
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        application = draft(funding={"interest_subsidy": "30000.00"})
        application.loan.delete()
        applicant = client("applicant")
        page = applicant.get(reverse("application_detail", args=[application.pk]))
        assert "state-loan" in page.content.decode()
        url = reverse("loan_edit", args=[application.pk])
        bad = applicant.post(
            url,
            {
                "bank": "工行",
                "contract_no": "X-1",
                "principal": "100000",
                "annual_rate_pct": "0",
                "start_date": "2026-06-01",
                "term_months": "12",
            },
        )
        assert bad.status_code == 200 and not Loan.objects.filter(application=application).exists()
        good = applicant.post(
            url,
            {
                "bank": "工行",
                "contract_no": "X-1",
                "principal": "1,000,000",
                "annual_rate_pct": "4.35",
                "start_date": "2026-06-01",
                "term_months": "12",
            },
        )
        assert good.status_code == 302
        loan = refresh(application).loan
        assert loan.principal_fen == 100_000_000 and str(loan.annual_rate) == "0.043500"
        assert client("district_officer").get(url).status_code in (403, 404)


def test_the_officer_cuts_and_the_applicant_re_spreads_on_pages(books):
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        application = draft(
            funding={"grant": "300000.00"},
            items={"equipment": "200000.00", "materials": "100000.00"},
        )
        to_notice([application])
        officer = client("city_officer")
        url = reverse("application_cut", args=[application.pk])
        assert officer.get(url).status_code == 200
        refused = officer.post(url, {"amount_grant": "300000.01", "reason": "偏高"}, follow=True)
        assert "300,000.00" in text(refused.content.decode())
        officer.post(url, {"amount_grant": "240000", "reason": "设备按询价核减"})
        assert application.cuts.get().approved_fen == 24_000_000
        assert client("applicant").get(url).status_code == 403
    from projects.models import Application

    application = approved(
        funding={"grant": "100000.00"},
        cut={"grant": "80000.00"},
        items={"equipment": "60000.00", "travel": "40000.00"},
    )
    contract = drafted_contract(application)
    applicant = client("applicant")
    page = applicant.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "respread-link" in page and "80,000.00" in page
    url = reverse("contract_respread", args=[contract.pk])
    applicant.post(url, {"item_equipment": "60000", "item_travel": "20000"})
    assert sorted(contract.budget.values_list("item", "amount_fen")) == [
        ("equipment", 6_000_000),
        ("travel", 2_000_000),
    ]
    assert Application.objects.get(pk=application.pk).approved_amount_fen == 8_000_000


def test_finance_records_a_certificate_on_the_contract_page(books):
    application = approved(funding={"grant": "100000.00", "interest_subsidy": "20000.00"})
    contract = signed(application)
    finance = client("finance")
    page = finance.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "record-certificate" in page
    url = reverse("subsidy_certificate", args=[contract.pk])
    with clock.frozen(dt.datetime(2026, 12, 2, 10, 0)):
        response = finance.post(
            url,
            {
                "number": "YH-P1",
                "period_from": "2026-06-01",
                "period_to": "2026-08-29",
                "interest_paid": "15000",
            },
        )
        assert response.status_code == 302 and "/ledger/" in response["Location"]
        again = finance.post(
            url,
            {
                "number": "YH-P1",
                "period_from": "2026-09-01",
                "period_to": "2026-09-30",
                "interest_paid": "5000",
            },
            follow=True,
        )
    assert "YH-P1" in text(again.content.decode())
    assert contract.subsidy.certificates.count() == 1
    assert client("applicant").post(url, {}).status_code in (403, 404)
