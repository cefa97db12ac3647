"""The actions the issue names ask for confirmation first (issue 13): 提交, 提交评分, 签订,
登记支付, 结项. Each button is pressed as a browser without script presses it: the page
that comes back asks, nothing has happened yet; pressing 确认 on it does the action.
(tests/scoping/test_confirmations.py checks every other such form of the demo world,
tests/browser/test_small_screens.py the dialog in the browser.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from core import clock
from core.confirm import CONFIRMED
from ledger import services as ledger
from ledger.models import Disbursement
from projects import closing, contracts
from projects.models import Application, Contract, TransitionLog
from reviews import services as reviews
from reviews.models import Assignment, ExpertProfile
from tests.reviews.conftest import city_panel, recommended
from tests.scoping.crawl_forms import press

from .conftest import make_application, refresh, user
from .lifecycle import approved_project, money

pytestmark = pytest.mark.django_db

S = Application.Status


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _asks(response: HttpResponse, *words: str) -> str:
    """The confirmation page: it names the action and what it acts on."""
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert "请确认" in body and "此操作无法撤销" in body and f'name="{CONFIRMED}"' in body
    for word in words:
        assert word in body, word
    return body


def _confirm(client: Client, body: str) -> HttpResponse:
    return press(client, "", "confirm-yes", body=body)


def test_submit_asks_first(world):
    # given a complete draft of the applicant
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        application = make_application(title="确认测试项目")
        client = _client("applicant")
        page = reverse("application_detail", args=[application.pk])
        history = TransitionLog.objects.filter(application=application).count()
        # when 提交 is pressed, then the page asks and nothing is submitted yet
        body = _asks(press(client, page, "action-submit"), "提交", application.number)
        assert refresh(application).status == S.DRAFT
        assert TransitionLog.objects.filter(application=application).count() == history
        # when 确认 is pressed on it, then the application is submitted
        response = _confirm(client, body)
    assert response.status_code == 302 and response["Location"] == page
    assert refresh(application).status == S.SUBMITTED


def test_going_back_from_the_confirmation_changes_nothing(world):
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        application = make_application(title="确认测试项目")
        client = _client("applicant")
        page = reverse("application_detail", args=[application.pk])
        body = _asks(press(client, page, "action-withdraw"), "撤回")
    # the way back leads to the application, which is still a draft
    assert f'href="{page}" id="confirm-back"' in body
    assert refresh(application).status == S.DRAFT


def test_submitting_scores_asks_first_and_shows_them(world):
    # given an expert who declared no conflict on an open panel
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        apps = recommended(1)
        panel = city_panel(apps, size=2)
        reviews.panel_draw(panel=panel, actor=user("city_officer"), seed=4)
        expert = ExpertProfile.objects.get(person__user__username="expert")
        mine = Assignment.objects.filter(panel=panel).order_by("pk").first()
        Assignment.objects.filter(pk=mine.pk).update(expert=expert)
        reviews.panel_open(panel=panel, actor=user("city_officer"))
        reviews.assignment_declare(
            assignment=Assignment.objects.get(pk=mine.pk), actor=user("expert"), conflict=False
        )
        client = _client("expert")
        page = reverse("reviews:assignment", args=[mine.pk])
        # when 提交评分 is pressed with the scores, then the page asks, listing them
        response = press(
            client, page, "submit-scores", c_innov="33", c_feas="25", c_benefit="21", comment="好"
        )
        body = _asks(response, "提交评分", "创新性", "33")
        assert Assignment.objects.get(pk=mine.pk).status != Assignment.Status.SUBMITTED
        assert not Assignment.objects.get(pk=mine.pk).scores.exists()
        # when 确认 is pressed, then the scores are submitted
        _confirm(client, body)
    done = Assignment.objects.get(pk=mine.pk)
    assert done.status == Assignment.Status.SUBMITTED
    assert sorted(s.value for s in done.scores.all()) == [Decimal(21), Decimal(25), Decimal(33)]


@pytest.fixture
def confirmed_contract(world: Any) -> tuple[Contract, dict[str, Any]]:
    books = money()
    application = approved_project()
    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0)):
        contract = contracts.contract_draft(
            application=application,
            actor=user("city_officer"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2028, 12, 31),
            payee_account="6222 0212 0200 1234 567",
            payee_bank="工商银行西湖支行",
            indicators=[{"name": "示范面积", "unit": "亩", "target": 500}],
            repay_terms={
                "term_months": 24,
                "grace_months": 0,
                "period_months": 6,
                "method": "equal_principal",
                "fee_rate": "0.02",
                "overdue_rate": "0.0005",
            },
        )
        contract = contracts.contract_confirm(contract=contract, actor=user("applicant"))
    return contract, books


def test_signing_asks_first(confirmed_contract):
    contract, _books = confirmed_contract
    client = _client("city_officer")
    page = reverse("contract_detail", args=[contract.pk])
    with clock.frozen(dt.datetime(2026, 12, 2, 10, 0)):
        body = _asks(press(client, page, "sign-contract"), "签订任务书", contract.number)
        assert Contract.objects.get(pk=contract.pk).status == "confirmed"
        assert contract.commitment_id is None
        _confirm(client, body)
    signed = Contract.objects.get(pk=contract.pk)
    assert signed.status == "signed" and signed.commitment_id is not None
    assert refresh(signed.application).status == S.CONTRACTED


def test_recording_a_payment_asks_first(confirmed_contract):
    # given a signed contract whose first tranche is ordered and approved
    contract, books = confirmed_contract
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        contract = contracts.contract_sign(contract=contract, actor=user("city_officer"))
        order = contracts.tranche_order(
            tranche=contract.tranches.order_by("pk").first(), actor=user("finance")
        )
        order = ledger.disbursement_submit(disbursement=order, actor=user("finance"))
        order = ledger.disbursement_approve(disbursement=order, actor=user("finance_checker"))
        client = _client("finance")
        page = reverse("ledger:disbursement_detail", args=[order.pk])
        # when 登记支付 is pressed with the bank's reference, then the page asks
        body = _asks(
            press(
                client,
                page,
                "record-payment",
                bank_reference="ICBC20270105001",
                paid_on="2027-01-05",
            ),
            "登记支付",
            order.number,
            "ICBC20270105001",
            books["bank"].name,
        )
        assert Disbursement.objects.get(pk=order.pk).status == Disbursement.Status.APPROVED
        # when 确认 is pressed, then the payment is recorded
        _confirm(client, body)
    paid = Disbursement.objects.get(pk=order.pk)
    assert paid.status == Disbursement.Status.PAID and paid.bank_reference == "ICBC20270105001"


def test_closing_asks_first(confirmed_contract):
    # given a signed project terminated before any payment
    contract, _books = confirmed_contract
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        contract = contracts.contract_sign(contract=contract, actor=user("city_officer"))
        application = closing.project_terminate(
            application=contract.application, actor=user("city_officer"), reason="单位放弃实施"
        )
        assert application.status == S.TERMINATED
        client = _client("city_officer")
        page = reverse("application_detail", args=[application.pk])
        # when 结项 is pressed, then the page asks
        body = _asks(press(client, page, "close-project"), "结项", application.number)
        assert refresh(application).status == S.TERMINATED
        # a POST without the confirmation (a stale page, a script) does nothing either
        client.post(reverse("project_action", args=[application.pk, "close"]))
        assert refresh(application).status == S.TERMINATED
        # when 确认 is pressed, then the project is closed
        _confirm(client, body)
    assert refresh(application).status == S.CLOSED
