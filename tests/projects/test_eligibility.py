"""Acceptance 2 and 3: the five award categories' rules at their thresholds, the
deadline, and debarment with the clock moved."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from funding import services as funding
from funding.models import EligibilityRule
from projects import services
from projects.models import Application
from projects.services import ApplicationError

from .conftest import GOOD_FACTS, award_call, make_application, refresh, submitted, user

pytestmark = pytest.mark.django_db

WESTLAKE_AVERAGE = "46500.00"  # demo statistic for 西湖区 2025; 20 % above is 55800.00

# category, fact, just below, exactly at
THRESHOLDS = [
    ("coop", "member_households", 99, 100),
    ("coop", "member_avg_income", "55799.99", "55800.00"),
    ("coop", "registered_and_inspected", False, True),
    ("base", "beneficiary_person_times", 999, 1000),
    ("base", "named_base", "none", "district"),
    ("leader", "years_rural_popsci", 2, 3),
    ("agri_expert", "years_serving_agri", 1, 2),
    ("agri_expert", "title_level", "intermediate", "associate"),
    ("tech_guide", "years_grassroots_service", 2, 3),
]
APPLICANT = {
    "coop": {"actor": "applicant", "organisation": "杭州西湖智慧农业科技有限公司"},
    "base": {"actor": "applicant_nt", "organisation": "杭州市西湖区农业技术推广中心"},
    "leader": {
        "actor": "applicant_nt",
        "organisation": "杭州市西湖区农业技术推广中心",
        "person": "俞根土",
    },
    "agri_expert": {
        "actor": "applicant_nt",
        "organisation": "杭州市西湖区农业技术推广中心",
        "person": "沈建明",
    },
    "tech_guide": {
        "actor": "applicant_nt",
        "organisation": "杭州市西湖区农业技术推广中心",
        "person": "潘桂英",
    },
}


def _rule_message(category: str, fact: str) -> str:
    if fact == "member_avg_income":
        fact = "member_income_above_district_pct"
    return EligibilityRule.objects.get(
        category__code=category, category__programme__code="KPHN", fact=fact
    ).message


@pytest.mark.parametrize(("category", "fact", "below", "at"), THRESHOLDS)
def test_just_below_is_refused_with_the_rules_message_and_exactly_at_passes(
    world, today, category, fact, below, at
):
    # given an application that meets every other rule of its category
    facts = dict(GOOD_FACTS[category])
    facts[fact] = below
    application = make_application(
        call=award_call(), category=category, facts=facts, **APPLICANT[category]
    )
    # when it is submitted just below the threshold, it is refused with that rule's message
    with pytest.raises(ApplicationError) as info:
        services.application_submit(
            application=application, actor=user(APPLICANT[category]["actor"])
        )
    assert info.value.reasons == [_rule_message(category, fact)]
    assert refresh(application).status == Application.Status.DRAFT
    # and exactly at the threshold it passes
    facts[fact] = at
    application = services.application_update(
        application=application, actor=user(APPLICANT[category]["actor"]), facts=facts
    )
    services.application_submit(application=application, actor=user(APPLICANT[category]["actor"]))
    assert refresh(application).status == Application.Status.SUBMITTED


def test_income_rule_needs_the_district_average(world, today):
    from funding.models import DistrictStatistic

    DistrictStatistic.objects.filter(district__code="330106").delete()
    application = make_application(call=award_call(), category="coop", **APPLICANT["coop"])
    problems = services.submission_problems(application, day=clock.today())
    assert any("西湖区" in p for p in problems)


def test_every_failed_rule_is_listed_at_once(world, today):
    application = make_application(
        call=award_call(), category="coop", facts={"member_households": 10}, **APPLICANT["coop"]
    )
    with pytest.raises(ApplicationError) as info:
        services.application_submit(application=application, actor=user("applicant"))
    assert len(info.value.reasons) == 3


def test_submission_is_refused_after_the_call_closes(world):
    with clock.frozen(dt.date(2026, 12, 15)):
        application = make_application()
    with clock.frozen(dt.date(2026, 12, 16)), pytest.raises(ApplicationError) as info:
        services.application_submit(application=application, actor=user("applicant"))
    assert "2026-12-15" in str(info.value)
    with clock.frozen(dt.date(2026, 12, 15)):
        services.application_submit(application=application, actor=user("applicant"))
    assert refresh(application).status == Application.Status.SUBMITTED


def test_budget_items_must_add_up_to_the_amount(world, today):
    from decimal import Decimal

    application = make_application()
    application = services.application_update(
        application=application,
        actor=user("applicant"),
        budget_items={"equipment": Decimal("99999.99")},
    )
    with pytest.raises(ApplicationError, match="99,999.99"):
        services.application_submit(application=application, actor=user("applicant"))


def test_a_debarred_organisation_cannot_submit_until_the_debarment_ends(world):
    from accounts.models import Organisation

    org = Organisation.objects.get(name="杭州西湖智慧农业科技有限公司")
    with clock.frozen(dt.date(2025, 11, 21)):
        funding.debarment_create(
            organisation=org,
            person=None,
            reason="2025年抽查发现材料弄虚作假",
            years=1,
            actor=user("city_officer"),
        )
    with clock.frozen(dt.date(2026, 11, 20)):
        application = make_application()
        with pytest.raises(ApplicationError) as info:
            services.application_submit(application=application, actor=user("applicant"))
        assert "2026-11-21" in str(info.value) and "弄虚作假" in str(info.value)
    # the last day of the debarment is still barred; the day it ends, submission works
    with clock.frozen(dt.date(2026, 11, 21)):
        services.application_submit(application=application, actor=user("applicant"))
    assert refresh(application).status == Application.Status.SUBMITTED


def test_a_debarred_person_cannot_be_nominated(world):
    from accounts.models import Person

    person = Person.objects.get(name="俞根土")
    with clock.frozen(dt.date(2026, 1, 10)):
        funding.debarment_create(organisation=None, person=person, reason="冒领补助", years=3)
    with clock.frozen(dt.date(2026, 11, 20)):
        application = make_application(call=award_call(), category="leader", **APPLICANT["leader"])
        with pytest.raises(ApplicationError, match="2029-01-10"):
            services.application_submit(application=application, actor=user("applicant_nt"))


def test_the_applicant_sees_why_on_the_page(world, today, client):
    application = make_application(
        call=award_call(),
        category="coop",
        facts={
            "member_households": 99,
            "registered_and_inspected": True,
            "member_avg_income": "60000",
        },
        **APPLICANT["coop"],
    )
    client.force_login(user("applicant"))
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert _rule_message("coop", "member_households") in page


def test_submitted_applications_can_be_withdrawn_by_the_applicant(world, today):
    application = submitted()
    services.application_withdraw(application=application, actor=user("applicant"))
    assert refresh(application).status == Application.Status.WITHDRAWN
