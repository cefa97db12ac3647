"""The panel life cycle through the real services: the draw with its seed, declarations,
scores, reopening, closing, the decision on the ranked list; acceptance 1, 4 and 5."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import OrgUnit
from core import clock
from funding import services as funding
from funding.models import Call, Category, Debarment, Quota
from projects.models import Application
from reviews import services
from reviews.conflicts import conflict_reason, expert_facts, item_facts
from reviews.models import Assignment, ExpertProfile, Panel
from reviews.services import ReviewError

from .conftest import city_panel, recommended, user

pytestmark = pytest.mark.django_db
S = Application.Status


def _assignments(panel: Panel) -> list[tuple[int, int]]:
    return sorted(
        Assignment.objects.filter(panel=panel).values_list("item__application__number", "expert_id")
    )


def test_a_fixed_seed_gives_the_same_draw_and_the_seed_is_recorded(world, today):
    apps = recommended(4)
    panel = city_panel(apps)
    record = services.panel_draw(panel=panel, actor=user("city_officer"), seed=20261120)
    first = _assignments(panel)
    assert record.seed == 20261120 and record.made_by == user("city_officer")
    # the same seed on the same pool again gives the same experts
    Assignment.objects.filter(panel=panel).delete()
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=20261120)
    assert _assignments(panel) == first
    assert len(first) == 4 * 3


def test_the_service_draw_never_assigns_a_conflict(world, today):
    apps = recommended(3)
    # the applicant asks to exclude two experts
    from projects.models import Application as App

    draft = App.objects.get(pk=apps[0].pk)
    excluded = list(ExpertProfile.objects.order_by("pk")[:2])
    for e in excluded:
        from reviews.models import ExclusionRequest

        ExclusionRequest.objects.create(
            application=draft, expert=e, reason="竞争关系", requested_at=clock.now()
        )
    panel = city_panel(apps, size=5)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=1)
    experts = expert_facts(ExpertProfile.objects.select_related("person"))
    facts = item_facts(apps)
    for a in Assignment.objects.filter(panel=panel).select_related("item"):
        assert (
            conflict_reason(
                facts[a.item.application_id], experts[a.expert_id], exclude_own_district=True
            )
            is None
        )
        # 西湖区 experts never sit on a city panel for 西湖区 applications (programme setting)
        assert ExpertProfile.objects.get(pk=a.expert_id).person.region.code != "330106"
        assert a.expert_id not in {e.pk for e in excluded} or a.item.application_id != draft.pk


def test_declaring_a_conflict_releases_and_replaces(world, today):
    apps = recommended(1)
    panel = city_panel(apps, size=2)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=5)
    expert = ExpertProfile.objects.get(person__user__username="expert")
    assignment = Assignment.objects.filter(panel=panel).first()
    # make the demo expert user the first assigned expert's person for the test
    Assignment.objects.filter(pk=assignment.pk).update(expert=expert)
    assignment.refresh_from_db()
    services.assignment_declare(
        assignment=assignment, actor=user("expert"), conflict=True, reason="曾为该单位提供咨询"
    )
    assignment.refresh_from_db()
    assert assignment.status == "declined" and assignment.conflict_declared
    live = Assignment.objects.live().filter(panel=panel)
    assert live.count() == 2 and expert.pk not in live.values_list("expert_id", flat=True)
    assert list(assignment.log.values_list("action", flat=True)) == ["drawn", "conflict_declared"]


def test_an_officer_replaces_an_expert_with_a_logged_reason(world, today):
    apps = recommended(1)
    panel = city_panel(apps, size=2)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=9)
    old = Assignment.objects.filter(panel=panel).first()
    with pytest.raises(ReviewError):
        services.assignment_replace(assignment=old, actor=user("city_officer"), reason=" ")
    services.assignment_replace(
        assignment=old, actor=user("city_officer"), reason="专家出差无法参加"
    )
    old.refresh_from_db()
    assert old.status == "declined"
    log = old.log.get(action="replaced")
    assert log.actor == user("city_officer") and log.reason == "专家出差无法参加"
    assert Assignment.objects.live().filter(panel=panel).count() == 2


def test_only_city_officers_of_the_region_manage_city_panels(world, today):
    apps = recommended(1)
    with pytest.raises(ReviewError):
        services.panel_create(
            call=apps[0].call,
            stage="city",
            name="x",
            unit=OrgUnit.objects.get(code="330100"),
            rubric=city_panel.__globals__["rubric"]("X"),
            deadline=dt.date(2026, 12, 1),
            actor=user("district_officer"),
            applications=apps,
        )


def _score_all(panel: Panel, totals_by_expert_item=None, comment="意见") -> None:
    for a in Assignment.objects.live().filter(panel=panel).select_related("expert__person"):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment=comment,
            values={"innov": "30", "feas": "20", "benefit": "20"},
        )


def test_expert_declares_scores_submits_and_officer_reopens(world, today):
    apps = recommended(1)
    panel = city_panel(apps, size=1)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=3)
    a = Assignment.objects.get(panel=panel)
    Assignment.objects.filter(pk=a.pk).update(
        expert=ExpertProfile.objects.get(person__user__username="expert")
    )
    services.panel_open(panel=panel, actor=user("city_officer"))
    assert Application.objects.get(pk=apps[0].pk).status == S.UNDER_REVIEW
    # scoring before declaring is refused
    with pytest.raises(ReviewError):
        services.scores_save(
            assignment=a, actor=user("expert"), values={"innov": "30"}, comment="", submit=False
        )
    services.assignment_declare(assignment=a, actor=user("expert"), conflict=False)
    # out of range and missing comment are refused with reasons
    with pytest.raises(ReviewError) as info:
        services.scores_save(
            assignment=a,
            actor=user("expert"),
            values={"innov": "41", "feas": "20", "benefit": "20"},
            comment="",
            submit=True,
        )
    assert "40" in str(info.value)
    services.scores_save(
        assignment=a, actor=user("expert"), values={"innov": "35.5"}, comment="", submit=False
    )
    with pytest.raises(ReviewError) as info:
        services.scores_save(
            assignment=a, actor=user("expert"), values={"innov": "35.5"}, comment="", submit=True
        )
    assert len(info.value.reasons) == 2  # missing criteria and missing opinion
    services.scores_save(
        assignment=a,
        actor=user("expert"),
        values={"innov": "35.5", "feas": "25", "benefit": "20"},
        comment="创新性突出，效益测算偏乐观。",
        submit=True,
    )
    a.refresh_from_db()
    assert a.status == "submitted" and a.total == Decimal("98.25")  # 1.5×35.5 + 25 + 20
    with pytest.raises(ReviewError):
        services.scores_save(
            assignment=a, actor=user("expert"), values={"innov": "10"}, comment="x", submit=False
        )
    services.assignment_reopen(assignment=a, actor=user("city_officer"), reason="效益分需复核")
    services.scores_save(
        assignment=a,
        actor=user("expert"),
        values={"innov": "35.5", "feas": "25", "benefit": "18"},
        comment="复核后调整效益分。",
        submit=True,
    )
    a.refresh_from_db()
    assert a.total == Decimal("96.25")


def test_scores_cannot_change_after_the_panel_closes(world, today):
    apps = recommended(2)
    panel = city_panel(apps, size=2)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=11)
    services.panel_open(panel=panel, actor=user("city_officer"))
    with pytest.raises(ReviewError):  # not everyone has submitted
        services.panel_close(panel=panel, actor=user("city_officer"))
    _score_all(panel)
    services.panel_close(panel=panel, actor=user("city_officer"))
    assert {a.status for a in Application.objects.filter(pk__in=[x.pk for x in apps])} == {
        S.REVIEWED
    }
    a = Assignment.objects.filter(panel=panel).first()
    for attempt in (
        lambda: services.assignment_reopen(assignment=a, actor=user("city_officer"), reason="改分"),
        lambda: services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="改",
            values={"innov": "1", "feas": "1", "benefit": "1"},
        ),
    ):
        with pytest.raises(ReviewError):
            attempt()
    a.refresh_from_db()
    assert a.total == Decimal("85.00")
    # and the rubric in use is frozen
    assert panel.rubric.__class__.objects.get(pk=panel.rubric_id).is_frozen


def test_decision_puts_the_top_within_the_envelope_on_notice_and_approves_after_it(world, today):
    apps = recommended(3, amount="400000.00")
    Call.objects.filter(pk=apps[0].call_id).update(
        budget_envelope_fen=100_000_000
    )  # 1,000,000 yuan: room for two
    panel = city_panel(apps, size=1)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=2)
    services.panel_open(panel=panel, actor=user("city_officer"))
    for n, a in enumerate(Assignment.objects.filter(panel=panel).order_by("item__application_id")):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="意见",
            values={"innov": str(30 + n), "feas": "20", "benefit": "20"},
        )
    services.panel_close(panel=panel, actor=user("city_officer"))
    notice = services.decision_publish(panel=panel, actor=user("city_officer"), starts_on=today)
    statuses = {a.pk: Application.objects.get(pk=a.pk).status for a in apps}
    # the two best (higher innovation score) go on the notice; the third is not funded
    assert statuses == {apps[0].pk: S.REJECTED, apps[1].pk: S.PUBLICITY, apps[2].pk: S.PUBLICITY}
    with pytest.raises(ReviewError):  # the notice is still running
        services.decision_approve(notice=notice, actor=user("city_officer"))
    with clock.frozen(notice.ends_on + dt.timedelta(days=1)):
        approved = services.decision_approve(notice=notice, actor=user("city_officer"))
    assert {a.pk for a in approved} == {apps[1].pk, apps[2].pk}
    assert all(a.approved_amount_fen == 40_000_000 for a in approved)


def test_spot_check_fraud_disqualifies_debars_and_cuts_next_years_quota(world):
    from projects import services as projects
    from tests.projects.conftest import award_call

    from .conftest import checked  # award nominations of 西湖区

    officer, finance = user("district_officer"), user("district_finance")
    with clock.frozen(dt.date(2026, 11, 20)):
        nominations = [
            checked(
                call=award_call(),
                category="leader",
                actor="applicant_nt",
                organisation="杭州市西湖区农业技术推广中心",
                person=name,
                amount="50000.00",
            )
            for name in ("俞根土", "沈建明")
        ]
        projects.notice_publish(
            level="district",
            call=award_call(),
            unit=nominations[0].district,
            applications=nominations,
            starts_on=dt.date(2026, 11, 20),
            actor=officer,
        )
        rec = projects.recommendation_list_create(
            call=award_call(),
            district=nominations[0].district,
            applications=[Application.objects.get(pk=n.pk) for n in nominations],
            actor=officer,
        )
        projects.recommendation_cosign(recommendation_list=rec, actor=finance)
    # next year's call exists with its quotas already set
    programme = award_call().programme
    next_call = funding.call_create(
        programme=programme,
        categories=list(programme.categories.all()),
        year=2027,
        title="2027年度",
        opens_on=dt.date(2027, 7, 1),
        closes_on=dt.date(2027, 8, 10),
        district_deadline=dt.date(2027, 8, 20),
    )
    leader = Category.objects.get(programme=programme, code="leader")
    westlake = OrgUnit.objects.get(code="330106")
    funding.quota_set(
        call=next_call, district=westlake, category=leader, max_count=3, max_amount_fen=15_000_000
    )
    with clock.frozen(dt.date(2026, 12, 1)):
        projects.recommendation_submit(recommendation_list=rec, actor=officer)
        check = services.spot_check_draw(
            call=award_call(), actor=user("city_officer"), sample_size=1, seed=42
        )
        again = services.spot_check_draw(
            call=award_call(), actor=user("city_officer"), sample_size=1, seed=42
        )
        assert check.seed == 42 and check.population == 2
        assert list(check.items.values_list("application_id")) == list(
            again.items.values_list("application_id")
        )
        item = check.items.get()
        services.spot_check_record(
            item=item, actor=user("city_officer"), fraud=True, note="培训签到表系伪造"
        )
    application = Application.objects.get(pk=item.application_id)
    assert application.status == S.DISQUALIFIED
    debarment = Debarment.objects.get()
    assert debarment.person_id == application.person_id
    assert (debarment.starts_on, debarment.ends_on) == (dt.date(2026, 12, 1), dt.date(2029, 12, 1))
    quota = Quota.objects.get(call=next_call, district=westlake, category=leader)
    assert (quota.max_count, quota.max_amount_fen) == (2, 12_000_000)
    # a quota set later for another category of that year is cut too
    guide = Category.objects.get(programme=programme, code="tech_guide")
    funding.quota_set(
        call=next_call, district=westlake, category=guide, max_count=5, max_amount_fen=10_000_000
    )
    assert Quota.objects.get(call=next_call, district=westlake, category=guide).max_count == 4
