"""Acceptance 1: every transition, who may and who may not take it, and from which
states it is refused (the state table of DESIGN §3)."""

from __future__ import annotations

import pytest
from django_fsm import can_proceed, has_transition_perm

from projects import services
from projects.models import Application
from projects.services import ApplicationError

from .conftest import checked, force_state, make_application, refresh, submitted, user

pytestmark = pytest.mark.django_db
S = Application.Status

# DESIGN §3 (with the two additions of docs/decisions.md: return and reject from the
# district notice, when an objection is upheld).
SOURCES = {
    "submit": {S.DRAFT, S.RETURNED},
    "return_for_revision": {S.SUBMITTED, S.DISTRICT_PUBLICITY},
    "start_district_publicity": {S.SUBMITTED},
    "recommend": {S.SUBMITTED, S.DISTRICT_PUBLICITY},
    "open_review": {S.RECOMMENDED},
    "close_review": {S.UNDER_REVIEW},
    "start_publicity": {S.REVIEWED},
    "approve": {S.PUBLICITY},
    "sign_contract": {S.APPROVED},
    "start": {S.CONTRACTED, S.APPROVED},
    "request_acceptance": {S.IN_PROGRESS, S.RECTIFYING},
    "open_acceptance": {S.ACCEPTANCE_REQUESTED},
    "require_rectification": {S.ACCEPTANCE_REVIEW},
    "accept": {S.ACCEPTANCE_REVIEW},
    "fail_acceptance": {S.ACCEPTANCE_REVIEW, S.RECTIFYING},
    "close": {S.ACCEPTED, S.FAILED, S.TERMINATED},
    "reject": {S.SUBMITTED, S.DISTRICT_PUBLICITY, S.RECOMMENDED, S.REVIEWED, S.PUBLICITY},
    "withdraw": {S.DRAFT, S.SUBMITTED, S.RETURNED},
    "disqualify": {
        S.RECOMMENDED,
        S.UNDER_REVIEW,
        S.REVIEWED,
        S.PUBLICITY,
        S.APPROVED,
        S.CONTRACTED,
        S.IN_PROGRESS,
    },
    "terminate": {S.CONTRACTED, S.IN_PROGRESS},
}
TARGETS = {
    "submit": S.SUBMITTED,
    "return_for_revision": S.RETURNED,
    "start_district_publicity": S.DISTRICT_PUBLICITY,
    "recommend": S.RECOMMENDED,
    "open_review": S.UNDER_REVIEW,
    "close_review": S.REVIEWED,
    "start_publicity": S.PUBLICITY,
    "approve": S.APPROVED,
    "sign_contract": S.CONTRACTED,
    "start": S.IN_PROGRESS,
    "request_acceptance": S.ACCEPTANCE_REQUESTED,
    "open_acceptance": S.ACCEPTANCE_REVIEW,
    "require_rectification": S.RECTIFYING,
    "accept": S.ACCEPTED,
    "fail_acceptance": S.FAILED,
    "close": S.CLOSED,
    "reject": S.REJECTED,
    "withdraw": S.WITHDRAWN,
    "disqualify": S.DISQUALIFIED,
    "terminate": S.TERMINATED,
}


def test_every_state_of_the_design_exists():
    assert set(S.values) == {
        "draft",
        "submitted",
        "returned",
        "district_publicity",
        "recommended",
        "under_review",
        "reviewed",
        "publicity",
        "approved",
        "contracted",
        "in_progress",
        "acceptance_requested",
        "acceptance_review",
        "rectifying",
        "accepted",
        "failed",
        "closed",
        "rejected",
        "withdrawn",
        "disqualified",
        "terminated",
    }


def _graph() -> dict[str, tuple[set[str], str]]:
    transitions = Application._meta.get_field("status").get_all_transitions(Application)  # type: ignore[attr-defined]
    graph: dict[str, tuple[set[str], str]] = {}
    for t in transitions:
        sources, target = graph.get(t.name, (set(), t.target))
        sources.add(t.source)
        graph[t.name] = (sources, target)
    return graph


