"""Acceptance 4 and 5: quotas (count and amount, concurrent lists on PostgreSQL), the
notice over the National Day holiday, objections, the co-sign and the deadline."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from core import clock
from funding import services as funding
from funding.calendar import CalendarUnknown, period_end
from funding.models import CalendarDay, CalendarYear, Category, Quota
from projects import services
from projects.models import Application, Objection, RecommendationList
from projects.services import ApplicationError

from .conftest import award_call, checked, project_call, refresh, user

pytestmark = pytest.mark.django_db
S = Application.Status


def _westlake():
    from accounts.models import OrgUnit

    return OrgUnit.objects.get(code="330106")


def _set_quota(call, code, *, count, amount_fen):
    category = Category.objects.get(programme=call.programme, code=code)
    funding.quota_set(
        call=call,
        district=_westlake(),
        category=category,
        max_count=count,
        max_amount_fen=amount_fen,
    )


def _list(apps, officer="district_officer"):
    return services.recommendation_list_create(
        call=apps[0].call, district=apps[0].district, applications=apps, actor=user(officer)
    )


# --- quotas -----------------------------------------------------------------------------


def test_recommendation_over_the_count_quota_is_refused(world, today):
    _set_quota(project_call(), "industry", count=2, amount_fen=10**10)
    apps = [checked(title=f"项目{i}") for i in range(3)]
    rec = _list(apps)
    with pytest.raises(ApplicationError) as info:
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))
    assert "2" in str(info.value) and "3" in str(info.value)
    assert {refresh(a).status for a in apps} == {S.SUBMITTED}
    # within the quota it goes through
    services.recommendation_list_remove(
        recommendation_list=rec, application=apps[2], actor=user("district_officer")
    )
    services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))
    assert [refresh(a).status for a in apps] == [S.RECOMMENDED, S.RECOMMENDED, S.SUBMITTED]


def test_recommendation_over_the_amount_quota_is_refused(world, today):
    _set_quota(project_call(), "industry", count=10, amount_fen=250_000_00)
    first = checked(amount="150000.00")
    services.recommendation_submit(
        recommendation_list=_list([first]), actor=user("district_officer")
    )
    second = checked(amount="100000.01")
    with pytest.raises(ApplicationError, match="250,000.00"):
        services.recommendation_submit(
            recommendation_list=_list([second]), actor=user("district_officer")
        )
    assert refresh(second).status == S.SUBMITTED


def test_a_category_without_quota_cannot_be_recommended(world, today):
    Quota.objects.filter(call=project_call(), district=_westlake()).delete()
    rec = _list([checked()])
    with pytest.raises(ApplicationError):
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))


def test_unchecked_applications_cannot_be_recommended(world, today):
    from .conftest import submitted

    rec = _list([submitted()])
    with pytest.raises(ApplicationError):
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))


def test_the_district_deadline_is_enforced(world):
    with clock.frozen(dt.date(2026, 12, 10)):
        rec = _list([checked()])
    with clock.frozen(dt.date(2026, 12, 26)), pytest.raises(ApplicationError, match="2026-12-25"):
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))
    with clock.frozen(dt.date(2026, 12, 25)):
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))


@pytest.mark.django_db(transaction=True)
def test_two_officers_recommending_at_the_same_moment_cannot_exceed_the_quota(world):
    if connection.vendor != "postgresql":
        pytest.skip("real row locks: runs on PostgreSQL (select_for_update is a no-op on SQLite)")
    from accounts import services as accounts

    with clock.frozen(dt.date(2026, 11, 20)):
        second_officer = accounts.user_create(
            username="district_officer_2", password=None, full_name="西湖区科协 二"
        )
        accounts.membership_grant(
            user=second_officer, role="district_officer", org_unit=_westlake()
        )
        _set_quota(project_call(), "industry", count=3, amount_fen=10**10)
        lists = [
            _list([checked(title=f"A{i}") for i in range(2)]),
            _list([checked(title=f"B{i}") for i in range(2)], officer="district_officer_2"),
        ]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def recommend(rec: RecommendationList, username: str) -> None:
        try:
            with clock.frozen(dt.date(2026, 11, 21)):
                barrier.wait()
                with transaction.atomic(durable=True):
                    services.recommendation_submit(recommendation_list=rec, actor=user(username))
            results.append("ok")
        except ApplicationError as error:
            results.append(str(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=recommend, args=(lists[0], "district_officer")),
        threading.Thread(target=recommend, args=(lists[1], "district_officer_2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert Application.objects.filter(status=S.RECOMMENDED).count() == 2


# --- the notice -------------------------------------------------------------------------------


def test_a_ten_working_day_notice_over_national_day_ends_on_the_right_day(db):
    # 2026: 9/28–9/30 work, 10/1–10/7 holiday, 10/10 (Saturday) a make-up workday.
    # Day 1..10 = 9/28, 9/29, 9/30, 10/8, 10/9, 10/10, 10/12, 10/13, 10/14, 10/15.
    assert period_end(dt.date(2026, 9, 28), 10, "working") == dt.date(2026, 10, 15)
    assert period_end(dt.date(2026, 9, 28), 10, "calendar") == dt.date(2026, 10, 7)


def test_the_admin_table_overrides_and_extends_the_package(db):
    with pytest.raises(CalendarUnknown):
        period_end(dt.date(2027, 1, 4), 5, "working")
    CalendarYear.objects.create(year=2027, note="假设的2027年安排（测试）")
    CalendarDay.objects.create(date=dt.date(2027, 1, 5), kind="holiday", note="测试假日")
    # Mon 1/4, (Tue 1/5 off), Wed 1/6, Thu 1/7, Fri 1/8, Mon 1/11
    assert period_end(dt.date(2027, 1, 4), 5, "working") == dt.date(2027, 1, 11)


@pytest.fixture
def national_day_call(world):
    call = award_call()
    from funding.models import Call

    Call.objects.filter(pk=call.pk).update(
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        district_deadline=dt.date(2026, 10, 31),
        publicity_day_kind="working",
    )
    return award_call()


def _award_app(name="俞根土"):
    return checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person=name,
    )


def test_next_step_is_refused_before_the_notice_ends_and_while_an_objection_is_open(
    national_day_call,
):
    officer, finance = user("district_officer"), user("district_finance")
    with clock.frozen(dt.date(2026, 9, 28)):
        application = _award_app()
        notice = services.notice_publish(
            level="district",
            call=national_day_call,
            unit=application.district,
            applications=[application],
            starts_on=dt.date(2026, 9, 28),
            actor=officer,
        )
        assert notice.ends_on == dt.date(2026, 10, 15)
        rec = _list([refresh(application)])
        services.recommendation_cosign(recommendation_list=rec, actor=finance)
    with clock.frozen(dt.date(2026, 10, 14)):
        objection = services.objection_file(
            notice=notice,
            application=application,
            name="张三",
            contact="13800000000",
            content="材料不实",
        )
    # on the last day of the notice: refused
    with clock.frozen(dt.date(2026, 10, 15)), pytest.raises(ApplicationError) as info:
        services.recommendation_submit(recommendation_list=rec, actor=officer)
    assert "2026-10-15" in str(info.value)
    # the day after, but with the objection still open: refused
    with clock.frozen(dt.date(2026, 10, 16)), pytest.raises(ApplicationError) as info:
        services.recommendation_submit(recommendation_list=rec, actor=officer)
    assert any("异议" in r or "objection" in r for r in info.value.reasons)
    # once the objection is dismissed: recommended
    with clock.frozen(dt.date(2026, 10, 16)):
        services.objection_handle(
            objection=objection, actor=officer, upheld=False, resolution="经核实材料属实"
        )
        services.recommendation_submit(recommendation_list=rec, actor=officer)
    assert refresh(application).status == S.RECOMMENDED


def test_an_upheld_objection_returns_or_rejects_the_application(world, today):
    officer = user("district_officer")
    leader, guide = _award_app("俞根土"), _award_app("沈建明")
    notice = services.notice_publish(
        level="district",
        call=award_call(),
        unit=leader.district,
        applications=[leader, guide],
        starts_on=today,
        actor=officer,
    )
    returned = services.objection_file(
        notice=notice, application=leader, name="甲", contact="1", content="年限不足"
    )
    rejected = services.objection_file(
        notice=notice, application=guide, name="乙", contact="2", content="冒名"
    )
    services.objection_handle(
        objection=returned,
        actor=officer,
        upheld=True,
        outcome="returned",
        resolution="属实，请补正",
    )
    services.objection_handle(
        objection=rejected, actor=officer, upheld=True, outcome="rejected", resolution="冒名申报"
    )
    assert refresh(leader).status == S.RETURNED
    assert refresh(guide).status == S.REJECTED
    assert refresh(guide).rejected_stage == "district_publicity"
    assert "冒名申报" in refresh(guide).transitions.last().reason
    assert set(Objection.objects.values_list("status", flat=True)) == {"upheld"}


def test_objections_are_only_received_during_the_notice(world, today):
    application = _award_app()
    notice = services.notice_publish(
        level="district",
        call=award_call(),
        unit=application.district,
        applications=[application],
        starts_on=today,
        actor=user("district_officer"),
    )
    with clock.frozen(notice.ends_on + dt.timedelta(days=1)), pytest.raises(ApplicationError):
        services.objection_file(
            notice=notice, application=application, name="甲", contact="1", content="晚了"
        )


def test_award_list_needs_the_finance_cosign(world):
    officer = user("district_officer")
    with clock.frozen(dt.date(2026, 11, 20)):
        application = _award_app()
        services.notice_publish(
            level="district",
            call=award_call(),
            unit=application.district,
            applications=[application],
            starts_on=dt.date(2026, 11, 20),
            actor=officer,
        )
        rec = _list([refresh(application)])
    with clock.frozen(dt.date(2026, 12, 1)):
        with pytest.raises(ApplicationError) as info:
            services.recommendation_submit(recommendation_list=rec, actor=officer)
        assert any("会签" in r or "co-signed" in r for r in info.value.reasons)
        with pytest.raises(ApplicationError):  # only the district finance bureau co-signs
            services.recommendation_cosign(recommendation_list=rec, actor=officer)
        services.recommendation_cosign(recommendation_list=rec, actor=user("district_finance"))
        services.recommendation_submit(recommendation_list=rec, actor=officer)
    assert refresh(application).status == S.RECOMMENDED
