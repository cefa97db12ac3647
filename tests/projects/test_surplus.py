"""结余 at closing (issue 15 item 5): the 经费决算 per budget item bounded by the money
paid, the 结余 computed, posted due at closing to the fen, returned from a bank statement
line (auto and by a person), refused twice or for another amount, kept (留用) where the
programme says so; ledger_verify clean."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from core import clock
from core.confirm import CONFIRMED
from funding.models import Programme, SurplusRule
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import Account, Entry, StatementLine, SurplusReturn
from ledger.services import Kind, StatementRow
from ledger.verify import verify_ledger
from projects import closing, contracts
from projects.contracts import ContractError
from projects.models import Application, BudgetItem, ClosingSurplus
from reviews import services as reviews
from reviews.models import Panel

from ..conftest import login
from .conftest import refresh, user
from .lifecycle import (
    acceptance_rubric,
    approved_project,
    money,
    panel_through,
    pay,
    signed_contract,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def _verify_clean() -> None:
    call_command("ledger_verify", "--quiet-accounts", stdout=StringIO())
    result = verify_ledger()
    assert result.ok and result.total_debit_fen == result.total_credit_fen


def _line_balance(line, kind: str) -> int:
    return ledger.line_account(line, kind).balance


def _grant_project(books):
    """A 300 000 grant project of 西湖区 (180 000 on signing, 120 000 after acceptance;
    budget: equipment 180 000, materials 120 000), the first tranche paid."""
    application = approved_project(grant="300000.00", repayable="0")
    contract = signed_contract(application)
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        first = contract.tranches.get(seq=1)
        pay(
            contracts.tranche_order(tranche=first, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    return refresh(application), contract


def _request(application, contract, spending):
    with clock.frozen(dt.datetime(2029, 1, 10, 10, 0)):
        return closing.acceptance_request(
            application=refresh(application),
            actor=user("applicant"),
            text="全部完成任务书指标。",
            fund_usage="专款专用。",
            actuals={i.pk: i.target for i in contract.indicators.all()},
            spending=spending,
        )


def _accepted_and_paid(books, application, contract, acceptance):
    with clock.frozen(dt.datetime(2029, 1, 12, 10, 0)):
        panel_through(
            [refresh(application)],
            stage=Panel.Stage.ACCEPTANCE,
            rubric=acceptance_rubric(),
            score={"tasks": "62", "funds": "18", "other": "8"},
        )
        closing.acceptance_finance_record(
            acceptance=acceptance, actor=user("finance"), passed=True, note=""
        )
        reviews.acceptance_conclude(acceptance=acceptance, actor=user("city_officer"))
    assert refresh(application).status == S.ACCEPTED
    with clock.frozen(dt.datetime(2029, 1, 20, 10, 0)):
        last = contract.tranches.get(seq=2)
        pay(
            contracts.tranche_order(tranche=last, actor=user("finance")),
            books["bank"],
            dt.date(2029, 1, 20),
        )


def _close(application):
    with clock.frozen(dt.datetime(2029, 2, 1, 10, 0)):
        return closing.project_close(application=refresh(application), actor=user("city_officer"))


def _statement(books, rows, *, day=dt.date(2029, 2, 10)):
    with clock.frozen(dt.datetime.combine(day, dt.time(18, 0))):
        return ledger.statement_import(
            bank_account=books["bank"],
            rows=rows,
            period_start=day,
            period_end=day,
            opening_balance=D("0"),
            closing_balance=D("0"),
            actor=user("finance"),
        )


def _row(
    n, amount_fen, memo, ref, *, name="杭州西湖智慧农业科技有限公司", day=dt.date(2029, 2, 10)
):
    return StatementRow(
        row_no=n,
        txn_date=day,
        amount_fen=amount_fen,
        direction=StatementLine.Direction.IN,
        counterparty_name=name,
        counterparty_account="",
        memo=memo,
        bank_reference=ref,
    )


def test_spending_above_the_money_paid_is_refused_naming_the_item(world):
    books = money()
    application, contract = _grant_project(books)
    # one item above everything paid or to be paid (300 000) is refused, naming the item
    with pytest.raises(ContractError) as refused:
        _request(application, contract, {"equipment": D("300000.01"), "materials": D("0")})
    message = str(refused.value)
    assert str(BudgetItem("equipment").label) in message and "300,000.00" in message
    # so is an item the 任务书 does not have
    with pytest.raises(ContractError) as foreign:
        _request(application, contract, {"travel": D("10")})
    assert str(BudgetItem("travel").label) in str(foreign.value)
    # the request form tells the applicant the bound: paid so far and paid or to be paid
    html = login("applicant").get(reverse("acceptance_new", args=[application.pk])).content
    assert "180,000.00" in html.decode() and "300,000.00" in html.decode()
    # nothing was written: the application still waits for its request
    assert refresh(application).status == S.IN_PROGRESS
    assert not application.acceptances.exists()


def test_the_surplus_is_computed_posted_at_closing_and_returned_from_the_statement(world):
    books = money()
    application, contract = _grant_project(books)
    acceptance = _request(
        application, contract, {"equipment": D("150000"), "materials": D("100000.50")}
    )
    rows = {r.item: (r.budget_fen, r.spent_fen) for r in acceptance.final_spending.all()}
    assert rows == {"equipment": (18_000_000, 15_000_000), "materials": (12_000_000, 10_000_050)}
    _accepted_and_paid(books, application, contract, acceptance)
    from projects.surplus import surplus_figures

    figures = surplus_figures(acceptance)
    assert figures.paid_fen == 30_000_000 and figures.spent_fen == 25_000_050
    assert figures.surplus_fen == 4_999_950 and figures.rule == SurplusRule.RETURN
    line = contract.budget_line
    expense_before = _line_balance(line, Kind.GRANT_EXPENSE)
    available_before = _line_balance(line, Kind.AVAILABLE)
    disbursed_before = _line_balance(line, Kind.DISBURSED)
    # closing posts the 结余 as a receivable, to the fen, and the project is closed
    assert _close(application).status == S.CLOSED
    record = ClosingSurplus.objects.get(application=application)
    assert (record.paid_fen, record.spent_fen, record.surplus_fen) == (
        30_000_000,
        25_000_050,
        4_999_950,
    )
    due = record.surplus_return
    assert due.amount_fen == 4_999_950 and due.status == SurplusReturn.Status.DUE
    assert due.project_ref == application.number
    assert Account.objects.get(pk=due.account_id).balance == 4_999_950
    assert _line_balance(line, Kind.GRANT_EXPENSE) == expense_before - 4_999_950
    assert due.due_entry.kind == Entry.Kind.SURPLUS_DUE
    # the project page says what is due, under which number
    html = login("city_officer").get(reverse("application_detail", args=[application.pk]))
    assert due.number in html.content.decode() and "49,999.50" in html.content.decode()
    _verify_clean()
    bank_before = Account.objects.get(pk=books["bank"].account_id).balance
    # the bank statement brings it back: matched by the project's number in the memo
    statement, report = _statement(
        books,
        [
            _row(1, 4_999_950, f"退回结余资金 {application.number}", "JY-IN-1"),
            _row(2, 4_999_950, f"退回结余资金 {application.number}", "JY-IN-2"),
        ],
    )
    assert report.matched == 1 and report.unmatched == 1
    first, second = statement.lines.order_by("row_no")
    assert first.status == StatementLine.MatchStatus.MATCHED
    assert first.method == StatementLine.Method.REFERENCE
    due.refresh_from_db()
    assert due.status == SurplusReturn.Status.RETURNED and due.statement_line_id == first.pk
    assert due.returned_on == dt.date(2029, 2, 10)
    # the ledger read back: the receivable cleared, the bank up, the line's money back
    assert Account.objects.get(pk=due.account_id).balance == 0
    assert Account.objects.get(pk=books["bank"].account_id).balance == bank_before + 4_999_950
    assert _line_balance(line, Kind.AVAILABLE) == available_before + 4_999_950
    assert _line_balance(line, Kind.DISBURSED) == disbursed_before - 4_999_950
    # the same money a second time is refused, clearly
    with clock.frozen(dt.datetime(2029, 2, 10, 18, 0)), pytest.raises(LedgerError) as twice:
        ledger.statement_line_match(line=second, surplus=due, actor=user("finance"))
    assert due.number in str(twice.value) and "2029-02-10" in str(twice.value)
    assert refresh_line(second).status == StatementLine.MatchStatus.UNMATCHED
    assert Account.objects.get(pk=books["bank"].account_id).balance == bank_before + 4_999_950
    _verify_clean()


def refresh_line(line: StatementLine) -> StatementLine:
    return StatementLine.objects.get(pk=line.pk)


def test_a_wrong_amount_is_refused_and_a_person_matches_the_right_line(world):
    books = money()
    application, contract = _grant_project(books)
    acceptance = _request(
        application, contract, {"equipment": D("180000"), "materials": D("20000")}
    )
    _accepted_and_paid(books, application, contract, acceptance)
    _close(application)
    due = SurplusReturn.objects.get(project_ref=application.number)
    assert due.amount_fen == 10_000_000
    # one fen short: no candidate for the matching, and a person is refused naming both
    statement, _report = _statement(
        books,
        [
            _row(1, 9_999_999, "退回结余", "JY-W-1"),
            _row(2, 10_000_000, "往来款", "JY-W-2", name="西湖智慧农业"),
        ],
    )
    short, right = statement.lines.order_by("row_no")
    assert short.status == StatementLine.MatchStatus.UNMATCHED
    # the right amount from an unknown name and no reference: offered to a person only
    assert right.status == StatementLine.MatchStatus.AMBIGUOUS
    assert right.candidates == [f"surplus:{due.pk}"]
    with clock.frozen(dt.datetime(2029, 2, 10, 18, 0)), pytest.raises(LedgerError) as wrong:
        ledger.statement_line_match(line=short, surplus=due, actor=user("finance"))
    message = str(wrong.value)
    assert "100,000.00" in message and "99,999.99" in message
    # the district's bank account is not where the city's grant goes back to
    with clock.frozen(dt.datetime(2029, 2, 10, 18, 0)):
        district, _r = ledger.statement_import(
            bank_account=books["district_bank"],
            rows=[_row(1, 10_000_000, f"退回结余 {application.number}", "JY-D-1")],
            period_start=dt.date(2029, 2, 10),
            period_end=dt.date(2029, 2, 10),
            opening_balance=D("0"),
            closing_balance=D("0"),
            actor=user("finance"),
        )
        elsewhere = district.lines.get()
        assert elsewhere.status == StatementLine.MatchStatus.UNMATCHED
        with pytest.raises(LedgerError, match=due.number):
            ledger.statement_line_match(line=elsewhere, surplus=due, actor=user("finance"))
    # finance reads the 决算 and the 结余 on the acceptance page
    client = login("finance")
    html = client.get(reverse("reviews:acceptance", args=[acceptance.pk])).content.decode()
    assert "结余" in html and "100,000.00" in html and due.number in html
    # and matches the line on the reconciliation workbench
    url = reverse("ledger:statement_detail", args=[statement.pk])
    with clock.frozen(dt.datetime(2029, 2, 10, 18, 0)):
        html = client.get(url).content.decode()
        assert f'value="surplus:{due.pk}"' in html
        client.post(
            url,
            {"action": "match", "line": right.pk, "target": f"surplus:{due.pk}", CONFIRMED: "1"},
        )
    due.refresh_from_db()
    assert due.status == SurplusReturn.Status.RETURNED
    assert refresh_line(right).method == StatementLine.Method.MANUAL
    assert Account.objects.get(pk=due.account_id).balance == 0
    _verify_clean()


def test_a_programme_that_lets_the_unit_keep_it_posts_nothing_and_records_it(world):
    books = money()
    Programme.objects.filter(code="KJJH").update(surplus_rule=SurplusRule.KEEP)
    application, contract = _grant_project(books)
    acceptance = _request(
        application, contract, {"equipment": D("100000"), "materials": D("50000")}
    )
    _accepted_and_paid(books, application, contract, acceptance)
    entries = Entry.objects.count()
    expense = _line_balance(contract.budget_line, Kind.GRANT_EXPENSE)
    assert _close(application).status == S.CLOSED
    record = ClosingSurplus.objects.get(application=application)
    assert record.rule == SurplusRule.KEEP and record.surplus_fen == 15_000_000
    assert record.surplus_return is None
    assert not SurplusReturn.objects.filter(project_ref=application.number).exists()
    assert Entry.objects.count() == entries
    assert _line_balance(contract.budget_line, Kind.GRANT_EXPENSE) == expense
    _verify_clean()


def test_all_spent_closes_with_nothing_due(world):
    books = money()
    application, contract = _grant_project(books)
    acceptance = _request(
        application, contract, {"equipment": D("180000"), "materials": D("120000")}
    )
    _accepted_and_paid(books, application, contract, acceptance)
    _close(application)
    record = ClosingSurplus.objects.get(application=application)
    assert record.surplus_fen == 0 and record.surplus_return is None
    assert not SurplusReturn.objects.exists()