def test_the_state_machine_is_the_table_of_the_design():
    graph = _graph()
    assert set(graph) == set(SOURCES)
    for name, (sources, target) in graph.items():
        assert sources == SOURCES[name], name
        assert target == TARGETS[name], name


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_transition_is_refused_from_every_other_state(world, today, name):
    application = make_application()
    for state in set(S.values) - SOURCES[name]:
        application = force_state(application, state)
        assert not can_proceed(getattr(application, name)), (name, state)


# --- who may take the district-stage transitions ------------------------------------------

MAY = {
    "submit": (
        {"applicant"},
        {"applicant_yh", "applicant_nt", "district_officer", "city_officer", "auditor", "admin"},
    ),
    "withdraw": ({"applicant"}, {"applicant_yh", "district_officer", "auditor", "admin"}),
    "return_for_revision": (
        {"district_officer"},
        {"district_officer_yh", "applicant", "district_finance", "auditor", "finance"},
    ),
    "reject": (
        {"district_officer"},
        {"district_officer_yh", "applicant", "city_officer", "auditor", "district_finance"},
    ),
    "recommend": (
        {"district_officer"},
        {"district_officer_yh", "applicant", "city_officer", "auditor"},
    ),
}


@pytest.mark.parametrize("name", sorted(MAY))
def test_who_may_take_a_district_stage_transition(world, today, name):
    application = make_application()
    if name not in {"submit", "withdraw"}:
        application = refresh(checked())
    allowed, refused = MAY[name]
    for username in allowed:
        assert has_transition_perm(getattr(application, name), user(username)), username
    for username in refused:
        assert not has_transition_perm(getattr(application, name), user(username)), username


