"""The recovery on the finance pages: the path each account is on in the aging list (in
one query, whatever the number of rows), the 催收通知书 to download, and the recovery
actions, confirmed first."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from core.confirm import CONFIRMED
from ledger.models import DunningStep, RepayableAccount

from .test_pages import PINNED, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def recovery(books):
    from demo import recovery_world
    from demo.log import Log

    recovery_world.build(Log())


def row_of(html: str, number: str) -> str:
    start = html.index(f">{number}</a>")
    return html[start : html.index("</tr>", start)]


def test_the_aging_list_shows_the_path_of_each_account(
    recovery, as_user, django_assert_num_queries
):
    client = as_user("finance_checker")
    client.get(reverse("ledger:repayable_list"))  # warm the session
    # the same number of queries as without any recovery: no query per row
    with django_assert_num_queries(PINNED["ledger:repayable_list"]):
        html = page(client, "ledger:repayable_list")
    chased = RepayableAccount.objects.get(project_ref="KJ2026-YC-021")
    sued = RepayableAccount.objects.get(project_ref="KJ2026-YC-022")
    written_off = RepayableAccount.objects.get(status=RepayableAccount.Status.WRITTEN_OFF)
    current = RepayableAccount.objects.get(borrower_name="杭州西湖智慧农业科技有限公司")
    assert "催收中" in row_of(html, chased.number)
    assert "诉讼中 · 判决" in row_of(html, sued.number)
    assert "已核销" in row_of(html, written_off.number)
    assert "正常" in row_of(html, current.number)


def test_the_aging_list_owes_what_each_accounts_ledger_accounts_hold(recovery):
    from accounts.models import User
    from ledger import selectors
    from ledger.models import Account

    # given the aging list of the city's finance checker (what each account owes read by
    # a subquery per kind of ledger account)
    user = User.objects.get(username="finance_checker")
    rows = list(selectors.repayable_list(user=user))
    assert rows
    # then each figure is the balance of the account's ledger account of that kind
    held: dict[tuple[int, str], int] = {}
    for a in Account.objects.filter(repayable__in=[r.pk for r in rows]):
        held[(a.repayable_id, a.kind)] = held.get((a.repayable_id, a.kind), 0) + a.balance
    for r in rows:
        assert r.principal_owed_fen == held.get((r.pk, Account.Kind.RECEIVABLE)), r.number
        assert r.fee_owed_fen == held.get((r.pk, Account.Kind.FEE_RECEIVABLE)), r.number
        assert r.penalty_owed_fen == held.get((r.pk, Account.Kind.PENALTY_RECEIVABLE))
        income = held.get((r.pk, Account.Kind.RECOVERY_INCOME))
        assert r.recovered_fen == (None if income is None else -income), r.number
    assert any(r.principal_owed_fen for r in rows)
    assert any(r.penalty_owed_fen for r in rows)


def test_the_dunning_notice_downloads_from_the_account_page(recovery, as_user):
    account = RepayableAccount.objects.get(project_ref="KJ2026-YC-021")
    notice = DunningStep.objects.get(account=account, kind="notice")
    client = as_user("finance")
    html = page(client, "ledger:repayable_detail", account.pk)
    address = reverse("ledger:dunning_notice_pdf", args=[account.pk, notice.pk])
    assert address in html and "催收通知书" in html
    response = client.get(address)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert account.borrower_name in text and notice.letter_no in text
    # the court's case shows with its stages on the other account's page
    sued = RepayableAccount.objects.get(project_ref="KJ2026-YC-022")
    html = page(client, "ledger:repayable_detail", sued.pk)
    assert "(2026)浙0127民初2468号" in html and "立案" in html and "判决" in html


def test_a_dunning_step_is_recorded_only_once_confirmed_and_only_by_finance(recovery, as_user):
    account = RepayableAccount.objects.get(project_ref="KJ2026-YC-021")
    address = reverse("ledger:repayable_recovery", args=[account.pk])
    data = {
        "action": "dunning",
        "dunning-kind": "visit",
        "dunning-date": "2026-11-18",
        "dunning-text": "上门催收，企业法人表示12月底前归还",
    }
    before = DunningStep.objects.filter(account=account).count()
    assert as_user("auditor").post(address, {**data, CONFIRMED: "1"}).status_code == 403
    asked = as_user("finance").post(address, data)
    assert asked.status_code == 200 and "请确认" in asked.content.decode()
    assert DunningStep.objects.filter(account=account).count() == before
    done = as_user("finance").post(address, {**data, CONFIRMED: "1"})
    assert done.status_code == 302
    step = DunningStep.objects.filter(account=account).latest("pk")
    assert (step.kind, step.text) == ("visit", data["dunning-text"])
    # a refusal is a message on the page, never a 500: a promise without its amount
    refused = as_user("finance").post(
        address, {**data, "dunning-kind": "promise", CONFIRMED: "1"}, follow=True
    )
    assert "还款承诺须写明承诺还款金额和日期" in refused.content.decode()
