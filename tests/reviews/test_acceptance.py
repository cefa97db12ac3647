"""Acceptance conclusions: "more than 6 months overdue fails" (DESIGN §3) is counted in
calendar months from the contract's end date, on the date in Beijing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from core import clock
from projects import contracts
from projects.models import Application
from reviews import services as reviews
from tests.projects.conftest import refresh, user
from tests.projects.lifecycle import (
    acceptance_through,
    approved_project,
    money,
    pay,
    signed_contract,
)

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.mark.parametrize(
    ("requested_at", "conclusion", "status"),
    [
        # the contract ends 2028-12-31; six months after it is 2029-06-30
        (dt.datetime(2029, 6, 30, 16, 0), "accept", S.ACCEPTED),
        # one day more; at 07:00 in Beijing it is still 30 June in UTC
        (dt.datetime(2029, 7, 1, 7, 0), "fail", S.FAILED),
        (dt.datetime(2029, 7, 30, 10, 0), "fail", S.FAILED),
    ],
)
def test_acceptance_requested_more_than_six_months_after_the_end_date_fails(
    world, requested_at, conclusion, status
):
    books = money()
    application = approved_project()
    contract = signed_contract(application)
    assert contract.end_date == dt.date(2028, 12, 31)
    assert application.call.programme.acceptance_overdue_fail_months == 6
    first = contract.tranches.order_by("pk").first()
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        pay(
            contracts.tranche_order(tranche=first, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    assert refresh(application).status == S.IN_PROGRESS
    with clock.frozen(requested_at):
        acceptance = acceptance_through(
            application,
            contract,
            actuals=["520", "1000"],
            score={"tasks": "62", "funds": "18", "other": "8"},
            spending={"equipment": D("300000"), "materials": D("200000")},
        )
    # every indicator is complete: only the lateness can fail it
    assert acceptance.completion_pct == D("100.00")
    assert acceptance.conclusion == conclusion
    assert refresh(application).status == status
    if conclusion == "fail":  # the reason names the request date and the end date
        reason = acceptance.conclusion_reason
        assert requested_at.date().isoformat() in reason and "2028-12-31" in reason


@pytest.mark.parametrize(
    ("due", "requested_on", "months"),
    [
        (dt.date(2028, 12, 31), dt.date(2028, 12, 31), 0),
        (dt.date(2028, 12, 31), dt.date(2029, 1, 1), 1),
        (dt.date(2028, 12, 31), dt.date(2029, 6, 30), 6),
        (dt.date(2028, 12, 31), dt.date(2029, 7, 1), 7),
        (dt.date(2028, 12, 31), dt.date(2029, 7, 30), 7),
        (dt.date(2028, 8, 31), dt.date(2029, 2, 28), 6),  # 31 August + 6 months
        (dt.date(2028, 8, 31), dt.date(2029, 3, 1), 7),
        (dt.date(2029, 1, 15), dt.date(2029, 7, 15), 6),
        (dt.date(2029, 1, 15), dt.date(2029, 7, 16), 7),
        (dt.date(2027, 10, 31), dt.date(2029, 10, 31), 24),
    ],
)
def test_months_overdue_counts_calendar_months_begun(due, requested_on, months):
    assert reviews.months_overdue(due, requested_on) == months
    assert (months > 6) == (requested_on > contracts.add_months(due, 6))
