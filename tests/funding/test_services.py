"""The funding services behind the call-management pages: the rules they keep whoever
calls them, and the trail they write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import clock
from funding import services as funding
from funding.models import Call, Category, ConfigChange, EligibilityRule, Quota
from funding.services import FundingError
from reviews import rubrics
from reviews.models import Rubric
from reviews.rubrics import CriterionSpec
from reviews.services import ReviewError

from .conftest import award_call, award_programme, category, draft_call, unit, user

pytestmark = pytest.mark.django_db


def _lines(change: ConfigChange) -> list[tuple[str, str, str]]:
    with translation.override("zh-hans"):
        return change.lines()


# --- programmes --------------------------------------------------------------------------


def test_a_city_officer_creates_a_programme_of_their_city_and_the_trail_says_so(demo_world):
    officer = user("city_officer")
    programme = funding.programme_create(
        code="kjpx",
        name="杭州市农村科技培训计划",
        flow="project",
        instruments=["grant"],
        owner_unit=unit("330100"),
        actor=officer,
    )
    change = ConfigChange.objects.get(programme=programme)
    assert (change.action, change.actor) == ("create", officer)
    assert ("业务类型", "—", "科技计划项目") in _lines(change)
    assert ("资助方式", "—", "无偿资助") in _lines(change)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"flow": "award", "instruments": ["grant"]}, "instruments"),
        ({"flow": "project", "instruments": ["award"]}, "instruments"),
        ({"code": "1ABC"}, "code"),
        ({"code": "KPHN"}, "code"),  # taken by the demo's programme
        ({"owner_unit_code": "330106"}, "owner_unit"),  # a district owns no programme
        ({"acceptance_fail_below_pct": Decimal("95")}, "acceptance_rectify_below_pct"),
    ],
)
def test_a_programme_that_breaks_a_rule_is_refused_with_the_field_named(demo_world, fields, field):
    values = {
        "code": "NEWP",
        "name": "新计划",
        "flow": "project",
        "instruments": ["grant"],
        "owner_unit": unit(fields.pop("owner_unit_code", "330100")),
        **fields,
    }
    with pytest.raises(ValidationError) as info:
        funding.programme_create(actor=user("admin"), **values)
    assert field in info.value.message_dict


def test_a_city_officer_cannot_create_a_programme_for_another_city(demo_world):
    with pytest.raises(FundingError):
        funding.programme_create(
            code="HZX",
            name="湖州市计划",
            flow="project",
            instruments=["grant"],
            owner_unit=unit("330500"),
            actor=user("city_officer"),
        )


def test_a_programmes_code_and_flow_stay_once_it_has_calls(demo_world):
    with pytest.raises(ValidationError) as info:
        funding.programme_update(
            programme=award_programme(), actor=user("city_officer"), code="KPHX", flow="project"
        )
    assert set(info.value.message_dict) >= {"code", "flow"}
    programme = funding.programme_update(
        programme=award_programme(), actor=user("city_officer"), debarment_years=5
    )
    assert programme.debarment_years == 5


# --- calls ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"district_deadline": dt.date(2027, 8, 1)}, "district_deadline"),
        ({"closes_on": dt.date(2027, 6, 1), "district_deadline": dt.date(2027, 8, 1)}, "closes_on"),
        (
            {
                "year": 2026,
                "opens_on": dt.date(2026, 7, 1),
                "closes_on": dt.date(2026, 8, 10),
                "district_deadline": dt.date(2026, 8, 20),
            },
            "year",
        ),  # the programme has a 2026 call
        (
            {
                "year": 2031,
                "opens_on": dt.date(2027, 7, 1),
                "closes_on": dt.date(2027, 8, 10),
                "district_deadline": dt.date(2027, 8, 20),
            },
            "year",
        ),  # opening in 2027
        ({"budget_envelope_fen": 10**13}, "budget_envelope_fen"),
    ],
)
def test_a_call_that_breaks_a_rule_is_refused_with_the_field_named(demo_world, fields, field):
    with pytest.raises(ValidationError) as info:
        draft_call(**{"year": 2027, **fields})
    assert field in info.value.message_dict
    assert not Call.objects.filter(programme=award_programme(), year=2027).exists()


def test_a_call_takes_only_its_programmes_categories(demo_world):
    with pytest.raises(ValidationError) as info:
        funding.call_create(
            programme=award_programme(),
            categories=[category("industry", "KJJH")],
            year=2027,
            title="2027",
            opens_on=dt.date(2027, 7, 1),
            closes_on=dt.date(2027, 8, 10),
            district_deadline=dt.date(2027, 8, 20),
        )
    assert "工业" in str(info.value.message_dict["categories"])


def test_an_open_call_keeps_its_year_and_categories_but_moves_its_deadline(demo_world):
    call = award_call()
    officer = user("city_officer")
    with pytest.raises(ValidationError) as info:
        funding.call_update(call=call, actor=officer, year=2027)
    assert "year" in info.value.message_dict
    with pytest.raises(ValidationError):
        funding.call_update(call=call, actor=officer, categories=[category("coop")])
    # the deadline is extended (延期), and the trail reads it in words
    funding.call_update(
        call=call,
        actor=officer,
        closes_on=dt.date(2027, 1, 10),
        district_deadline=dt.date(2027, 1, 25),
    )
    change = ConfigChange.objects.filter(call=call, action="update").latest("pk")
    assert ("申报截止日期", "2026-12-31", "2027-01-10") in _lines(change)
    assert Call.objects.get(pk=call.pk).closes_on == dt.date(2027, 1, 10)


def test_a_decided_call_changes_only_its_title_and_document_number(demo_world):
    call = draft_call(2027)
    for name in ("open", "close", "start_review", "decide"):
        _fill_quotas(call)
        with clock.frozen(dt.date(2027, 7, 1)):
            funding.call_advance(call=call, name=name)
    with pytest.raises(ValidationError) as info:
        funding.call_update(call=call, budget_envelope_fen=1)
    assert "budget_envelope_fen" in info.value.message_dict
    funding.call_update(call=call, doc_number="杭科协发〔2027〕10号")


def _fill_quotas(call: Call) -> None:
    for district in (unit("330102"), unit("330106"), unit("330110")):
        for c in call.categories.all():
            if not Quota.objects.filter(call=call, district=district, category=c).exists():
                funding.quota_set(
                    call=call, district=district, category=c, max_count=2, max_amount_fen=10**7
                )


def test_opening_needs_categories_a_quota_for_each_and_a_deadline_ahead(demo_world):
    programme = award_programme()
    empty = funding.call_create(
        programme=programme,
        year=2027,
        title="2027",
        opens_on=dt.date(2027, 7, 1),
        closes_on=dt.date(2027, 8, 10),
        district_deadline=dt.date(2027, 8, 20),
    )
    with clock.frozen(dt.date(2027, 6, 1)), pytest.raises(FundingError) as info:
        funding.call_open(call=empty, actor=user("city_officer"))
    assert "尚未设置类别" in str(info.value)
    funding.call_update(call=empty, categories=[category("coop"), category("base")])
    funding.quota_set(
        call=empty,
        district=unit("330106"),
        category=category("coop"),
        max_count=3,
        max_amount_fen=10**7,
    )
    with clock.frozen(dt.date(2027, 6, 1)), pytest.raises(FundingError) as info:
        funding.call_open(call=empty, actor=user("city_officer"))
    assert "农村科普示范基地" in str(info.value)
    funding.quota_set(
        call=empty,
        district=unit("330106"),
        category=category("base"),
        max_count=3,
        max_amount_fen=10**7,
    )
    with clock.frozen(dt.date(2027, 8, 11)), pytest.raises(FundingError) as info:
        funding.call_open(call=empty, actor=user("city_officer"))
    assert "2027-08-10" in str(info.value)
    with clock.frozen(dt.date(2027, 6, 1)):
        funding.call_open(call=empty, actor=user("city_officer"))
    assert Call.objects.get(pk=empty.pk).status == Call.Status.OPEN
    change = ConfigChange.objects.filter(call=empty).latest("pk")
    assert change.action == "open"
    assert _lines(change) == [("状态", "草稿", "受理中")]


def test_a_call_moves_only_along_its_state_machine(demo_world):
    with pytest.raises(FundingError):
        funding.call_advance(call=award_call(), name="decide", actor=user("city_officer"))
    assert Call.objects.get(pk=award_call().pk).status == Call.Status.OPEN


def test_only_the_city_officer_of_the_owning_region_changes_a_call(demo_world, huzhou_officer):
    for actor in (user("district_officer"), user("auditor"), user("finance"), huzhou_officer):
        with pytest.raises(FundingError):
            funding.call_update(call=award_call(), actor=actor, title="改名")
        with pytest.raises(FundingError):
            funding.quota_set(
                call=award_call(),
                district=unit("330106"),
                category=category("coop"),
                max_count=9,
                max_amount_fen=1,
                actor=actor,
            )
    assert award_call().title == "2026年度杭州市科普惠农兴村计划"


# --- templates and rules ------------------------------------------------------------------


def test_the_award_template_gives_a_new_programme_the_five_categories_in_one_step(demo_world):
    programme = funding.programme_create(
        code="KPHN2",
        name="杭州市科普惠农兴村计划（新）",
        flow="award",
        instruments=["award"],
        owner_unit=unit("330100"),
    )
    call = funding.call_create(
        programme=programme,
        year=2027,
        title="2027",
        opens_on=dt.date(2027, 7, 1),
        closes_on=dt.date(2027, 8, 10),
        district_deadline=dt.date(2027, 8, 20),
    )
    added = funding.call_apply_template(call=call, key="award", actor=user("city_officer"))
    assert [c.name for c in added] == [
        "农民专业合作组织",
        "农村科普示范基地",
        "农村科普致富带头人",
        "农业科技服务专家",
        "专业技术指导员",
    ]
    rules = {
        (r.category.code, r.fact): (r.operator, r.value)
        for r in EligibilityRule.objects.filter(category__programme=programme)
    }
    assert rules[("coop", "member_households")] == ("gte", "100")
    assert rules[("coop", "member_income_above_district_pct")] == ("gte", "20")
    assert rules[("base", "beneficiary_person_times")] == ("gte", "1000")
    assert rules[("leader", "years_rural_popsci")] == ("gte", "3")
    assert rules[("agri_expert", "years_serving_agri")] == ("gte", "2")
    assert rules[("agri_expert", "title_level")] == ("in", "senior,associate")
    assert rules[("tech_guide", "years_grassroots_service")] == ("gte", "3")
    # the officer edits a threshold; applying the template again keeps the edit
    households = EligibilityRule.objects.get(
        category__programme=programme, fact="member_households"
    )
    funding.rule_update(rule=households, value="120", actor=user("city_officer"))
    funding.call_apply_template(call=call, key="award")
    assert Category.objects.filter(programme=programme).count() == 5
    assert EligibilityRule.objects.get(pk=households.pk).value == "120"
    assert call.categories.count() == 5
    with pytest.raises(FundingError):
        funding.call_apply_template(call=call, key="project")


def test_rules_do_not_change_while_a_call_accepts_submissions_under_them(demo_world):
    rule = EligibilityRule.objects.get(category=category("coop"), fact="member_households")
    officer = user("city_officer")
    with pytest.raises(FundingError) as info:
        funding.rule_update(rule=rule, value="10", actor=officer)
    assert "2026年度杭州市科普惠农兴村计划" in str(info.value)
    with pytest.raises(FundingError):
        funding.rule_delete(rule=rule, actor=officer)
    with pytest.raises(FundingError):
        funding.rule_add(
            category=category("coop"),
            fact="trainings_held",
            operator="gte",
            value="2",
            actor=officer,
        )
    # the message may still be worded better
    funding.rule_update(rule=rule, message="会员农户须在100户以上（含100户）。", actor=officer)
    assert EligibilityRule.objects.get(pk=rule.pk).value == "100"


@pytest.mark.parametrize(
    ("fact", "operator", "value"),
    [
        ("title_level", "gte", "2"),  # a choice is not a number
        ("title_level", "in", "professor"),  # not one of its answers
        ("registered_and_inspected", "eq", "1"),  # yes/no is tested for yes
        ("member_households", "in", "100"),
        ("member_households", "gte", "many"),
        ("member_households", "eq", "x"),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_refused(demo_world, fact, operator, value):
    call = draft_call(2027)
    new = funding.category_create(programme=call.programme, name="测试类别", call=call)
    with pytest.raises(ValidationError):
        funding.rule_add(category=new, fact=fact, operator=operator, value=value, message="x")


# --- quotas and cuts -----------------------------------------------------------------------


def test_quotas_are_the_allotment_less_every_cut_whenever_the_cut_is_registered(demo_world):
    call = draft_call(2027)
    westlake, coop = unit("330106"), category("coop")
    # given an allotment of 10 places and 500 000 yuan
    funding.quota_set(
        call=call, district=westlake, category=coop, max_count=10, max_amount_fen=50_000_000
    )
    # when two frauds of 2026 each cut 2027 by 20 %
    for number in ("KPHN-2026-0003", "KPHN-2026-0007"):
        funding.quota_cut_register(
            programme=call.programme,
            district=westlake,
            year=2027,
            reason=f"抽查发现弄虚作假（{number}）",
            source=number,
        )
    # then the cuts apply one after the other: 10 → 8 → 6 places, 500 000 → 320 000 yuan
    quota = Quota.objects.get(call=call, district=westlake, category=coop)
    assert (quota.max_count, quota.max_amount_fen) == (6, 32_000_000)
    assert (quota.allotted_count, quota.allotted_amount_fen) == (10, 50_000_000)
    assert quota.cut_note.count("−20%") == 2
    # and the officer changing the allotment later still gets both cuts
    funding.quota_set(
        call=call, district=westlake, category=coop, max_count=5, max_amount_fen=50_000_000
    )
    quota.refresh_from_db()
    assert (quota.max_count, quota.max_amount_fen) == (3, 32_000_000)
    cuts = ConfigChange.objects.filter(subject="quota_cut", call=call)
    assert cuts.count() == 2


@pytest.mark.parametrize(
    ("district_code", "category_code", "message"),
    [
        ("330502", "coop", "吴兴区不是杭州市所辖区县"),
        ("330106", "industry", "不是本批次的类别"),
    ],
)
def test_a_quota_outside_the_call_is_refused(demo_world, district_code, category_code, message):
    programme = "KJJH" if category_code == "industry" else "KPHN"
    with pytest.raises(FundingError) as info:
        funding.quota_set(
            call=award_call(),
            district=unit(district_code),
            category=category(category_code, programme),
            max_count=1,
            max_amount_fen=1,
        )
    with translation.override("zh-hans"):
        assert message in str(info.value)


def test_the_district_statistic_is_entered_by_the_district_and_traced(demo_world):
    stat = funding.district_statistic_set(
        district=unit("330106"),
        year=2026,
        farmer_avg_income=Decimal("48800.00"),
        actor=user("district_officer"),
    )
    assert stat.farmer_avg_income == Decimal("48800.00")
    with pytest.raises(FundingError):
        funding.district_statistic_set(
            district=unit("330110"),
            year=2026,
            farmer_avg_income=Decimal("1"),
            actor=user("district_officer"),
        )
    change = ConfigChange.objects.get(subject="statistic", actor=user("district_officer"))
    assert change.unit == unit("330106")
    assert _lines(change) == [("农民年均纯收入（元）", "—", "48800.00")]


# --- rubrics --------------------------------------------------------------------------------


def _criteria() -> list[CriterionSpec]:
    return [
        CriterionSpec("科普工作成效", Decimal(1), Decimal(40), Decimal(20)),
        CriterionSpec("示范带动作用", Decimal(1), Decimal(30)),
        CriterionSpec("组织管理", Decimal(1), Decimal(30)),
    ]


def test_a_city_officer_makes_a_rubric_for_their_city_and_sets_it_on_the_call(demo_world):
    officer = user("city_officer")
    rubric = rubrics.rubric_save(
        name="科普惠农兴村评审标准",
        total_threshold=Decimal(60),
        criteria=_criteria(),
        owner_unit=unit("330100"),
        actor=officer,
    )
    assert [c.code for c in rubric.criteria.all()] == ["c1", "c2", "c3"]
    assert rubric.maximum_total() == 100
    rubrics.call_rubric_set(call=award_call(), rubric=rubric, actor=officer)
    assert rubrics.call_rubric(award_call()) == rubric
    # an edit before any score keeps the codes of the criteria kept
    kept = [CriterionSpec("科普工作成效", Decimal(2), Decimal(40), code="c1")]
    rubric = rubrics.rubric_save(
        rubric=rubric, name=rubric.name, total_threshold=Decimal(50), criteria=kept, actor=officer
    )
    assert [(c.code, c.weight) for c in rubric.criteria.all()] == [("c1", Decimal(2))]


@pytest.mark.parametrize(
    ("threshold", "criteria", "words"),
    [
        (Decimal(101), None, "最高总分（100）"),
        (Decimal(60), [], "至少须有一项"),
        (
            Decimal(10),
            [CriterionSpec("甲", Decimal(1), Decimal(10), Decimal(11))],
            "最低分应在0到满分",
        ),
        (
            Decimal(10),
            [
                CriterionSpec("甲", Decimal(1), Decimal(10)),
                CriterionSpec("甲", Decimal(1), Decimal(10)),
            ],
            "两项评分指标都名为甲",
        ),
    ],
)
def test_a_rubric_that_cannot_work_is_refused_with_the_criterion_named(
    demo_world, threshold, criteria, words
):
    with translation.override("zh-hans"), pytest.raises(ReviewError) as info:
        rubrics.rubric_save(
            name="标准",
            total_threshold=threshold,
            criteria=_criteria() if criteria is None else criteria,
            owner_unit=unit("330100"),
            actor=user("city_officer"),
        )
    assert any(words in r for r in info.value.reasons), info.value.reasons


def test_a_frozen_rubric_is_changed_through_its_next_version(demo_world):
    officer = user("city_officer")
    rubric = rubrics.rubric_save(
        name="标准",
        total_threshold=Decimal(60),
        criteria=_criteria(),
        owner_unit=unit("330100"),
        actor=officer,
    )
    Rubric.objects.filter(pk=rubric.pk).update(frozen_at=clock.now())
    rubric.refresh_from_db()
    with pytest.raises(ReviewError):
        rubrics.rubric_save(
            rubric=rubric,
            name="改",
            total_threshold=Decimal(1),
            criteria=_criteria(),
            actor=officer,
        )
    copy = rubrics.rubric_next_version(rubric=rubric, actor=officer)
    assert (copy.version, copy.owner_unit, copy.is_frozen) == (2, unit("330100"), False)


def test_another_citys_rubric_cannot_be_used_or_changed(demo_world, huzhou_officer):
    theirs = rubrics.rubric_save(
        name="湖州标准",
        total_threshold=Decimal(60),
        criteria=_criteria(),
        owner_unit=unit("330500"),
        actor=huzhou_officer,
    )
    with pytest.raises(ReviewError):
        rubrics.call_rubric_set(call=award_call(), rubric=theirs, actor=user("city_officer"))
    with pytest.raises(ReviewError):
        rubrics.rubric_save(
            rubric=theirs,
            name="改",
            total_threshold=Decimal(1),
            criteria=_criteria(),
            actor=user("city_officer"),
        )
