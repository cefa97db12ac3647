from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import OrgUnit
from core import clock
from projects import services as projects
from projects.models import Application
from reviews import services
from reviews.models import Panel, Rubric
from tests.projects.conftest import GOOD_FACTS, checked, project_call, user  # noqa: F401

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def world(demo_world: None) -> None:
    """The base world: accounts and funding (built once per test database)."""


@pytest.fixture
def today() -> Any:
    with clock.frozen(TODAY):
        yield TODAY


def rubric(code: str = "T") -> Rubric:
    return services.rubric_create(
        code=code,
        name="测试评分表",
        total_threshold=Decimal("60"),
        criteria=[
            {
                "code": "innov",
                "name": "创新性",
                "max_score": Decimal("40"),
                "weight": Decimal("1.5"),
            },
            {
                "code": "feas",
                "name": "可行性",
                "max_score": Decimal("30"),
                "min_score": Decimal("12"),
            },
            {"code": "benefit", "name": "效益", "max_score": Decimal("30")},
        ],
    )


def recommended(
    n: int,
    *,
    district_officer: str = "district_officer",
    amount: str = "100000.00",
    category: str = "industry",
) -> list[Application]:
    """``n`` project applications of 西湖区 recommended to the city."""
    apps = [checked(title=f"评审项目{i}", amount=amount, category=category) for i in range(n)]
    rec = projects.recommendation_list_create(
        call=apps[0].call,
        district=apps[0].district,
        applications=apps,
        actor=user(district_officer),
    )
    projects.recommendation_submit(recommendation_list=rec, actor=user(district_officer))
    return [Application.objects.get(pk=a.pk) for a in apps]


def city_panel(apps: list[Application], *, size: int = 3, **kwargs: Any) -> Panel:
    return services.panel_create(
        call=apps[0].call,
        stage=Panel.Stage.CITY,
        name="2026年科技计划项目市级终审",
        unit=OrgUnit.objects.get(code="330100"),
        rubric=kwargs.pop("rubric_", None) or Rubric.objects.filter(code="T").first() or rubric(),
        deadline=dt.date(2026, 12, 10),
        actor=user("city_officer"),
        applications=apps,
        size=size,
        **kwargs,
    )
