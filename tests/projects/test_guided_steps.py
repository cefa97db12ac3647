"""Guided steps (issue 13, 6): every record page says what happens next and who does it;
the applicant sees why it was returned, on top; each step is signposted after it is
taken (形式审查 included)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core import clock
from core.confirm import CONFIRMED
from projects import awards, closing, contracts, services

from .conftest import award_call, checked, make_application, refresh, submitted, user
from .flow import client, granted_award, next_steps, nomination, text

pytestmark = pytest.mark.django_db


def _steps(username: str, url: str) -> str:
    return next_steps(client(username).get(url).content.decode())


def _app_url(application) -> str:
    return reverse("application_detail", args=[application.pk])


def test_each_stage_of_an_application_says_what_is_next_and_who(world, today):
    # a draft: the applicant completes it and submits it by the deadline
    draft = make_application()
    steps = _steps("applicant", _app_url(draft))
    assert "申报人" in steps and "2026-12-15 前提交" in steps and "待您办理" in steps
    # submitted: the district officer's formal check (their turn, not the applicant's)
    application = submitted()
    assert "形式审查" in _steps("applicant", _app_url(application))
    steps = _steps("district_officer", _app_url(application))
    assert "区县科协/科技局" in steps and "形式审查" in steps and "待您办理" in steps
    # checked, a sci-tech project: straight to the recommendation list
    application = services.application_formal_check(
        application=application, actor=user("district_officer")
    )
    steps = _steps("district_officer", _app_url(application))
    assert "推荐汇总表" in steps and "区县公示" not in steps
    # checked, an award: the district notice first
    award = nomination()
    steps = _steps("district_officer", _app_url(award))
    assert "区县公示（10 天）" in steps


def test_the_applicant_sees_why_it_was_returned_on_top(world, today):
    # given an application returned with a reason
    application = submitted()
    services.application_return(
        application=application,
        actor=user("district_officer"),
        reason="缺少营业执照副本，请补充上传。",
    )
    html = client("applicant").get(_app_url(application)).content.decode()
    # then a banner with the reason comes first, before any card of the page
    banner = html.index('id="returned-banner"')
    assert banner < html.index('class="card"')
    assert "缺少营业执照副本，请补充上传。" in text(html[banner : html.index("</div>", banner)])
    assert "退回修改" in text(html[banner : html.index("</div>", banner)])
    # and the next step tells them to revise and submit again
    assert "重新提交" in next_steps(html)
    # once resubmitted the banner is gone
    services.application_submit(application=refresh(application), actor=user("applicant"))
    assert (
        'id="returned-banner"'
        not in client("applicant").get(_app_url(application)).content.decode()
    )


def test_after_the_formal_check_the_officer_is_told_the_next_step(world, today):
    project = submitted()
    response = client("district_officer").post(
        reverse("application_action", args=[project.pk, "formal_check"]),
        {CONFIRMED: "1"},
        follow=True,
    )
    page = text(response.content.decode())
    assert "形式审查通过：已完成。" in page
    assert "下一步（区县科协/科技局）：推荐" in page
    award = checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
    )
    services.application_return(application=award, actor=user("district_officer"), reason="补材料")
    services.application_submit(application=refresh(award), actor=user("applicant_nt"))
    response = client("district_officer").post(
        reverse("application_action", args=[award.pk, "formal_check"]),
        {CONFIRMED: "1"},
        follow=True,
    )
    assert "下一步（区县科协/科技局）：区县公示" in text(response.content.decode())


def test_the_panel_page_says_what_is_next(world, today):
    from reviews import services as reviews
    from tests.reviews.conftest import city_panel, recommended

    panel = city_panel(recommended(2), size=2)
    url = reverse("reviews:panel", args=[panel.pk])
    steps = _steps("city_officer", url)
    assert "随机抽取专家" in steps and "市科协/科技局项目管理" in steps and "待您办理" in steps
    reviews.panel_draw(panel=panel, actor=user("city_officer"), seed=5)
    assert "开始评分" in _steps("city_officer", url)
    reviews.panel_open(panel=panel, actor=user("city_officer"))
    steps = _steps("city_officer", url)
    assert "评审专家" in steps and "4 份评分表未提交" in steps


def test_the_contract_page_says_who_confirms_and_who_signs(world):
    from .lifecycle import REPAY_TERMS, approved_project, money

    money()
    application = approved_project()
    steps = _steps("city_officer", _app_url(application))
    assert "任务书" in steps and "拟定" in steps and "待您办理" in steps
    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0)):
        contract = contracts.contract_draft(
            application=application,
            actor=user("city_officer"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2028, 12, 31),
            payee_account="6222020200001234567",
            indicators=[{"name": "示范面积", "unit": "亩", "target": D("500")}],
            repay_terms=REPAY_TERMS,
        )
        url = reverse("contract_detail", args=[contract.pk])
        steps = _steps("applicant", url)
        assert "申报人" in steps and "确认" in steps and "待您办理" in steps
        assert "待您办理" not in _steps("city_officer", url)
        contracts.contract_confirm(contract=contract, actor=user("applicant"))
        steps = _steps("city_officer", url)
        assert "签订任务书" in steps and "待您办理" in steps
        contracts.contract_sign(contract=contract, actor=user("city_officer"))
        steps = _steps("finance", url)
        assert "第 1 笔拨款" in steps and "财务经办" in steps and "待您办理" in steps


def test_a_granted_award_says_the_indicator_then_the_district_pays(world):
    from .lifecycle import money

    money()
    award, _panel, _notice = granted_award()
    url = _app_url(award)
    steps = _steps("district_finance", url)
    assert "市财政下达" in steps and "区县财政局" in steps
    assert "预算指标" in _steps("finance", url) and "待您办理" in _steps("finance", url)
    with clock.frozen(dt.datetime(2027, 1, 15, 9, 0)):
        awards.award_indicator_issue(
            call=award_call(),
            district=award.district,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 15),
            document_no="杭财教〔2027〕3号",
        )
        steps = _steps("district_finance", url)
        assert "区县财政局" in steps and "生成拨付单" in steps and "待您办理" in steps
        order = awards.award_pay_order(
            application=award, actor=user("district_finance"), payee_account="6228480000000000001"
        )
        steps = _steps("district_finance", url)
        assert order.number in steps and "草稿" in steps


def test_a_finished_record_has_no_next_step(world, today):
    application = submitted()
    services.application_withdraw(application=application, actor=user("applicant"))
    html = client("applicant").get(_app_url(application)).content.decode()
    assert 'id="next-step"' not in html


def test_the_acceptance_page_says_who_records_and_who_concludes(world):
    from .lifecycle import approved_project, money, pay, signed_contract

    books = money()
    application = approved_project()
    contract = signed_contract(application)
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        pay(
            contracts.tranche_order(tranche=contract.tranches.get(seq=1), actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    assert "申请验收" in _steps("applicant", _app_url(application))
    with clock.frozen(dt.datetime(2028, 12, 1, 10, 0)):
        acceptance = closing.acceptance_request(
            application=refresh(application),
            actor=user("applicant"),
            text="全部完成任务书指标。",
            fund_usage="专款专用。",
            actuals={i.pk: D("600") for i in contract.indicators.all()},
            spending={},
        )
        url = reverse("reviews:acceptance", args=[acceptance.pk])
        steps = _steps("finance", url)
        assert "财务验收" in steps and "待您办理" in steps
        steps = _steps("city_officer", url)
        assert "验收专家组" in steps and "待您办理" in steps
