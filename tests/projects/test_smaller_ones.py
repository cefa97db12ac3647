"""The smaller ones of issue 13, each as a user met it: the words on the page say what
really happens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from core.confirm import CONFIRMED
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
        {"selected": [application.pk], "starts_on": today.isoformat(), CONFIRMED: "1"},
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
    panel = panel_through([application], stage="city", rubric=city_rubric(), score={"a": "88"})
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


def test_the_contract_page_calls_the_project_period_not_a_notice_period(world):
    from .flow import client, text
    from .lifecycle import approved_project, money, signed_contract

    money()
    contract = signed_contract(approved_project())
    page = text(
        client("applicant").get(reverse("contract_detail", args=[contract.pk])).content.decode()
    )
    assert "公示期" not in page
    assert "实施期限 2027-01-01 – 2028-12-31" in page


def test_the_contract_form_button_says_what_it_does(world):
    from .flow import client
    from .lifecycle import approved_project, money

    money()
    application = approved_project()
    page = (
        client("city_officer").get(reverse("contract_new", args=[application.pk])).content.decode()
    )
    assert ">拟定任务书</button>" in page
    assert ">草稿</button>" not in page


def test_the_panel_name_field_is_not_labelled_as_a_persons_name(world):
    from .flow import client

    page = client("city_officer").get(reverse("reviews:panel_create")).content.decode()
    assert '<label for="id_name">评审组名称' in page
    assert '<label for="id_name">姓名' not in page


def test_an_award_speaks_of_granting_not_of_project_approval(world):
    from .flow import award_on_city_notice, client, text

    # on the city notice: 终审公示, not 立项公示
    application, panel, notice = award_on_city_notice()
    with clock.frozen(dt.datetime(2026, 12, 5, 9, 0)):
        page = text(
            client("city_officer")
            .get(reverse("application_detail", args=[application.pk]))
            .content.decode()
        )
    assert "终审公示" in page and "立项" not in page
    # granted: 已授予, and the trail and the buttons say so too
    from reviews import services as reviews

    with clock.frozen(dt.datetime(2026, 12, 15, 9, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
        for username in ("applicant_nt", "city_officer", "district_finance"):
            page = text(
                client(username)
                .get(reverse("application_detail", args=[application.pk]))
                .content.decode()
            )
            assert "已授予" in page and "授予通知" in page, username
            assert "已立项" not in page and "立项公示" not in page and "立项通知" not in page, (
                username
            )
        panel_page = text(
            client("city_officer").get(reverse("reviews:panel", args=[panel.pk])).content.decode()
        )
    assert "授予决定" in panel_page and "已授予" in panel_page and "立项" not in panel_page


def test_after_approval_the_panel_no_longer_says_on_notice_or_offers_approval(world):

    from .flow import client, text
    from .lifecycle import approved_project, money

    money()
    application = approved_project()
    panel = application.panel_items.get(panel__stage="city").panel
    officer = client("city_officer")
    with clock.frozen(dt.datetime(2026, 11, 30, 11, 0)):
        html = officer.get(reverse("reviews:panel", args=[panel.pk])).content.decode()
        page = text(html)
        assert 'id="approve"' not in html
        assert "公示中" not in page and "已批准立项" in page
        assert "拟定任务书" in page  # the next step
        # and approving again says it is done, instead of "Approved." doing nothing
        notice = application.notices.get(level="city")
        response = officer.post(
            reverse("reviews:panel_action", args=[panel.pk, "approve"]),
            {"notice": notice.pk, CONFIRMED: "1"},
            follow=True,
        )
        assert "本次公示的申报均已作出决定" in response.content.decode()


def test_a_new_payment_order_is_a_draft_not_waiting_for_a_second_person(world):
    from ledger.models import Disbursement

    from .flow import client, next_steps, text
    from .lifecycle import approved_project, money, signed_contract

    money()
    contract = signed_contract(approved_project())
    tranche = contract.tranches.get(seq=1)
    finance = client("finance")
    with clock.frozen(dt.datetime(2026, 12, 2, 10, 0)):
        response = finance.post(
            reverse("contract_action", args=[contract.pk, "order"]),
            {"tranche": tranche.pk, CONFIRMED: "1"},
            follow=True,
        )
    order = Disbursement.objects.get(project_ref=contract.application.number, tranche_no=1)
    assert order.status == "draft"
    # the officer lands on the order itself, told it is a draft to submit
    assert response.redirect_chain[-1][0] == reverse("ledger:disbursement_detail", args=[order.pk])
    html = response.content.decode()
    page = text(html)
    assert "待另一人复核" not in page
    assert f"拨付单 {order.number} 目前是草稿" in page
    assert "草稿" in next_steps(html) and "待您办理" in next_steps(html)
    # submitted, the page then says a second person approves it
    from ledger import services as ledger

    ledger.disbursement_submit(disbursement=order, actor=user("finance"))
    steps = next_steps(
        finance.get(reverse("ledger:disbursement_detail", args=[order.pk])).content.decode()
    )
    assert "另一名财务人员" in steps and "待您办理" not in steps
    steps = next_steps(
        client("finance_checker")
        .get(reverse("ledger:disbursement_detail", args=[order.pk]))
        .content.decode()
    )
    assert "待您办理" in steps
