from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Organisation, Person, User
from core import clock
from funding.models import Call, Category
from projects import services
from projects.models import Application

# Inside both demo calls' windows (award: 11-01…12-31, project: 10-15…12-15).
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def world(demo_world: None) -> None:
    """The base world: accounts and funding (built once per test database)."""


@pytest.fixture
def today() -> Any:
    with clock.frozen(TODAY):
        yield TODAY


def user(username: str) -> User:
    return User.objects.get(username=username)


def award_call() -> Call:
    return Call.objects.get(programme__code="KPHN", year=2026)


def project_call() -> Call:
    return Call.objects.get(programme__code="KJJH", year=2026)


GOOD_FACTS = {
    "coop": {
        "registered_and_inspected": True,
        "member_households": 150,
        "member_avg_income": "60000.00",
    },
    "base": {"named_base": "district", "beneficiary_person_times": 1500},
    "leader": {"years_rural_popsci": 5},
    "agri_expert": {"years_serving_agri": 3, "title_level": "senior"},
    "tech_guide": {"years_grassroots_service": 4},
}


def make_application(
    *,
    call: Call | None = None,
    category: str = "industry",
    actor: str = "applicant",
    organisation: str = "杭州西湖智慧农业科技有限公司",
    person: str | None = None,
    facts: dict[str, Any] | None = None,
    amount: str = "100000.00",
    title: str = "测试项目",
) -> Application:
    call = call or project_call()
    is_award = call.programme.flow == "award"
    cat = Category.objects.get(programme=call.programme, code=category)
    application = services.application_create(
        call=call,
        category=cat,
        title=title,
        actor=user(actor),
        organisation=Organisation.objects.get(name=organisation),
        person=Person.objects.get(name=person) if person else None,
    )
    instrument = "award" if is_award else "grant"
    item = "training" if is_award else "equipment"
    return services.application_update(
        application=application,
        actor=user(actor),
        facts=facts if facts is not None else GOOD_FACTS.get(category, {}),
        funding={instrument: Decimal(amount)},
        budget_items={item: Decimal(amount)},
    )


def submitted(**kwargs: Any) -> Application:
    application = make_application(**kwargs)
    return services.application_submit(
        application=application, actor=user(kwargs.get("actor", "applicant"))
    )


def checked(**kwargs: Any) -> Application:
    application = submitted(**kwargs)
    return services.application_formal_check(
        application=application, actor=user("district_officer")
    )


def refresh(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def force_state(application: Application, state: str) -> Application:
    """Test-only: put an application into ``state`` without its history."""
    Application.objects.filter(pk=application.pk).update(status=state)
    return refresh(application)
