from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts import services as accounts
from accounts.models import OrgUnit, User
from accounts.roles import Role
from funding import services as funding
from funding.models import Call, Category, Programme


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def award_programme() -> Programme:
    return Programme.objects.get(code="KPHN")


def award_call() -> Call:
    return Call.objects.get(programme__code="KPHN", year=2026)


def category(code: str, programme: str = "KPHN") -> Category:
    return Category.objects.get(programme__code=programme, code=code)


def draft_call(year: int = 2027, **fields: Any) -> Call:
    """Next year's 科普惠农兴村 call, a draft with the programme's five categories."""
    programme = award_programme()
    values: dict[str, Any] = {
        "year": year,
        "title": f"{year}年度杭州市科普惠农兴村计划",
        "doc_number": f"杭科协发〔{year}〕9号",
        "opens_on": dt.date(year, 7, 1),
        "closes_on": dt.date(year, 8, 10),
        "district_deadline": dt.date(year, 8, 20),
        "publicity_days": 10,
        "budget_envelope_fen": 200_000_000,
    }
    values.update(fields)
    return funding.call_create(
        programme=programme, categories=list(programme.categories.all()), **values
    )


@pytest.fixture
def huzhou_officer(demo_world: None) -> User:
    """A city officer of 湖州市 (the demo has one of 杭州市 only)."""
    officer = accounts.user_create(
        username="city_officer_hz", password=None, full_name="湖州市科协 项目管理 许敏"
    )
    accounts.membership_grant(user=officer, role=Role.CITY_OFFICER, org_unit=unit("330500"))
    return officer


@pytest.fixture
def huzhou_call(huzhou_officer: User) -> Call:
    """湖州市's own award programme and its draft 2026 call."""
    programme = funding.programme_create(
        code="HZKP",
        name="湖州市科普惠农兴村计划",
        flow="award",
        instruments=["award"],
        owner_unit=unit("330500"),
        actor=huzhou_officer,
    )
    return funding.call_create(
        programme=programme,
        year=2026,
        title="2026年度湖州市科普惠农兴村计划",
        opens_on=dt.date(2026, 11, 1),
        closes_on=dt.date(2026, 12, 31),
        district_deadline=dt.date(2027, 1, 20),
        actor=huzhou_officer,
    )
