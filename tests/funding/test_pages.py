"""The call-management pages: who sees and changes what (scoping), and a year set up
through them by HTTP alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from core.confirm import CONFIRMED
from funding import services as funding
from funding.models import Call, Category, ConfigChange, DistrictStatistic, Programme, Quota
from reviews.models import CallRubric, Rubric

from .conftest import award_call, award_programme, category, draft_call, unit

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- scoping ------------------------------------------------------------------------------


def test_a_city_officer_sees_only_the_calls_of_their_region(as_user, huzhou_call):
    officer = as_user("city_officer")
    listing = officer.get(reverse("funding:call_list")).content.decode()
    assert "2026年度杭州市科普惠农兴村计划" in listing
    assert "湖州市科普惠农兴村计划" not in listing
    assert officer.get(reverse("funding:call_detail", args=[award_call().pk])).status_code == 200
    for name in ("call_detail", "call_edit", "call_quotas"):
        url = reverse(f"funding:{name}", args=[huzhou_call.pk])
        assert officer.get(url).status_code == 404, name
    programme = huzhou_call.programme
    assert officer.get(reverse("funding:programme_detail", args=[programme.pk])).status_code == 404
    assert officer.get(reverse("funding:call_create", args=[programme.pk])).status_code == 404
    assert officer.get(reverse("reviews:call_rubric", args=[huzhou_call.pk])).status_code == 404


def test_the_calls_page_links_the_farmer_figures_only_for_those_who_may_read_them(as_user):
    # a finance officer reads the calls but not the districts' farmer income figures:
    # the button would lead to a refusal, so it is not there
    link = reverse("funding:statistic_list")
    finance = as_user("finance")
    assert link not in finance.get(reverse("funding:call_list")).content.decode()
    assert finance.get(link).status_code == 403
    officer = as_user("district_officer")
    assert link in officer.get(reverse("funding:call_list")).content.decode()
    assert officer.get(link).status_code == 200


def test_a_city_officer_cannot_write_to_another_regions_call(as_user, huzhou_call):
    officer = as_user("city_officer")
    coop = Category.objects.create(programme=huzhou_call.programme, code="coop", name="合作组织")
    response = officer.post(reverse("funding:call_action", args=[huzhou_call.pk, "open"]))
    assert response.status_code == 404
    response = officer.post(
        reverse("funding:call_apply_template", args=[huzhou_call.pk]), {"template": "award"}
    )
    assert response.status_code == 404
    assert officer.post(reverse("funding:category_edit", args=[coop.pk]), {}).status_code == 404
    assert Call.objects.get(pk=huzhou_call.pk).status == Call.Status.DRAFT
    assert not huzhou_call.categories.exists()


def test_the_auditor_reads_every_page_and_writes_nothing(as_user):
    auditor = as_user("auditor")
    call = draft_call(2027)
    for url in (
        reverse("funding:call_list"),
        reverse("funding:call_detail", args=[call.pk]),
        reverse("funding:programme_detail", args=[call.programme_id]),
        reverse("funding:quota_list"),
        reverse("funding:statistic_list"),
        reverse("reviews:rubric_list"),
    ):
        response = auditor.get(url)
        assert response.status_code == 200, url
        assert 'action="/calls/' not in response.content.decode()  # no buttons
    for url, data in (
        (reverse("funding:call_action", args=[call.pk, "open"]), {}),
        (reverse("funding:call_apply_template", args=[call.pk]), {"template": "award"}),
        (reverse("funding:call_quotas", args=[call.pk]), {}),
        (reverse("funding:call_edit", args=[call.pk]), {"year": "2028"}),
        (reverse("funding:programme_create"), {"code": "AUD"}),
        (reverse("funding:statistic_list"), {"year": "2026"}),
        (reverse("reviews:rubric_create"), {"name": "x"}),
    ):
        assert auditor.post(url, data).status_code == 403, url
    assert auditor.get(reverse("funding:call_edit", args=[call.pk])).status_code == 403
    assert auditor.get(reverse("funding:programme_create")).status_code == 403
    assert Call.objects.get(pk=call.pk).status == Call.Status.DRAFT
    assert not ConfigChange.objects.filter(actor__username="auditor").exists()


def test_city_finance_reads_a_call_but_cannot_change_it(as_user):
    finance = as_user("finance")
    call = award_call()
    assert finance.get(reverse("funding:call_detail", args=[call.pk])).status_code == 200
    assert finance.get(reverse("funding:call_edit", args=[call.pk])).status_code == 403
    assert finance.post(reverse("funding:call_action", args=[call.pk, "close"])).status_code == 403
    assert Call.objects.get(pk=call.pk).status == Call.Status.OPEN


def test_a_district_officer_reads_the_quotas_of_their_district_only(as_user):
    # given a cut for 西湖区 in 2026, shown with the quota it reduced
    funding.quota_cut_register(
        programme=award_programme(), district=unit("330106"), year=2026, reason="抽查发现弄虚作假"
    )
    officer = as_user("district_officer")
    page = officer.get(reverse("funding:quota_list")).content.decode()
    assert "西湖区" in page and "余杭区" not in page and "上城区" not in page
    assert "抽查发现弄虚作假" in page
    assert "120,000.00" in page  # 150 000 yuan less 20 %
    # the call's own pages are the city's
    call = award_call()
    assert officer.get(reverse("funding:call_detail", args=[call.pk])).status_code == 404
    assert officer.get(reverse("funding:call_quotas", args=[call.pk])).status_code == 404


def test_applicants_and_experts_have_no_call_management(as_user):
    for username in ("applicant", "expert"):
        client = as_user(username)
        assert client.get(reverse("funding:call_list")).status_code == 403
        assert client.get(reverse("funding:call_detail", args=[award_call().pk])).status_code == 404


def test_the_nav_offers_the_pages_to_whom_they_serve(as_user):
    officer = as_user("city_officer").get(reverse("home")).content.decode()
    assert 'href="/calls/"' in officer and 'href="/reviews/rubrics/"' in officer
    district = as_user("district_officer").get(reverse("home")).content.decode()
    assert 'href="/quotas/"' in district and 'href="/calls/"' not in district
    applicant = as_user("applicant").get(reverse("home")).content.decode()
    assert 'href="/calls/"' not in applicant and 'href="/quotas/"' not in applicant


# --- a year set up through the pages -----------------------------------------------------------


def test_a_city_officer_sets_up_and_opens_a_call_through_the_pages(as_user):
    # given this year's call closed (its rules stay as published while it is open)
    funding.call_close(call=award_call())
    officer = as_user("city_officer")
    programme = award_programme()
    # a draft call of 2027
    response = officer.post(
        reverse("funding:call_create", args=[programme.pk]),
        {
            "year": "2027",
            "title": "",
            "doc_number": "杭科协发〔2027〕18号",
            "opens_on": "2027-07-01",
            "closes_on": "2027-08-10",
            "district_deadline": "2027-08-20",
            "publicity_days": "10",
            "publicity_day_kind": "calendar",
            "budget_envelope": "2,000,000.00",
        },
    )
    call = Call.objects.get(programme=programme, year=2027)
    assert response.status_code == 302
    assert call.title == "2027年度杭州市科普惠农兴村计划"
    assert call.budget_envelope_fen == 200_000_000
    # the five categories in one step (the programme has them: they are taken as they are)
    officer.post(reverse("funding:call_apply_template", args=[call.pk]), {"template": "award"})
    assert call.categories.count() == 5
    # a threshold edited on the rule page
    households = category("coop").rules.get(fact="member_households")
    response = officer.post(
        reverse("funding:rule_edit", args=[households.pk]) + f"?call={call.pk}",
        {"operator": "gte", "number": "120", "message": ""},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/calls/{call.pk}/")
    households.refresh_from_db()
    assert (households.value, households.message) == ("120", "须满足：会员农户数 ≥ 120户。")
    # quotas: a figure for every district, and one district of its own
    grid = {}
    for c in call.categories.all():
        grid[f"d-{c.pk}-count"] = "3"
        grid[f"d-{c.pk}-amount"] = "150000"
    base = category("base")
    grid[f"q-{unit('330110').pk}-{base.pk}-count"] = "5"
    grid[f"q-{unit('330110').pk}-{base.pk}-amount"] = "250,000.00"
    response = officer.post(reverse("funding:call_quotas", args=[call.pk]), grid)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Quota.objects.filter(call=call).count() == 15
    yuhang = Quota.objects.get(call=call, district=unit("330110"), category=base)
    assert (yuhang.max_count, yuhang.max_amount_fen) == (5, 25_000_000)
    # the call opens
    with clock.frozen(dt.date(2027, 6, 20)):
        response = officer.post(
            reverse("funding:call_action", args=[call.pk, "open"]), {CONFIRMED: "1"}
        )
    assert Call.objects.get(pk=call.pk).status == Call.Status.OPEN
    page = officer.get(reverse("funding:call_detail", args=[call.pk])).content.decode()
    assert "受理中" in page
    assert "变更记录" in page and "发布受理" in page and "套用模板" in page
    assert "会员农户" in page and "≥" in page and "120 户" in page
    assert "member_households" not in page and "gte" not in page


def test_a_refused_change_is_shown_on_the_form_and_changes_nothing(as_user):
    officer = as_user("city_officer")
    call = award_call()
    response = officer.post(
        reverse("funding:call_edit", args=[call.pk]),
        {
            "year": "2026",
            "title": call.title,
            "doc_number": call.doc_number,
            "opens_on": "2026-11-01",
            "closes_on": "2026-12-31",
            "district_deadline": "2026-12-01",
            "publicity_days": "10",
            "publicity_day_kind": "calendar",
            "budget_envelope": "2000000",
        },
    )
    assert response.status_code == 200
    assert "区县推荐截止日期不能早于申报截止日期" in response.content.decode()
    assert Call.objects.get(pk=call.pk).district_deadline == dt.date(2027, 1, 20)
    # a rule of the open call: only its message may change, and the page says why
    rule = category("base").rules.get(fact="beneficiary_person_times")
    page = officer.get(reverse("funding:rule_edit", args=[rule.pk])).content.decode()
    assert "只能修改提示内容" in page
    officer.post(
        reverse("funding:rule_edit", args=[rule.pk]),
        {"operator": "gte", "number": "500", "message": "每年受益群众须在1000人次以上（含）。"},
    )
    rule.refresh_from_db()
    assert (rule.value, rule.message) == ("1000", "每年受益群众须在1000人次以上（含）。")
    call_page = officer.get(reverse("funding:call_detail", args=[call.pk])).content.decode()
    assert f'action="/rules/{rule.pk}/delete/"' not in call_page


def test_an_opening_refused_says_what_is_missing(as_user):
    officer = as_user("city_officer")
    call = draft_call(2027)
    page = officer.get(reverse("funding:call_detail", args=[call.pk])).content.decode()
    assert "发布批次前还需" in page and "尚未给任何区县分配名额" in page
    response = officer.post(
        reverse("funding:call_action", args=[call.pk, "open"]), {CONFIRMED: "1"}, follow=True
    )
    assert "尚未给任何区县分配名额" in response.content.decode()
    assert Call.objects.get(pk=call.pk).status == Call.Status.DRAFT


def test_a_new_programme_with_its_rubric_and_the_district_figure(as_user):
    officer = as_user("city_officer")
    response = officer.post(
        reverse("funding:programme_create"),
        {
            "code": "kjpx",
            "name": "杭州市农村科技培训计划",
            "flow": "project",
            "instruments": ["grant"],
            "owner_unit": unit("330100").pk,
            "acceptance_fail_below_pct": "80",
            "acceptance_rectify_below_pct": "90",
            "acceptance_overdue_fail_months": "6",
            "rectification_months": "3",
            "debarment_years": "3",
            "fraud_quota_cut_pct": "20",
            "budget_item_tolerance_pct": "10",
            "city_panel_excludes_own_district": "on",
            "active": "on",
        },
    )
    programme = Programme.objects.get(code="KJPX")
    assert response.status_code == 302
    assert programme.owner_unit == unit("330100")
    # a rubric from the rubric page
    response = officer.post(
        reverse("reviews:rubric_create"),
        {
            "name": "培训项目评审标准",
            "total_threshold": "60",
            "c-TOTAL_FORMS": "3",
            "c-INITIAL_FORMS": "0",
            "c-0-name": "培训内容",
            "c-0-weight": "",
            "c-0-max_score": "60",
            "c-0-min_score": "30",
            "c-1-name": "组织实施",
            "c-1-weight": "1",
            "c-1-max_score": "40",
            "c-1-min_score": "",
            "c-2-name": "",
        },
    )
    rubric = Rubric.objects.get(name="培训项目评审标准")
    assert response.status_code == 302
    assert rubric.owner_unit == unit("330100")
    assert [(c.name, c.max_score) for c in rubric.criteria.all()] == [
        ("培训内容", Decimal("60.00")),
        ("组织实施", Decimal("40.00")),
    ]
    call = award_call()
    officer.post(reverse("reviews:call_rubric", args=[call.pk]), {"rubric": rubric.pk})
    assert CallRubric.objects.get(call=call).rubric == rubric
    page = officer.get(reverse("funding:call_detail", args=[call.pk])).content.decode()
    assert "培训项目评审标准 v1" in page and "合格线" in page
    # the district's farmer income figure
    district = as_user("district_officer")
    response = district.post(
        reverse("funding:statistic_list"),
        {"district": unit("330106").pk, "year": "2026", "farmer_avg_income": "48,800.00"},
    )
    assert response.status_code == 302
    assert DistrictStatistic.objects.get(district=unit("330106"), year=2026).farmer_avg_income == (
        Decimal("48800.00")
    )
    response = district.post(
        reverse("funding:statistic_list"),
        {"district": unit("330110").pk, "year": "2026", "farmer_avg_income": "1"},
    )
    assert response.status_code == 200  # 余杭区 is not offered to 西湖区's officer
    assert not DistrictStatistic.objects.filter(district=unit("330110"), year=2026).exists()


def test_a_rule_is_added_in_two_steps_with_words_not_codes(as_user):
    funding.call_close(call=award_call())
    officer = as_user("city_officer")
    call = draft_call(2027)
    coop = category("coop")
    first = officer.get(reverse("funding:rule_create", args=[coop.pk]) + f"?call={call.pk}")
    assert "条件针对的指标" in first.content.decode()
    second = officer.get(
        reverse("funding:rule_create", args=[coop.pk]) + f"?call={call.pk}&fact=title_level"
    ).content.decode()
    assert "正高级" in second and "senior" not in second.split("<form")[2].split("value=")[0]
    response = officer.post(
        reverse("funding:rule_create", args=[coop.pk]),
        {"fact": "title_level", "call": call.pk, "answers": ["senior", "associate"], "message": ""},
    )
    assert response.status_code == 302
    rule = coop.rules.get(fact="title_level")
    assert (rule.operator, rule.value) == ("in", "senior,associate")
    page = officer.get(reverse("funding:call_detail", args=[call.pk])).content.decode()
    assert "专业技术职称" in page and "正高级" in page


def test_the_call_pages_ask_the_database_the_same_whatever_their_size(as_user):
    """Queries stay flat: more calls on the list, more categories, rules, quotas and trail
    rows on a call's page cost no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    officer = as_user("city_officer")
    call = draft_call(2027)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert officer.get(url).status_code == 200
        return len(queries)

    list_before = count(reverse("funding:call_list"))
    detail_before = count(reverse("funding:call_detail", args=[call.pk]))
    # more calls; a sixth category with a rule, its quotas and more trail rows
    for year in (2028, 2029, 2030):
        draft_call(year)
    extra = funding.category_create(
        programme=award_programme(),
        name="农村科普志愿服务队",
        call=call,
        rules=[
            {"fact": "trainings_held", "operator": "gte", "value": "4", "message": "每年4次以上"}
        ],
    )
    for code in ("330102", "330106", "330110"):
        funding.quota_set(
            call=call, district=unit(code), category=extra, max_count=1, max_amount_fen=10**6
        )
    funding.call_update(call=call, title="2027年度（修订）")
    assert call.categories.count() == 6
    assert count(reverse("funding:call_list")) == list_before
    assert count(reverse("funding:call_detail", args=[call.pk])) == detail_before
    assert detail_before <= 30


