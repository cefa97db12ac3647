"""The page of a programme's expert fee rates (专家劳务费标准, issue 15): the city officer sets
and changes a rate there (confirmed first), a rate of 0 or above the maximum is refused on
the form and nothing changes, applicants and experts are refused the page, and the page is
reached from the programme and from a panel's fee sheets."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.confirm import CONFIRMED
from core.money import format_fen
from funding.models import Programme
from reviews.fee_models import MAX_RATE_FEN, ExpertFeeRate, FeeBasis

from .conftest import city_panel, recommended, user

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _programme() -> Programme:
    return Programme.objects.get(code="KJJH")


def _url(programme: Programme) -> str:
    return reverse("reviews:fee_rates", args=[programme.pk])


def _rates(programme: Programme) -> list[tuple[str, int, str]]:
    return list(
        ExpertFeeRate.objects.filter(programme=programme)
        .order_by("basis")
        .values_list("basis", "amount_fen", "note")
    )


def _set(client: Client, programme: Programme, **data: str) -> str:
    response = client.post(_url(programme), {**data, CONFIRMED: "1"}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_officer_sets_and_changes_a_rate_and_sees_it(world):
    programme = _programme()
    officer = _client("city_officer")
    page = officer.get(_url(programme)).content.decode()
    assert "专家劳务费标准" in page and "尚未设置专家劳务费标准" in page
    assert 'id="set-fee-rate"' in page and "data-confirm" in page

    data = {"basis": FeeBasis.PER_ITEM, "amount": "800", "note": "杭科计〔2026〕3号"}
    asked = officer.post(_url(programme), data)
    assert asked.status_code == 200 and f'name="{CONFIRMED}"' in asked.content.decode()
    assert _rates(programme) == []  # asked first, nothing set yet

    page = _set(officer, programme, **data)
    assert _rates(programme) == [("per_item", 80000, "杭科计〔2026〕3号")]
    assert "专家劳务费标准已保存" in page
    assert "按件（每评审一个项目）" in page and "800.00" in page and "杭科计〔2026〕3号" in page
    rate = ExpertFeeRate.objects.get(programme=programme)
    assert rate.changed_by == user("city_officer") and rate.changed_at is not None

    page = _set(officer, programme, basis=FeeBasis.PER_ITEM, amount="1,200.5", note="")
    page = _set(officer, programme, basis=FeeBasis.HALF_DAY, amount="1500", note="会评")
    assert _rates(programme) == [("half_day", 150000, "会评"), ("per_item", 120050, "")]
    assert "1,200.50" in page and "1,500.00" in page and "按半天（每半天会评）" in page
    assert "800.00" not in page


@pytest.mark.parametrize("amount", ["0", format_fen(MAX_RATE_FEN + 1)])
def test_a_rate_of_nothing_or_above_the_maximum_is_refused_and_nothing_changes(world, amount):
    programme = _programme()
    officer = _client("city_officer")
    _set(officer, programme, basis=FeeBasis.PER_ITEM, amount="800", note="原标准")
    before = _rates(programme)

    page = _set(officer, programme, basis=FeeBasis.PER_ITEM, amount=amount, note="新标准")
    assert f"单价：每单位须在 0.01 元至 {format_fen(MAX_RATE_FEN)} 元之间。" in page
    assert "专家劳务费标准已保存" not in page
    assert _rates(programme) == before == [("per_item", 80000, "原标准")]
    page = _set(officer, programme, basis=FeeBasis.HALF_DAY, amount="一千", note="")
    assert "「一千」不是有效金额" in page and _rates(programme) == before


@pytest.mark.parametrize("username", ["applicant_nt", "expert"])
def test_applicants_and_experts_are_refused_the_page(world, username):
    programme = _programme()
    client = _client(username)
    assert client.get(_url(programme)).status_code == 403
    data = {"basis": FeeBasis.PER_ITEM, "amount": "800", CONFIRMED: "1"}
    assert client.post(_url(programme), data).status_code == 403
    assert _rates(programme) == []


def test_readers_see_the_rates_but_only_the_city_officer_sets_them(world):
    programme = _programme()
    _set(_client("city_officer"), programme, basis=FeeBasis.PER_ITEM, amount="800", note="")
    finance = _client("finance")
    page = finance.get(_url(programme)).content.decode()
    assert "800.00" in page and 'id="set-fee-rate"' not in page
    data = {"basis": FeeBasis.PER_ITEM, "amount": "900", CONFIRMED: "1"}
    assert finance.post(_url(programme), data).status_code == 403
    assert _rates(programme) == [("per_item", 80000, "")]


def test_the_programme_page_links_the_rates(world):
    programme = _programme()
    page = _client("city_officer").get(reverse("funding:programme_detail", args=[programme.pk]))
    assert f'href="{_url(programme)}"' in page.content.decode()


def test_the_fee_sheets_of_a_panel_link_the_rates_and_say_when_there_is_none(world, today):
    panel = city_panel(recommended(1), size=1)
    programme = panel.call.programme
    address = reverse("reviews:panel_fees", args=[panel.pk])

    page = _client("city_officer").get(address).content.decode()
    assert f'href="{_url(programme)}"' in page and "设置标准" in page
    assert "尚未设置专家劳务费标准" in page and "请先设置标准" in page
    # finance prepares fee sheets but does not set the rates: no link, and who sets them
    page = _client("finance").get(address).content.decode()
    assert f'href="{_url(programme)}"' not in page
    assert "尚未设置专家劳务费标准" in page and "市级管理人员设置" in page

    _set(_client("city_officer"), programme, basis=FeeBasis.PER_ITEM, amount="800", note="")
    page = _client("city_officer").get(address).content.decode()
    assert "尚未设置专家劳务费标准" not in page and "800.00" in page