def test_who_may_start_the_district_notice(world, today):
    application = checked(
        call=_award(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    assert has_transition_perm(application.start_district_publicity, user("district_officer"))
    for username in (
        "district_officer_yh",
        "applicant_nt",
        "city_officer",
        "auditor",
        "district_finance",
    ):
        assert not has_transition_perm(application.start_district_publicity, user(username)), (
            username
        )


def _award():
    from .conftest import award_call

    return award_call()


def test_the_service_refuses_a_transition_the_actor_may_not_take(world, today):
    application = submitted()
    with pytest.raises(ApplicationError, match="may not|无权"):
        services.application_return(
            application=application, actor=user("district_officer_yh"), reason="越权"
        )
    assert refresh(application).status == S.SUBMITTED


def test_district_notice_is_award_flow_only_and_needs_the_formal_check(world, today):
    project = checked()
    assert not can_proceed(project.start_district_publicity)  # project flow
    award = submitted(
        call=_award(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    assert not can_proceed(award.start_district_publicity)  # not checked yet
    award = services.application_formal_check(application=award, actor=user("district_officer"))
    assert can_proceed(award.start_district_publicity)


def test_award_flow_cannot_be_recommended_without_its_notice(world, today):
    award = checked(
        call=_award(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    assert not can_proceed(award.recommend)
    project = checked()
    assert can_proceed(project.recommend)


def test_every_transition_is_logged_with_actor_reason_and_time(world, today):
    application = submitted()
    services.application_return(
        application=application, actor=user("district_officer"), reason="缺少附件"
    )
    log = list(
        refresh(application)
        .transitions.order_by("pk")
        .values_list("transition", "from_state", "to_state", "actor__username", "reason")
    )
    assert log[-2:] == [
        ("submit", "draft", "submitted", "applicant", ""),
        ("return_for_revision", "submitted", "returned", "district_officer", "缺少附件"),
    ]


def test_return_and_reject_need_a_reason(world, today):
    application = submitted()
    for call in (services.application_return, services.application_reject):
        with pytest.raises(ApplicationError):
            call(application=application, actor=user("district_officer"), reason="  ")
    assert refresh(application).status == S.SUBMITTED


def test_reject_records_the_stage(world, today):
    application = submitted()
    services.application_reject(
        application=application, actor=user("district_officer"), reason="不符合指南"
    )
    application = refresh(application)
    assert application.status == S.REJECTED
    assert application.rejected_stage == "submitted"


def test_a_second_officer_acting_on_a_stale_page_gets_a_message(world, today):
    # given two officers opened the same submitted application
    application = submitted()
    first_view = refresh(application)
    second_view = refresh(application)
    # when the first returns it and the second then rejects from the stale page
    services.application_return(
        application=first_view, actor=user("district_officer"), reason="补充材料"
    )
    with pytest.raises(ApplicationError) as info:
        services.application_reject(
            application=second_view, actor=user("district_officer"), reason="不符合"
        )
    # then the second is told what happened, and the first action stands
    assert "退回修改" in str(info.value) or "Returned" in str(info.value)
    assert refresh(application).status == S.RETURNED


# --- who may take the later transitions (the city stage, the contract, the acceptance) ------

LATER = {
    # transition: (a state it starts from, may, may not)
    "open_review": (
        S.RECOMMENDED,
        {"city_officer"},
        {"district_officer", "applicant", "auditor", "finance", "expert"},
    ),
    "close_review": (
        S.UNDER_REVIEW,
        {"city_officer"},
        {"district_officer", "applicant", "auditor", "expert"},
    ),
    "start_publicity": (S.REVIEWED, {"city_officer"}, {"district_officer", "applicant", "auditor"}),
    "approve": (
        S.PUBLICITY,
        {"city_officer"},
        {"district_officer", "applicant", "auditor", "finance"},
    ),
    "reject": (S.REVIEWED, {"city_officer"}, {"district_officer", "applicant", "auditor"}),
    "sign_contract": (
        S.APPROVED,
        {"city_officer"},
        {"district_officer", "applicant", "auditor", "finance"},
    ),
    "start": (
        S.CONTRACTED,
        {"city_officer", "finance"},
        {"district_officer", "applicant", "auditor"},
    ),
    "request_acceptance": (
        S.IN_PROGRESS,
        {"applicant"},
        {"applicant_yh", "district_officer", "city_officer", "auditor"},
    ),
    "open_acceptance": (
        S.ACCEPTANCE_REQUESTED,
        {"city_officer"},
        {"applicant", "district_officer", "auditor"},
    ),
    "require_rectification": (
        S.ACCEPTANCE_REVIEW,
        {"city_officer"},
        {"applicant", "district_officer", "auditor"},
    ),
    "accept": (
        S.ACCEPTANCE_REVIEW,
        {"city_officer"},
        {"applicant", "district_officer", "auditor", "finance"},
    ),
    "fail_acceptance": (
        S.RECTIFYING,
        {"city_officer"},
        {"applicant", "district_officer", "auditor"},
    ),
    "close": (
        S.ACCEPTED,
        {"city_officer"},
        {"applicant", "district_officer", "auditor", "finance"},
    ),
    "disqualify": (S.IN_PROGRESS, {"city_officer"}, {"applicant", "district_officer", "auditor"}),
    "terminate": (
        S.IN_PROGRESS,
        {"city_officer"},
        {"applicant", "district_officer", "auditor", "finance"},
    ),
}


def test_every_transition_is_covered_by_a_who_may_test():
    assert set(MAY) | {"start_district_publicity"} | set(LATER) == set(SOURCES)


@pytest.mark.parametrize("name", sorted(LATER))
def test_who_may_take_a_later_transition(world, today, name):
    state, allowed, refused = LATER[name]
    application = force_state(make_application(), state)
    assert can_proceed(getattr(application, name), check_conditions=False)
    for username in allowed:
        assert has_transition_perm(getattr(application, name), user(username)), username
    for username in refused:
        assert not has_transition_perm(getattr(application, name), user(username)), username
    # the city officer of the other city may not either
    from accounts import services as accounts
    from accounts.models import OrgUnit

    other = accounts.user_create(username="huzhou_officer", password=None, full_name="湖州市科协")
    accounts.membership_grant(
        user=other, role="city_officer", org_unit=OrgUnit.objects.get(code="330500")
    )
    assert not has_transition_perm(getattr(application, name), other)
