"""A money POST sent twice with one Idempotency-Key posts once; the same key with another
body is refused; no key, no post."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from ledger import selectors, services
from ledger.models import BudgetLine, Disbursement, Entry, RepayableAccount, Repayment

pytestmark = pytest.mark.django_db
CITY = "/330000/330100/"


def _post(client: Any, url: str, body: dict[str, Any], key: str | None) -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def _draft(amount: str = "1000.00") -> Disbursement:
    maker = User.objects.get(username="finance")
    line = (
        BudgetLine.objects.with_figures()
        .filter(scope_path=CITY, available_fen__gt=1_000_000)
        .order_by("pk")
        .first()
    )
    assert line is not None
    return services.disbursement_create(
        budget_line=line,
        amount=Decimal(amount),
        payee_name="杭州西湖智慧农业科技有限公司",
        payee_account="6222020200011112222",
        actor=maker,
    )


def test_approve_sent_twice_with_one_key_posts_once(api_as: Any) -> None:
    # given: a payment ordered through the API by the maker
    disbursement = _draft()
    maker, checker = api_as("finance"), api_as("finance_checker")
    ordered = _post(maker, f"/api/v1/disbursements/{disbursement.pk}/submit/", {}, "order-1")
    assert ordered.status_code == 200, ordered.content
    assert ordered.json()["status"] == "submitted"
    entries = Entry.objects.count()
    url = f"/api/v1/disbursements/{disbursement.pk}/approve/"
    # when
    first = _post(checker, url, {"note": "同意"}, "approve-7f3a")
    second = _post(checker, url, {"note": "同意"}, "approve-7f3a")
    # then
    assert first.status_code == second.status_code == 200, first.content
    assert first.json() == second.json()
    assert first.json()["status"] == "approved" and first.json()["amount"] == "1000.00"
    assert second["Idempotent-Replayed"] == "true"
    assert Entry.objects.count() == entries + 1
    # the same key with another body is refused, and posts nothing
    other = _post(checker, url, {"note": "再次"}, "approve-7f3a")
    assert other.status_code == 422
    assert other.json()["type"] == "urn:kjfund:problem:idempotency-key-reused"
    assert Entry.objects.count() == entries + 1


def test_the_maker_cannot_approve_their_own_order(api_as: Any) -> None:
    disbursement = _draft()
    maker = api_as("finance")
    _post(maker, f"/api/v1/disbursements/{disbursement.pk}/submit/", {}, "o-1")
    entries = Entry.objects.count()
    response = _post(maker, f"/api/v1/disbursements/{disbursement.pk}/approve/", {}, "a-1")
    assert response.status_code in (403, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert Entry.objects.count() == entries


def test_repayment_sent_twice_with_one_key_is_recorded_once(api_as: Any) -> None:
    # given
    user = User.objects.get(username="finance")
    account = (
        selectors.repayable_list(user=user)
        .filter(status__in=[RepayableAccount.Status.ACTIVE, RepayableAccount.Status.OVERDUE])
        .first()
    )
    assert account is not None
    bank = selectors.bank_account_list(user=user).first()
    assert bank is not None
    client = api_as("finance")
    url = f"/api/v1/repayable-accounts/{account.pk}/repayments/"
    body = {"amount": "100.00", "value_date": "2026-12-01", "bank_account": bank.pk}
    repayments, entries = Repayment.objects.count(), Entry.objects.count()
    # when
    first = _post(client, url, body, "repay-2026-12-01-1")
    posted = Entry.objects.count()
    second = _post(client, url, body, "repay-2026-12-01-1")
    # then
    assert first.status_code == second.status_code == 201, first.content
    assert first.json() == second.json()
    assert first.json()["amount"] == "100.00"
    assert Repayment.objects.count() == repayments + 1
    assert posted > entries  # the repayment (and what fell due before it) was booked
    assert Entry.objects.count() == posted  # the repeat booked nothing
    # a new key is a new repayment
    assert _post(client, url, body, "repay-2026-12-01-2").status_code == 201
    assert Repayment.objects.count() == repayments + 2


def test_a_money_post_needs_a_key_and_a_string_amount(api_as: Any) -> None:
    user = User.objects.get(username="finance")
    account = selectors.repayable_list(user=user).first()
    bank = selectors.bank_account_list(user=user).first()
    assert account is not None and bank is not None
    client = api_as("finance")
    url = f"/api/v1/repayable-accounts/{account.pk}/repayments/"
    body = {"amount": "100.00", "value_date": "2026-12-01", "bank_account": bank.pk}
    repayments = Repayment.objects.count()
    no_key = _post(client, url, body, None)
    assert no_key.status_code == 400
    assert no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    long_key = _post(client, url, body, "k" * 101)
    assert long_key.status_code == 400
    as_float = _post(client, url, {**body, "amount": 100.1}, "float-1")
    assert as_float.status_code == 400
    assert as_float.json()["errors"][0]["field"] == "amount"
    assert Repayment.objects.count() == repayments
