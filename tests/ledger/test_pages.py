"""The finance pages, as each role uses them; query counts stay flat as rows grow."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from core import clock
from core.confirm import CONFIRMED
from ledger import services
from ledger.models import BankAccount, BudgetLine, Disbursement, StatementLine

from .conftest import yuan

pytestmark = pytest.mark.django_db


def page(client, name, *args, query=""):
    response = client.get(reverse(name, args=args) + query)
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def more_disbursements(n: int) -> None:
    from accounts.models import User

    maker = User.objects.get(username="finance")
    line = BudgetLine.objects.get(code__startswith="2026-KJJH-grant")
    for i in range(n):
        d = services.disbursement_create(
            budget_line=line,
            amount=yuan("10"),
            payee_name=f"新增{i}",
            payee_account=str(i),
            actor=maker,
        )
        services.disbursement_submit(disbursement=d, actor=maker)


def test_finance_pages_open_for_the_finance_roles(books, as_user):
    for username in ("finance", "finance_checker", "auditor", "admin", "city_officer"):
        client = as_user(username)
        assert "资金" in page(client, "ledger:home") or username
        lines = page(client, "ledger:budget_line_list")
        assert "2026年科技计划项目经费" in lines
        page(client, "ledger:disbursement_list", query="?status=all")
        page(client, "ledger:repayable_list", query="?overdue=1")
        page(client, "ledger:statement_list")


def test_budget_line_page_shows_committed_paid_available(books, as_user):
    line = BudgetLine.objects.get(code__startswith="2026-KJJH-grant")
    html = page(as_user("finance"), "ledger:budget_line_detail", line.pk)
    # 8,500,000 budget; 2,100,000 committed minus what was paid or approved
    assert "8,500,000.00" in html
    assert "6,400,000.00" in html  # available


def test_the_checker_queue_and_approval(books, as_user):
    checker = as_user("finance_checker")
    html = page(checker, "ledger:disbursement_list")  # checkers start on "waiting"
    submitted = Disbursement.objects.get(status=Disbursement.Status.SUBMITTED)
    assert submitted.number in html
    response = checker.post(
        reverse("ledger:disbursement_detail", args=[submitted.pk]),
        {"action": "approve", CONFIRMED: "1"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Disbursement.Status.APPROVED
    assert submitted.approver.username == "finance_checker"


def test_a_maker_cannot_approve_their_own_disbursement_on_the_page(books, as_user):
    from accounts.models import User

    # given district finance (maker and checker of 西湖区) made and submitted one
    maker = User.objects.get(username="district_finance")
    line = BudgetLine.objects.get(scope_path="/330000/330100/330106/")
    d = services.disbursement_create(
        budget_line=line,
        amount=yuan("1000"),
        payee_name="双浦镇科普站",
        payee_account="1",
        actor=maker,
    )
    services.disbursement_submit(disbursement=d, actor=maker)
    client = as_user("district_finance")
    # when they approve it themselves
    response = client.post(
        reverse("ledger:disbursement_detail", args=[d.pk]),
        {"action": "approve", CONFIRMED: "1"},
        follow=True,
    )
    # then they are told a second person must approve, and nothing changed
    assert "第二人" in response.content.decode() or "second person" in response.content.decode()
    d.refresh_from_db()
    assert d.status == Disbursement.Status.SUBMITTED
    # and the plain finance maker may not approve at all
    assert as_user("finance").post(
        reverse("ledger:disbursement_detail", args=[d.pk]), {"action": "approve"}
    ).status_code in (403, 404)


def test_district_finance_sees_only_its_district(books, as_user):
    client = as_user("district_finance")
    html = page(client, "ledger:budget_line_list")
    assert "西湖区" in html
    city_line = BudgetLine.objects.get(code__startswith="2026-KJJH-grant")
    assert "2026年科技计划项目经费" not in html
    assert client.get(reverse("ledger:budget_line_detail", args=[city_line.pk])).status_code == 404
    city_d = Disbursement.objects.filter(scope_path="/330000/330100/").first()
    assert client.get(reverse("ledger:disbursement_detail", args=[city_d.pk])).status_code == 404


def test_the_auditor_reads_but_cannot_act(books, as_user):
    client = as_user("auditor")
    d = Disbursement.objects.get(status=Disbursement.Status.SUBMITTED)
    html = page(client, "ledger:disbursement_detail", d.pk)
    assert 'value="approve"' not in html
    assert (
        client.post(
            reverse("ledger:disbursement_detail", args=[d.pk]), {"action": "approve"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:ledger_entry_changelist")).status_code == 200


def test_the_applicant_sees_their_own_money(books, as_user):
    html = page(as_user("applicant"), "ledger:my_funding")
    assert "KJ2026-001" in html
    assert "300,000.00" in html  # the first tranche paid
    assert "2,500.00" in html  # the usage fee of the repayable schedule
    assert "KJ2026-002" not in html
    assert "当前应还" in html and "下一期" in html
    assert as_user("applicant").get(reverse("ledger:home")).status_code == 403


def test_reconciliation_workbench(books, as_user):
    client = as_user("finance")
    line = StatementLine.objects.get(status=StatementLine.MatchStatus.AMBIGUOUS)
    html = page(client, "ledger:statement_detail", line.statement_id)
    assert line.bank_reference in html
    target = line.candidates[0]
    client.post(
        reverse("ledger:statement_detail", args=[line.statement_id]),
        {"action": "match", "line": line.pk, "target": target, CONFIRMED: "1"},
    )
    line.refresh_from_db()
    assert line.status == StatementLine.MatchStatus.MATCHED
    unmatched = StatementLine.objects.get(status=StatementLine.MatchStatus.UNMATCHED)
    from ledger.models import RepayableAccount

    account = RepayableAccount.objects.get(borrower_account=unmatched.counterparty_account)
    client.post(
        reverse("ledger:statement_detail", args=[line.statement_id]),
        {"action": "record_repayment", "line": unmatched.pk, "account": account.pk, CONFIRMED: "1"},
    )
    response = client.post(
        reverse("ledger:statement_detail", args=[line.statement_id]),
        {"action": "check"},
        follow=True,
    )
    html = response.content.decode()
    assert "对账平衡" in html or "Reconciled" in html


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["交易日期", "金额", "收付方向", "对方户名", "对方账号", "摘要", "流水号"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "statement.xlsx"
    return buffer


@clock.frozen(dt.datetime(2027, 1, 5, 10, 0))
def test_statement_import_dry_run_then_import(books, as_user):
    # the finance desk's buttons lead to the shared import pages
    client = as_user("finance")
    listing = page(client, "ledger:statement_list")
    assert "/imports/bank_statement/" in listing
    assert client.get(reverse("ledger:statement_import")).url == "/imports/bank_statement/"
    bank = BankAccount.objects.get(scope_path="/330000/330100/")
    options = {
        "options-bank_account": bank.pk,
        "options-period_start": "2026-12-01",
        "options-period_end": "2026-12-31",
        "options-opening_balance": "0",
        "options-closing_balance": "0",
    }
    bad = client.post(
        "/imports/bank_statement/",
        {**options, "file": _xlsx([["2026-12-01", "1.234", "收", "", "", "", "X1"]])},
    )
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "金额" in html and '<td class="num">2</td>' in html
    assert not StatementLine.objects.filter(bank_reference="X1").exists()
    good = client.post(
        "/imports/bank_statement/",
        {**options, "file": _xlsx([["2026-12-01", "1.23", "收", "", "", "", "X1"]])},
    )
    assert not StatementLine.objects.filter(bank_reference="X1").exists()  # checked only
    committed = client.post(
        "/imports/bank_statement/commit/", {"token": good.context["token"]}, follow=True
    )
    assert committed.status_code == 200
    assert "已匹配" in committed.content.decode()  # what the matching found
    assert StatementLine.objects.filter(bank_reference="X1").exists()
    template = client.get(reverse("ledger:statement_template"), follow=True)
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_bank_accounts_offered_are_those_the_user_may_import_into(books, as_user):
    from ledger.models import BankAccount

    city = as_user("finance").get("/imports/bank_statement/")
    offered = city.context["options_form"].fields["bank_account"].queryset
    assert set(offered) == set(BankAccount.objects.filter(scope_path__startswith="/330000/330100/"))
    assert as_user("finance_checker").get("/imports/bank_statement/").status_code == 403
    assert as_user("auditor").get("/imports/repayments/").status_code == 403


def test_the_imports_menu_shows_for_finance_and_still_for_officers(books, as_user):
    for username in ("finance", "district_officer", "city_officer", "admin"):
        assert 'href="/imports/"' in page(as_user(username), "home"), username
    index = page(as_user("finance"), "imports:index")
    assert "/imports/bank_statement/" in index and "/imports/repayments/" in index
    assert "/imports/organisations/" not in index
    assert 'href="/imports/"' not in page(as_user("auditor"), "home")


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("ledger:disbursement_list", "?status=submitted"),
        ("ledger:budget_line_list", ""),
        ("ledger:repayable_list", "?overdue=1"),
        ("ledger:statement_list", ""),
        ("ledger:home", ""),
    ],
)
def test_list_pages_query_counts_are_pinned(books, as_user, django_assert_num_queries, name, query):
    client = as_user("finance_checker")
    client.get(reverse(name) + query)  # warm the session
    with django_assert_num_queries(PINNED[name]):
        page(client, name, query=query)
    more_disbursements(30)
    with django_assert_num_queries(PINNED[name]):
        page(client, name, query=query)


PINNED = {
    # each page + 1: the unread count of the inbox in the top bar (one COUNT, flat)
    "ledger:disbursement_list": 12,
    "ledger:budget_line_list": 11,  # + the permission to create a line (Django's backend: 2)
    "ledger:repayable_list": 12,  # + the permission to import repayments (Django's backend)
    "ledger:statement_list": 11,
    "ledger:home": 10,
}


def test_home_page_queues_for_the_checker_and_the_maker(books, as_user):
    submitted = Disbursement.objects.get(status=Disbursement.Status.SUBMITTED)
    checker_home = page(as_user("finance_checker"), "home")
    assert "待我审核的拨付单" in checker_home
    assert submitted.number in checker_home
    maker_home = page(as_user("finance"), "home")
    assert "已审核、待银行支付的拨付单" in maker_home
    assert "逾期的有偿使用资金" in maker_home


@pytest.mark.parametrize("posted", ["abc", "²", "1" * 40, ""])
def test_a_posted_id_that_is_no_number_is_a_404_not_a_500(books, as_user, posted):
    # given the finance desk's pages of the demo's books
    from ledger.models import BankStatement, BudgetLine, RepayableAccount

    line = BudgetLine.objects.filter(scope_path="/330000/330100/").first()
    account = RepayableAccount.objects.order_by("pk").first()
    statement = BankStatement.objects.order_by("pk").first()
    # when a form posts an id that is not a number (a typed URL, a tampered form)
    posts = [
        (
            "finance_checker",
            reverse("ledger:budget_line_detail", args=[line.pk]),
            {"action": "approve_adjustment", "adjustment": posted},
        ),
        (
            "finance_checker",
            reverse("ledger:repayable_detail", args=[account.pk]),
            {"action": "approve_reschedule", "change": posted},
        ),
        (
            "finance",
            reverse("ledger:statement_detail", args=[statement.pk]),
            {"action": "ignore", "line": posted},
        ),
        (
            "finance",
            reverse("award_indicators"),
            {"action": "issue", "call": posted, "district": posted},
        ),
    ]
    # then each answer is "not found", never a server error
    for username, url, data in posts:
        assert as_user(username).post(url, data).status_code == 404, url


@pytest.mark.parametrize("username", ["finance_checker", "finance"])
def test_home_page_query_count_is_flat_as_the_queues_fill(
    books, as_user, django_assert_num_queries, username
):
    # given the finance desk's home page with a queue of one or two disbursements
    from accounts.models import User

    client = as_user(username)
    client.get(reverse("home"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        page(client, "home")
    # when 30 more wait for the checker and 12 more for the bank: both queues full
    more_disbursements(30)
    checker = User.objects.get(username="finance_checker")
    for d in Disbursement.objects.filter(status=Disbursement.Status.SUBMITTED)[:12]:
        services.disbursement_approve(disbursement=d, actor=checker)
    # then the page runs the same queries (the total comes with the first rows)
    with django_assert_num_queries(len(few.captured_queries)):
        html = page(client, "home")
    waiting = Disbursement.objects.filter(status=Disbursement.Status.SUBMITTED).count()
    approved = Disbursement.objects.filter(status=Disbursement.Status.APPROVED).count()
    assert waiting > 10 and approved > 10
    shown = waiting if username == "finance_checker" else approved
    assert f'<span class="badge">{shown}</span>' in html  # the whole queue, not the 10 shown
