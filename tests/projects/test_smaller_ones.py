"""The smaller ones of issue 13, each as a user met it: the words on the page say what
really happens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from projects import services
from projects.models import Application

from .conftest import award_call, checked, refresh, user

pytestmark = pytest.mark.django_db

S = Application.Status


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _award(**kwargs) -> Application:
    return checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
        **kwargs,
    )


def test_a_district_notice_of_a_project_says_the_flow_has_none_not_no_permission(world, today):
    # given a checked 科技计划项目 application (its flow has no district 公示)
    application = checked()
    # when the district officer puts it on a district notice from the list page
    response = _client("district_officer").post(
        reverse("notice_create"),
        {"selected": [application.pk], "starts_on": today.isoformat()},
        follow=True,
    )
    page = response.content.decode()
    # then the page says why, and what to do instead
    assert "您无权" not in page
    assert "没有区县公示" in page and "推荐汇总表" in page
    assert refresh(application).status == S.SUBMITTED


def test_a_district_notice_before_the_formal_check_says_so(world, today):
    from .conftest import submitted

    application = submitted(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    with pytest.raises(services.ApplicationError, match="形式审查"):
        services.notice_publish(
            level="district",
            call=application.call,
            unit=application.district,
            applications=[application],
            starts_on=today,
            actor=user("district_officer"),
        )


def _city_notice_of(application: Application, today: dt.date):
    from reviews import services as reviews
    from tests.projects.lifecycle import city_rubric, panel_through

    application = refresh(application)
    if application.status != S.RECOMMENDED:
        from .conftest import force_state

        application = force_state(application, S.RECOMMENDED)
    panel = panel_through(
        [application], stage="city", rubric=city_rubric(), score={"a": "88"}
    )
    notice = reviews.decision_publish(panel=panel, actor=user("city_officer"), starts_on=today)
    return panel, notice


def test_the_trail_says_an_objection_was_dismissed_not_that_there_was_none(world, today):
    from projects.models import Objection
    from reviews import services as reviews

    # given an application on the city notice, objected to, the objection dismissed
    _panel, notice = _city_notice_of(checked(), today)
    (application,) = notice.applications.all()
    objection = services.objection_file(
        notice=notice,
        application=application,
        name="李四",
        contact="13900000000",
        content="该单位去年未完成任务。",
    )
    services.objection_handle(
        objection=objection, actor=user("city_officer"), upheld=False, resolution="经核查不属实。"
    )
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.DISMISSED
    # when it is approved after the notice
    with clock.frozen(notice.ends_on + dt.timedelta(days=1)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    # then the trail says the objection was handled, not "no objection"
    reason = application.transitions.get(transition="approve").reason
    assert "无异议" not in reason
    assert "1" in reason and "异议" in reason and "不成立" in reason
