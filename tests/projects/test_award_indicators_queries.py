"""Issue 16: the award indicators page (预算指标下达) reads in a number of queries that does
not grow with the calls and districts it lists, and shows the same figures."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrgUnit
from funding.models import Call
from projects.models import Application

from .conftest import award_call, user
from .flow import client, granted_award, text
from .lifecycle import money

pytestmark = pytest.mark.django_db


def _page() -> tuple[str, int]:
    browser = client("finance")
    url = reverse("award_indicators")
    browser.get(url)  # the session and the user's scope
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return text(response.content.decode()), len(captured)


def _more_calls_and_districts(calls: int) -> list[Call]:
    """``calls`` more award calls of the programme (earlier years), each with a granted
    award in every district of 杭州市 that has a finance bureau's line or not."""
    pattern = award_call()
    first = Application.objects.filter(call=pattern).order_by("pk").first()
    assert first is not None
    districts = list(OrgUnit.objects.filter(path__startswith="/330000/330100/", level="district"))
    assert len(districts) >= 3
    made = []
    for n in range(calls):
        call = Call.objects.get(pk=pattern.pk)
        call.pk = None
        call.year = pattern.year - 1 - n
        call.title = f"{call.year}年度奖补 {n}"
        call.save()
        made.append(call)
        Application.objects.bulk_create(
            [
                Application(
                    number=f"LOAD-{call.year}-{district.code}",
                    call=call,
                    category=first.category,
                    title=f"奖补 {call.year} {district.name}",
                    organisation=first.organisation,
                    person=first.person,
                    district=district,
                    status=Application.Status.APPROVED,
                    approved_amount_fen=1_234_500,
                    created_by=user("city_officer"),
                )
                for district in districts[:3]
            ]
        )
    return made


def test_the_award_indicators_page_reads_in_a_flat_number_of_queries(world):
    # given one granted award of 50,000 yuan in 西湖区, not yet issued
    money()
    granted_award()
    page, small = _page()
    assert "西湖区" in page and "50,000.00" in page
    # when three more calls have awards in three districts each (nine more rows)
    calls = _more_calls_and_districts(3)
    page, large = _page()
    # then every row is there with its figures, the first one unchanged
    for call in calls:
        assert call.title in page
    # (each row: the awards' total, and the button that issues it)
    assert page.count("12,345.00") == 18
    assert "50,000.00" in page
    # and the page took no more queries than for one row
    assert large <= small
