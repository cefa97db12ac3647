"""Home queues (issue 13, 6): each role's home lists everything waiting for it —
district finance's awards to pay included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core import clock
from ledger import services as ledger
from projects import awards, contracts, services
from tests.reviews.conftest import city_panel, recommended

from .conftest import award_call, checked, submitted, user
from .flow import client, granted_award, nomination, text

pytestmark = pytest.mark.django_db


def home(username: str) -> str:
    return text(client(username).get(reverse("home")).content.decode())


def queue(username: str, title: str) -> str:
    """The text of one queue card of the user's home ("" when there is none)."""
    html = client(username).get(reverse("home")).content.decode()
    for card in html.split('<section class="card">')[1:]:
        card = card.split("</section>")[0]
        if title in card.split("</h2>")[0]:
            return text(card)
    return ""


def test_the_applicant_sees_a_returned_application_with_the_reason(world, today):
    application = submitted()
    services.application_return(
        application=application, actor=user("district_officer"), reason="缺少营业执照副本"
    )
    page = home("applicant")
    assert application.number in page and "退回修改" in page and "缺少营业执照副本" in page


def test_the_district_officer_sees_checked_applications_and_lists_to_take_further(world, today):
    project = checked()
    award = nomination()
    page = home("district_officer")
    assert f"{project.number}" in page and "形式审查已通过：编入推荐汇总表" in page
    assert f"{award.number}" in page and "形式审查已通过：发布区县公示" in page
    # a list made, not yet submitted: to submit by the district deadline
    rec = services.recommendation_list_create(
        call=project.call,
        district=project.district,
        applications=[project],
        actor=user("district_officer"),
    )
    page = home("district_officer")
    assert f"#{rec.pk}" in page and "前报送市级" in page


def test_district_finance_sees_the_awards_waiting_for_payment(world):
    from .lifecycle import money

    money()
    award, _panel, _notice = granted_award()
    page = home("district_finance")
    assert "待拨付的奖补项目" in page
    assert award.number in page and "待市级下达预算指标" in page
    with clock.frozen(dt.datetime(2027, 1, 15, 9, 0)):
        awards.award_indicator_issue(
            call=award_call(),
            district=award.district,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 15),
            document_no="杭财教〔2027〕3号",
        )
        assert "待承诺并拨付" in home("district_finance")
        order = awards.award_pay_order(
            application=award, actor=user("district_finance"), payee_account="6228480000000000001"
        )
        page = home("district_finance")
        assert f"拨付单 {order.number} 为草稿" in page
        ledger.disbursement_submit(disbursement=order, actor=user("district_finance"))
        # submitted, it leaves this queue (the checker's queue has it)
        assert award.number not in queue("district_finance", "待拨付的奖补项目")
        assert "没有待拨付的奖补项目" in queue("district_finance", "待拨付的奖补项目")


def test_city_finance_sees_the_award_indicators_to_issue_and_its_draft_orders(world):
    from .lifecycle import approved_project, money, signed_contract

    money()
    granted_award()
    page = home("finance")
    assert "待下达的奖补资金预算指标" in page and "西湖区" in page and "50,000.00" in page
    contract = signed_contract(approved_project())
    with clock.frozen(dt.datetime(2026, 12, 2, 10, 0)):
        order = contracts.tranche_order(tranche=contract.tranches.get(seq=1), actor=user("finance"))
    page = home("finance")
    assert "我生成的草稿拨付单" in page and order.number in page


def test_the_city_officer_sees_what_waits_for_a_panel_a_decision_or_a_contract(world, today):
    # recommended, on no panel
    (waiting,) = recommended(1)
    page = home("city_officer")
    assert waiting.number in page and "已推荐：待纳入市级评审组" in page
    # once on a panel being set up it is no longer waiting for one
    city_panel([waiting], size=1)
    assert "已推荐：待纳入市级评审组" not in home("city_officer")


def test_the_city_officer_sees_approved_projects_to_contract(world):
    from .lifecycle import approved_project, money

    money()
    application = approved_project()
    page = home("city_officer")
    assert application.number in page and "已立项：拟定任务书" in page


def test_the_finance_checker_sees_changes_to_approve(world):
    from .lifecycle import money

    books = money()
    ledger.budget_adjustment_request(
        budget_line=books["lines"]["grant"],
        amount=D("100000"),
        reason="追加",
        actor=user("finance"),
    )
    page = home("finance_checker")
    assert "待审核的预算调剂、展期与核销" in page and "待审核的预算调剂" in page


@pytest.mark.parametrize(
    "username",
    [
        "applicant",
        "district_officer",
        "district_finance",
        "city_officer",
        "expert",
        "finance",
        "finance_checker",
        "auditor",
        "admin",
    ],
)
def test_every_roles_home_opens(world, today, username):
    response = client(username).get(reverse("home"))
    assert response.status_code == 200
