"""Bounded values (issue 12): one domain maximum for money, refused with a message by every
money form and by the database itself; value dates inside a stated window, the message
naming the bound; 大写 for every amount the system accepts."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from core.confirm import CONFIRMED
from core.money import MAX_FEN, MAX_YUAN, fen_in_capitals
from ledger import services
from ledger.errors import LedgerError
from ledger.models import (
    BankAccount,
    BudgetAdjustment,
    BudgetLine,
    Disbursement,
    Entry,
    Leg,
    RepayableAccount,
    Repayment,
)

from .conftest import yuan

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_an_amount_over_the_maximum_is_refused_by_every_money_form_never_a_500(books, as_user):
    # given the finance desk of the demo's books
    client = as_user("finance")
    line = BudgetLine.objects.filter(scope_path="/330000/330100/").order_by("pk").first()
    account = RepayableAccount.objects.filter(status="overdue").order_by("pk").first()
    bank = account.disbursements.first().bank_account
    counts = (
        Disbursement.objects.count(),
        BudgetAdjustment.objects.count(),
        Repayment.objects.count(),
    )
    # when 20 nines are typed into each money form (the largest accepted, plus one fen)
    for typed in (HUGE, "10000000000.01"):
        made = client.post(
            reverse("ledger:disbursement_create"),
            {
                "budget_line": line.pk,
                "amount": typed,
                "payee_name": "某单位",
                "payee_account": "6222",
                "tranche_no": 1,
            },
        )
        adjusted = client.post(
            reverse("ledger:budget_line_detail", args=[line.pk]),
            {"action": "request_adjustment", "amount": typed, "reason": "调增", CONFIRMED: "1"},
            follow=True,
        )
        repaid = client.post(
            reverse("ledger:repayable_detail", args=[account.pk]),
            {
                "action": "repay",
                "amount": typed,
                "value_date": "2026-11-20",
                "bank_account": bank.pk,
            },
            follow=True,
        )
        # then each answers with the maximum named, and nothing is stored
        assert made.status_code == 200 and "100 亿元" in made.content.decode()
        for response in (adjusted, repaid):
            assert response.status_code == 200
            assert "100 亿元" in response.content.decode()
    assert counts == (
        Disbursement.objects.count(),
        BudgetAdjustment.objects.count(),
        Repayment.objects.count(),
    )


def test_an_application_asking_for_more_than_the_maximum_is_a_form_error(demo_world, as_user):
    from projects.models import Application
    from tests.projects.conftest import make_application

    application = make_application()
    client = as_user("applicant")
    url = reverse("application_edit", args=[application.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        k: v
        for k, v in page.context["form"].initial.items()
        if v is not None and not isinstance(v, list | dict)
    }
    data.update({"title": application.title, "fund_grant": HUGE, "item_equipment": HUGE})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "100 亿元" in response.content.decode()
    assert Application.objects.get(pk=application.pk).amount_requested_fen == 10_000_000


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Leg, {"amount": MAX_FEN + 1}),
        (Disbursement, {"amount_fen": MAX_FEN + 1}),
        (Repayment, {"amount_fen": -(MAX_FEN + 1)}),
    ],
)
def test_the_database_refuses_an_amount_over_the_maximum(books, model, fields):
    # given any row of the table, copied with an amount over the maximum
    row = model.objects.order_by("pk").first()
    values = {
        f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields if not f.primary_key
    }
    values.update(fields)
    # when it is written behind the services' back (a bulk write, a script)
    # then the CHECK constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.bulk_create([model(**values)])


def test_the_largest_amount_has_its_capitals_and_its_payment_order_prints(books, as_user):
    # given the largest amount the system accepts
    assert fen_in_capitals(MAX_FEN) == "壹佰亿元整"
    assert fen_in_capitals(MAX_FEN - 1) == "玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
    from accounts.models import User

    finance = User.objects.get(username="finance")
    line = BudgetLine.objects.filter(scope_path="/330000/330100/").order_by("pk").first()
    d = services.disbursement_create(
        budget_line=line,
        amount=MAX_YUAN,
        payee_name="某单位",
        payee_account="6222",
        actor=finance,
    )
    # when anyone who may read it downloads its 拨付单
    for username in ("finance", "finance_checker", "auditor"):
        response = as_user(username).get(reverse("ledger:disbursement_pdf", args=[d.pk]))
        # then it prints, with the amount in capitals
        assert response.status_code == 200
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        assert "壹佰亿元整" in text.replace(" ", "")
    # and a single fen more is refused by the service
    with pytest.raises(LedgerError, match="100 亿元"):
        services.disbursement_create(
            budget_line=line,
            amount=MAX_YUAN + yuan("0.01"),
            payee_name="某单位",
            payee_account="6222",
            actor=finance,
        )


@pytest.mark.parametrize(
    ("typed", "bound"),
    [("9999-12-31", "今天"), ("1900-01-01", "资金拨出日"), ("0001-01-01", "资金拨出日")],
)
def test_a_repayment_date_out_of_bounds_is_refused_on_the_form_naming_the_bound(
    books, as_user, typed, bound
):
    # given an overdue repayable account of the demo and its receiving bank
    account = RepayableAccount.objects.filter(status="overdue").order_by("pk").first()
    bank = account.disbursements.first().bank_account
    entries = Entry.objects.count()
    # when a repayment is entered with the date mistyped
    response = as_user("finance").post(
        reverse("ledger:repayable_detail", args=[account.pk]),
        {
            "action": "repay",
            "amount": "1000",
            "value_date": typed,
            "bank_account": bank.pk,
            CONFIRMED: "1",
        },
        follow=True,
    )
    # then it is refused, the message naming the date and the bound, and nothing posted
    html = response.content.decode()
    assert response.status_code == 200
    assert typed in html and bound in html
    assert Entry.objects.count() == entries


def test_a_payment_dated_after_today_is_refused_naming_today(books, as_user):
    # given an approved payment order of the demo
    order = Disbursement.objects.filter(status="approved").order_by("pk").first()
    bank = BankAccount.objects.filter(scope_path=order.scope_path).first()
    # when the bank's confirmation is typed with the year 9999
    response = as_user("finance").post(
        reverse("ledger:disbursement_detail", args=[order.pk]),
        {
            "action": "pay",
            "bank_account": bank.pk,
            "paid_on": "9999-12-31",
            "bank_reference": "X1",
            CONFIRMED: "1",
        },
        follow=True,
    )
    # then it is refused naming today, and the order is still unpaid
    html = response.content.decode()
    assert "9999-12-31" in html and "今天" in html
    assert Disbursement.objects.get(pk=order.pk).status == "approved"