def test_a_district_officer_may_score_on_the_city_rubric_but_not_change_it(as_user):
    from reviews import rubrics
    from reviews.rubrics import CriterionSpec

    rubric = rubrics.rubric_save(
        name="杭州市初审标准",
        total_threshold=Decimal(60),
        criteria=[CriterionSpec("成效", Decimal(1), Decimal(100))],
        owner_unit=unit("330100"),
        actor=None,
    )
    district = as_user("district_officer")
    form = district.get(reverse("reviews:panel_create")).content.decode()
    assert "杭州市初审标准 v1" in form
    listing = district.get(reverse("reviews:rubric_list")).content.decode()
    assert "杭州市初审标准" in listing
    assert f"/reviews/rubrics/{rubric.pk}/edit/" not in listing
    assert district.get(reverse("reviews:rubric_edit", args=[rubric.pk])).status_code == 403


def test_another_citys_officer_does_not_see_the_citys_rubrics(as_user, huzhou_officer):
    from reviews import rubrics
    from reviews.rubrics import CriterionSpec

    rubric = rubrics.rubric_save(
        name="杭州市初审标准",
        total_threshold=Decimal(60),
        criteria=[CriterionSpec("成效", Decimal(1), Decimal(100))],
        owner_unit=unit("330100"),
        actor=None,
    )
    theirs = _client(huzhou_officer)
    assert "杭州市初审标准" not in theirs.get(reverse("reviews:rubric_list")).content.decode()
    assert theirs.get(reverse("reviews:rubric_edit", args=[rubric.pk])).status_code == 404
