"""Issue 12 item 3: configuration only through services, whichever door is used.

Reproduced on main: a quota typed into the Django admin ignored a registered 名额核减
(the cut applied only through ``quota_set``). Now the quota admin saves through the
service, and the admin of programmes, calls, categories, eligibility rules, quota cuts,
district statistics and rubrics is read-only: their pages go through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from funding import services as funding
from funding.models import (
    Call,
    Category,
    ConfigChange,
    DistrictStatistic,
    EligibilityRule,
    Programme,
    Quota,
    QuotaCut,
)
from reviews.models import Rubric

from .conftest import award_call, award_programme, category, draft_call, unit

pytestmark = pytest.mark.django_db


def _cut_westlake(year: int) -> QuotaCut:
    return funding.quota_cut_register(
        programme=award_programme(),
        district=unit("330106"),
        year=year,
        reason="2025年度抽查发现弄虚作假",
        source="KPHN-2025-0002",
    )


def test_a_quota_changed_in_the_admin_honours_the_registered_cut(as_user):
    # given a cut of 20 % registered for 西湖区 in 2026 (the spot check of 2025)
    _cut_westlake(2026)
    quota = Quota.objects.get(call=award_call(), district=unit("330106"), category=category("base"))
    assert (quota.max_count, quota.max_amount_fen) == (2, 12_000_000)  # 3 places, 150 000 yuan
    admin = as_user("admin")
    # when the administrator types a new allotment into the admin's change page
    response = admin.post(
        reverse("admin:funding_quota_change", args=[quota.pk]),
        {"allotted_count": "5", "allotted_amount_fen": "20000000", "_save": "1"},
    )
    # then the district may use the allotment less the cut, and the trail says who did it
    assert response.status_code == 302, response.content.decode()[:2000]
    quota.refresh_from_db()
    assert (quota.allotted_count, quota.allotted_amount_fen) == (5, 20_000_000)
    assert (quota.max_count, quota.max_amount_fen) == (4, 16_000_000)
    assert "−20%" in quota.cut_note and "弄虚作假" in quota.cut_note
    change = ConfigChange.objects.filter(subject="quota").latest("pk")
    assert change.actor.username == "admin"
    assert change.lines() == [
        ("西湖区 · 农村科普示范基地", "3 · 150,000.00", "5 · 200,000.00（核减后 4 · 160,000.00）")
    ]
    # and saving the same figures again does not cut twice
    admin.post(
        reverse("admin:funding_quota_change", args=[quota.pk]),
        {"allotted_count": "5", "allotted_amount_fen": "20000000", "_save": "1"},
    )
    quota.refresh_from_db()
    assert (quota.max_count, quota.max_amount_fen) == (4, 16_000_000)


def test_a_quota_added_in_the_admin_honours_the_registered_cut(as_user):
    # given next year's draft call and a cut registered for 西湖区 in that year
    call = draft_call(2027)
    _cut_westlake(2027)
    # when the administrator adds a quota in the admin
    response = as_user("admin").post(
        reverse("admin:funding_quota_add"),
        {
            "call": call.pk,
            "district": unit("330106").pk,
            "category": category("leader").pk,
            "allotted_count": "3",
            "allotted_amount_fen": "15000000",
            "_save": "1",
        },
    )
    # then it is stored cut: one place less, 20 % less money
    assert response.status_code == 302, response.content.decode()[:2000]
    quota = Quota.objects.get(call=call, district=unit("330106"), category=category("leader"))
    assert (quota.max_count, quota.max_amount_fen) == (2, 12_000_000)
    assert (quota.allotted_count, quota.allotted_amount_fen) == (3, 15_000_000)


def test_the_quota_admin_refuses_a_district_outside_the_programme(as_user):
    call = draft_call(2027)
    response = as_user("admin").post(
        reverse("admin:funding_quota_add"),
        {
            "call": call.pk,
            "district": unit("330502").pk,  # 吴兴区 is 湖州市's
            "category": category("leader").pk,
            "allotted_count": "3",
            "allotted_amount_fen": "15000000",
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "吴兴区不是杭州市所辖区县" in response.content.decode()
    assert not Quota.objects.filter(call=call).exists()


def test_quotas_cannot_be_deleted_in_the_admin(as_user):
    quota = Quota.objects.filter(call=award_call()).first()
    response = as_user("admin").post(
        reverse("admin:funding_quota_delete", args=[quota.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Quota.objects.filter(pk=quota.pk).exists()


def test_call_dates_cannot_be_edited_in_the_admin(as_user):
    call = award_call()
    admin = as_user("admin")
    url = reverse("admin:funding_call_change", args=[call.pk])
    assert admin.get(url).status_code == 200  # it can still be read
    response = admin.post(
        url,
        {
            "programme": call.programme_id,
            "year": call.year,
            "title": call.title,
            "opens_on": "2026-11-01",
            "closes_on": "2026-10-01",  # before the opening: the service would refuse
            "district_deadline": "2026-10-05",
            "publicity_days": "10",
            "publicity_day_kind": "calendar",
            "budget_envelope_fen": "200000000",
            "categories": [c.pk for c in call.categories.all()],
            "_save": "1",
        },
    )
    assert response.status_code == 403
    assert Call.objects.get(pk=call.pk).closes_on == dt.date(2026, 12, 31)


def test_no_call_can_be_added_or_opened_in_the_admin(as_user):
    admin = as_user("admin")
    assert admin.get(reverse("admin:funding_call_add")).status_code == 403
    call = draft_call(2027)
    response = admin.post(
        reverse("admin:funding_call_changelist"),
        {"action": "open_calls", "_selected_action": [call.pk]},
    )
    assert Call.objects.get(pk=call.pk).status == Call.Status.DRAFT
    assert response.status_code in (200, 302, 403)


def test_eligibility_rules_cannot_be_edited_in_the_admin(as_user):
    rule = EligibilityRule.objects.get(category=category("coop"), fact="member_households")
    admin = as_user("admin")
    response = admin.post(
        reverse("admin:funding_eligibilityrule_change", args=[rule.pk]),
        {
            "category": rule.category_id,
            "fact": rule.fact,
            "operator": "gte",
            "value": "10",  # 100 households lowered to 10 while the call is open
            "message": rule.message,
            "order": rule.order,
        },
    )
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.value == "100"
    assert admin.get(reverse("admin:funding_eligibilityrule_add")).status_code == 403
    delete = admin.post(
        reverse("admin:funding_eligibilityrule_delete", args=[rule.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert EligibilityRule.objects.filter(pk=rule.pk).exists()


def test_categories_and_their_inline_rules_cannot_be_edited_in_the_admin(as_user):
    coop = category("coop")
    response = as_user("admin").post(
        reverse("admin:funding_category_change", args=[coop.pk]),
        {
            "programme": coop.programme_id,
            "code": coop.code,
            "name": "改过的名称",
            "applicant_kind": "person",
            "order": coop.order,
            "rules-TOTAL_FORMS": "0",
            "rules-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    coop.refresh_from_db()
    assert (coop.name, coop.applicant_kind) == ("农民专业合作组织", "organisation")


@pytest.mark.parametrize(
    ("model", "admin_name"),
    [
        (Programme, "funding_programme"),
        (QuotaCut, "funding_quotacut"),
        (DistrictStatistic, "funding_districtstatistic"),
        (ConfigChange, "funding_configchange"),
        (Rubric, "reviews_rubric"),
    ],
)
def test_other_configuration_is_read_only_in_the_admin(as_user, model, admin_name):
    admin = as_user("admin")
    assert admin.get(reverse(f"admin:{admin_name}_add")).status_code == 403
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{admin_name}_change", args=[obj.pk])
        assert admin.get(url).status_code == 200
        assert admin.post(url, {"_save": "1"}).status_code == 403
        delete = reverse(f"admin:{admin_name}_delete", args=[obj.pk])
        assert admin.post(delete, {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()


def test_a_category_added_to_a_programme_appears_only_through_the_service(as_user):
    """The programme's page adds categories (the admin cannot): through the service the
    trail records it."""
    before = Category.objects.count()
    funding.category_create(programme=award_programme(), name="农村科普志愿者")
    assert Category.objects.count() == before + 1
    change = ConfigChange.objects.latest("pk")
    assert (change.subject, change.action, change.subject_name) == (
        "category",
        "create",
        "农村科普志愿者",
    )
