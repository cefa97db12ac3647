"""Acceptance 6: a bank statement with matched, ambiguous and unmatched lines, imported
through the shared import framework (the 银行流水 kind of ``ledger.xlsx``)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from core import importing
from ledger import selectors, services
from ledger.errors import LedgerError
from ledger.models import BankStatement, Disbursement, Repayment, StatementLine

from .conftest import D, disbursed, yuan
from .test_repayable import open_and_pay

pytestmark = pytest.mark.django_db

HEADER = ["交易日期", "金额", "收付方向", "对方户名", "对方账号", "摘要", "流水号"]


def workbook(rows, header=HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def statement_options(bank, opening="0", closing="0", **period):
    return {
        "bank_account": bank,
        "opening_balance": yuan(opening),
        "closing_balance": yuan(closing),
        **period,
    }


def importer():
    return importing.get_importer("bank_statement")


def test_the_dry_run_lists_every_bad_row_and_imports_nothing(bank, maker):
    outcome = importing.dry_run(
        importer(),
        workbook(
            [
                ["2026-04-01", "1,000.00", "收", "甲", "1", "", "OK-1"],
                ["2026-13-01", "12.345", "X", "乙", "2", "", "BAD-1"],
                ["2026/4/2", "-5", "付", "丙", "3", "", "BAD-2"],
                ["2026年4月3日", "", "付", "丁", "4", "", ""],
                ["2026-04-04", "5", "付", "戊", "5", "", "OK-1"],
            ]
        ),
        actor=maker,
        options=statement_options(bank),
    )
    assert not outcome.result.ok
    found = {(e.row, e.column) for e in outcome.errors}
    assert found == {
        (3, "交易日期"),
        (3, "金额"),
        (3, "收付方向"),
        (4, "金额"),
        (5, "金额"),
        (5, "流水号"),
        (6, "流水号"),
    }
    assert StatementLine.objects.count() == 0
    texts = [str(e) for e in outcome.errors]
    assert any("第3行" in t or "Row 3" in t for t in texts)


def test_dates_amounts_and_english_headers_people_use_are_read(bank, maker):
    result = importer().read(
        workbook(
            [
                [D(2026, 4, 1), 1234.5, "收入", " 甲 ", "6222 0000 1111", "x", "A1"],
                ["2026/4/2", "1,000.00元", "付", "乙", "", "", "A2"],
                ["2026年4月3日", "￥300", "out", "", "", "", " A3 "],
                [46115, "5", "in", "", "", "", "A4"],
            ],
            header=[
                "txn_date",
                "amount",
                "direction",
                "counterparty_name",
                "counterparty_account",
                "memo",
                "bank_reference",
            ],
        )
    )
    assert result.errors == []
    assert [(r["txn_date"], r["amount"], r["direction"]) for r in result.rows] == [
        (D(2026, 4, 1), 123450, "in"),
        (D(2026, 4, 2), 100000, "out"),
        (D(2026, 4, 3), 30000, "out"),
        (D(2026, 4, 3), 500, "in"),
    ]
    assert result.rows[0]["counterparty_name"] == "甲"
    assert result.rows[0]["counterparty_account"] == "622200001111"
    assert result.rows[2]["bank_reference"] == "A3"


def test_the_template_downloads_with_the_chinese_headers():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(importer().template())).active
    assert [c.value for c in sheet[1]] == HEADER


def test_a_statement_imported_again_is_refused_row_by_row(bank, maker):
    rows = [
        ["2026-04-01", "10", "收", "", "", "", "Z1"],
        ["2026-04-02", "20", "收", "", "", "", "Z2"],
    ]
    first = importing.import_file(
        importer(), workbook(rows), actor=maker, options=statement_options(bank, closing="30")
    )
    assert first.committed and first.summary.created == 2

    again = importing.import_file(
        importer(),
        workbook([*rows, ["2026-04-03", "5", "付", "", "", "", "Z3"]]),
        actor=maker,
        options=statement_options(bank, closing="25"),
    )

    assert not again.committed
    assert [(e.row, e.column) for e in again.errors] == [(2, "流水号"), (3, "流水号")]
    assert "2026-04-01" in again.errors[0].reason  # names the statement it is in
    assert StatementLine.objects.count() == 2 and BankStatement.objects.count() == 1


def test_the_period_defaults_to_the_transactions_and_refuses_rows_outside_it(bank, maker):
    rows = [
        ["2026-04-03", "10", "收", "", "", "", "P1"],
        ["2026-04-28", "20", "收", "", "", "", "P2"],
    ]
    outside = importing.dry_run(
        importer(),
        workbook(rows),
        actor=maker,
        options=statement_options(bank, period_start=D(2026, 4, 1), period_end=D(2026, 4, 15)),
    )
    assert [(e.row, e.column) for e in outside.errors] == [(3, "交易日期")]

    outcome = importing.import_file(
        importer(), workbook(rows), actor=maker, options=statement_options(bank, closing="30")
    )

    statement = BankStatement.objects.get()
    assert outcome.committed
    assert (statement.period_start, statement.period_end) == (D(2026, 4, 3), D(2026, 4, 28))


def test_a_refusal_of_the_service_is_a_problem_of_the_whole_file(bank):
    outcome = importing.import_file(
        importer(),
        workbook([["2026-04-01", "10", "收", "", "", "", "N1"]]),
        actor=None,  # the command line without --as: nobody to answer for the statement
        options=statement_options(bank),
    )
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(0, "—")]
    assert not StatementLine.objects.exists()


def test_matched_ambiguous_and_unmatched_lines(line, maker, checker, bank):
    # given: the repayable line's borrower owes a fee on 04-01 (repayment recorded)
    repayable_line = services.budget_line_create(
        year=2026,
        funding_source="sci_tech",
        instrument="repayable",
        programme_code="KJJH",
        name="有偿使用资金",
        scope_path=line.scope_path,
        amount=yuan("500000"),
        value_date=D(2026, 1, 2),
        actor=maker,
    )
    loan = open_and_pay(repayable_line, maker, checker, bank)
    fee = services.repayment_record(
        account=loan,
        amount=yuan("600"),
        value_date=D(2026, 4, 1),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-0401",
    )
    # an approved payment whose number the bank puts in the memo
    a = disbursed(line, maker, checker, "180000", payee_name="杭州西湖智慧农业科技有限公司")
    # a paid one whose 流水号 is known
    b = disbursed(line, maker, checker, "50000", payee_name="湖州师范学院", payee_account="9")
    services.disbursement_pay(
        disbursement=b,
        bank_account=bank,
        paid_on=D(2026, 4, 8),
        bank_reference="ICBC-B",
        actor=maker,
    )
    # two approved payments of the same amount to the same cooperative
    c1 = disbursed(
        line,
        maker,
        checker,
        "20000",
        payee_name="德清县五四村果蔬专业合作社",
        payee_account="3305 2100 7777",
    )
    c2 = disbursed(
        line,
        maker,
        checker,
        "20000",
        payee_name="德清县五四村果蔬专业合作社",
        payee_account="3305 2100 7777",
    )
    opening = services.ledger_bank_balance(bank, D(2026, 3, 31))
    lines = [
        [
            "2026-04-01",
            "600.00",
            "收",
            loan.borrower_name,
            loan.borrower_account,
            "占用费",
            "HK-0401",
        ],
        [
            "2026-04-05",
            "180,000.00",
            "付",
            a.payee_name,
            a.payee_account,
            f"拨付 {a.number}",
            "ICBC-A",
        ],
        ["2026-04-08", "50,000.00", "付", "湖州师范学院", "9", "", "ICBC-B"],
        [
            "2026-04-10",
            "20,000.00",
            "付",
            "德清县五四村果蔬专业合作社",
            "330521007777",
            "",
            "ICBC-C",
        ],
        [
            "2026-04-20",
            "1,000.00",
            "收",
            loan.borrower_name,
            loan.borrower_account,
            "还款",
            "ICBC-D",
        ],
    ]
    closing = opening + 60_000 - 18_000_000 - 5_000_000 - 2_000_000 + 100_000
    # when it is imported
    outcome = importing.import_file(
        importer(),
        workbook(lines),
        actor=maker,
        options={
            "bank_account": bank,
            "period_start": D(2026, 4, 1),
            "period_end": D(2026, 4, 30),
            "opening_balance": Decimal(opening) / 100,
            "closing_balance": Decimal(closing) / 100,
        },
    )
    assert outcome.committed, outcome.errors
    statement = BankStatement.objects.get(bank_account=bank)
    # then three lines are matched, one waits for a person, one is unmatched
    summary = outcome.summary
    assert (summary.created, summary.matched, summary.ambiguous, summary.unmatched) == (5, 3, 1, 1)
    assert "3" in str(summary) and "1" in str(summary)
    by_ref = {s.bank_reference: s for s in statement.lines.all()}
    assert by_ref["HK-0401"].repayment == fee
    assert by_ref["ICBC-A"].disbursement == a
    assert by_ref["ICBC-B"].disbursement == b
    a.refresh_from_db()
    assert a.status == Disbursement.Status.RECONCILED and a.bank_reference == "ICBC-A"
    assert Repayment.objects.get(pk=fee.pk).reconciled
    ambiguous = by_ref["ICBC-C"]
    assert ambiguous.status == StatementLine.MatchStatus.AMBIGUOUS
    assert sorted(ambiguous.candidates) == sorted(
        [f"disbursement:{c1.pk}", f"disbursement:{c2.pk}"]
    )
    c1.refresh_from_db()
    assert c1.status == Disbursement.Status.APPROVED  # nothing paid while a person decides
    assert by_ref["ICBC-D"].status == StatementLine.MatchStatus.UNMATCHED
    # and the closing balance check names the difference
    check = services.statement_check_balance(statement=statement, actor=maker)
    assert not check.ok
    assert check.difference_fen == -2_000_000 + 100_000
    assert "19,000.00" in check.message and "-" in check.message

    # when a person settles the ambiguous line and records the unmatched receipt
    services.statement_line_match(line=ambiguous, disbursement=c1, actor=checker)
    services.statement_line_record_repayment(line=by_ref["ICBC-D"], account=loan, actor=maker)
    # then everything is matched and the statement agrees with the books
    assert not statement.lines.exclude(status=StatementLine.MatchStatus.MATCHED).exists()
    c1.refresh_from_db()
    c2.refresh_from_db()
    assert c1.status == Disbursement.Status.RECONCILED
    assert c2.status == Disbursement.Status.APPROVED
    check = services.statement_check_balance(statement=statement, actor=maker)
    assert check.ok, check.message
    assert check.difference_fen == 0


def test_a_statement_that_does_not_add_up_is_named(bank, maker):
    outcome = importing.import_file(
        importer(),
        workbook([["2026-04-01", "10", "收", "", "", "", "Z1"]]),
        actor=maker,
        options=statement_options(bank, closing="11"),
    )
    assert outcome.committed
    statement = BankStatement.objects.get()
    check = services.statement_check_balance(statement=statement, actor=maker)
    assert not check.ok
    assert "10.00" in check.message and "11.00" in check.message


def out_row(row_no, day, d, reference, memo=""):
    """A payment out of the bank of ``d``'s amount to ``d``'s payee."""
    return services.StatementRow(
        row_no=row_no,
        txn_date=day,
        amount_fen=d.amount_fen,
        direction=StatementLine.Direction.OUT,
        counterparty_name=d.payee_name,
        counterparty_account=d.payee_account,
        memo=memo,
        bank_reference=reference,
    )


def import_rows(bank, maker, rows):
    days = [r.txn_date for r in rows]
    return services.statement_import(
        bank_account=bank,
        rows=rows,
        period_start=min(days),
        period_end=max(days),
        opening_balance=Decimal(0),
        closing_balance=Decimal(0),
        actor=maker,
    )


def test_a_bank_line_dated_before_the_approval_is_not_its_payment(line, maker, checker, bank):
    # given a disbursement approved in 2026
    d = disbursed(line, maker, checker, "180000", approved_on=D(2026, 3, 1))
    # when a statement of 2024 holds a payment of that amount to that payee, and another
    # line of 2024 even names the disbursement in its memo
    statement, report = import_rows(
        bank,
        maker,
        [
            out_row(2, D(2024, 6, 30), d, "ICBC-2024-1"),
            out_row(3, D(2024, 7, 1), d, "ICBC-2024-2", memo=f"拨付 {d.number}"),
        ],
    )
    # then neither line matches it: nothing is paid, nothing reconciled
    assert (report.matched, report.ambiguous, report.unmatched) == (0, 0, 2)
    assert [(s.status, s.candidates) for s in statement.lines.order_by("row_no")] == [
        (StatementLine.MatchStatus.UNMATCHED, []),
        (StatementLine.MatchStatus.UNMATCHED, []),
    ]
    d.refresh_from_db()
    assert d.status == Disbursement.Status.APPROVED
    assert d.pay_entry_id is None and d.paid_on is None
    assert services.ledger_bank_balance(bank, D(2026, 12, 31)) == 500_000_000
    # and a person is not offered it, nor can match it by hand
    early = statement.lines.get(bank_reference="ICBC-2024-1")
    assert d not in selectors.open_disbursements_for(early)
    with pytest.raises(LedgerError, match="2024-06-30"):
        services.statement_line_match(line=early, disbursement=d, actor=checker)
    d.refresh_from_db()
    assert d.status == Disbursement.Status.APPROVED


def test_a_match_on_amount_and_payee_alone_waits_for_a_person_before_paying(
    line, maker, checker, bank
):
    # given an approved payment, and a paid one whose bank line carries another 流水号
    approved = disbursed(
        line, maker, checker, "30000", payee_name="湖州师范学院", payee_account="9"
    )
    paid = disbursed(line, maker, checker, "40000", payee_name="德清县科学技术协会")
    services.disbursement_pay(
        disbursement=paid,
        bank_account=bank,
        paid_on=D(2026, 4, 2),
        bank_reference="BOOKED-1",
        actor=maker,
    )
    # when the bank's lines of both are matched on amount and counterparty alone
    statement, report = import_rows(
        bank,
        maker,
        [out_row(2, D(2026, 4, 2), paid, "BANK-1"), out_row(3, D(2026, 4, 6), approved, "BANK-2")],
    )
    # then the payment already booked is reconciled
    assert (report.matched, report.ambiguous, report.unmatched) == (1, 1, 0)
    first = statement.lines.get(bank_reference="BANK-1")
    assert first.disbursement == paid and first.method == StatementLine.Method.AMOUNT
    paid.refresh_from_db()
    assert paid.status == Disbursement.Status.RECONCILED and paid.paid_on == D(2026, 4, 2)
    # and the approved one is not paid on a guess: its line waits for a person
    second = statement.lines.get(bank_reference="BANK-2")
    assert second.status == StatementLine.MatchStatus.AMBIGUOUS
    assert second.candidates == [f"disbursement:{approved.pk}"]
    approved.refresh_from_db()
    assert approved.status == Disbursement.Status.APPROVED and approved.pay_entry_id is None
    # when the person confirms it, it is paid on the bank's date and reconciled
    services.statement_line_match(line=second, disbursement=approved, actor=checker)
    approved.refresh_from_db()
    assert approved.status == Disbursement.Status.RECONCILED
    assert (approved.paid_on, approved.bank_reference) == (D(2026, 4, 6), "BANK-2")
    assert approved.pay_entry.value_date == D(2026, 4, 6)
