"""Issue 7 acceptance 3 for the 银行流水 (bank statement) import: one bad row imports
nothing and is named (row, column, reason); the corrected file imports every line and
matches what it can; the same file again is refused row by row and stores nothing twice
(docs/decisions.md: a statement is one bank document, not a set of loose rows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core import clock, importing
from ledger.models import BankStatement, Disbursement, StatementLine
from tests.ledger import conftest as ledger
from tests.ledger.conftest import CITY_BANK, city_bank

from .conftest import xlsx

pytestmark = pytest.mark.django_db

# the demo's books and the city's finance officer
books, finance = ledger.books, ledger.finance

HEADER = ["交易日期", "金额", "收付方向 (收/付)", "对方户名", "对方账号", "摘要", "流水号"]


def options(closing: str = "0") -> dict[str, object]:
    return {
        "bank_account": city_bank(),
        "opening_balance": Decimal("0"),
        "closing_balance": Decimal(closing),
    }


def december(approved: Disbursement) -> list[list[object]]:
    return [
        ["2026-12-01", "2,000.00", "收", "杭州西湖智慧农业科技有限公司", "", "还款", "DEC-001"],
        [
            "2026-12-02",
            f"{approved.amount_yuan:,.2f}",
            "付",
            approved.payee_name,
            approved.payee_account,
            f"拨付 {approved.number}",
            "DEC-002",
        ],
        ["2026-12-03", "35.50", "付", "中国工商银行", "", "手续费", "DEC-003"],
    ]


def test_one_bad_row_imports_nothing_the_corrected_file_everything_and_again_nothing(finance):
    importer = importing.get_importer("bank_statement")
    approved = Disbursement.objects.filter(status=Disbursement.Status.APPROVED).first()
    before = StatementLine.objects.count()
    bad = december(approved)
    bad[1][2] = "转账"  # neither 收 nor 付

    outcome = importing.import_file(importer, xlsx(bad, HEADER), actor=finance, options=options())

    assert not outcome.committed
    (error,) = outcome.errors
    assert (error.row, error.column) == (3, "收付方向 (收/付)")
    assert "转账" in error.reason and "收" in error.reason
    assert StatementLine.objects.count() == before

    # corrected: every line is stored and matched where it can be
    outcome = importing.import_file(
        importer, xlsx(december(approved), HEADER), actor=finance, options=options()
    )

    assert outcome.committed, outcome.errors
    assert outcome.summary.created == 3 and outcome.summary.matched >= 1
    statement = BankStatement.objects.get(lines__bank_reference="DEC-001")
    assert statement.lines.count() == 3
    assert (statement.period_start, statement.period_end) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 3),
    )
    approved.refresh_from_db()
    assert approved.status == Disbursement.Status.RECONCILED  # paid and matched by its number

    # and the same file again stores nothing twice: each line already in is named
    outcome = importing.import_file(
        importer, xlsx(december(approved), HEADER), actor=finance, options=options()
    )

    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "流水号"),
        (3, "流水号"),
        (4, "流水号"),
    ]
    assert StatementLine.objects.count() == before + 3
    assert BankStatement.objects.filter(lines__bank_reference="DEC-001").count() == 1


def test_dates_and_amounts_as_people_write_them(finance):
    rows = [
        ["2026/3/5", "1,234.50元", "收", "", "", "", "V1"],
        ["2026年3月5日", 1234.5, "收入", "", "", "", "V2"],
        [dt.datetime(2026, 3, 5), "￥1 234.50", "贷", "", "", "", "V3"],
        [46086, " 1234.5 ", "credit", "", "", "", "V4"],  # an Excel serial date: 2026-03-05
    ]
    outcome = importing.dry_run(
        importing.get_importer("bank_statement"),
        xlsx(rows, HEADER),
        actor=finance,
        options=options(),
    )
    assert outcome.errors == []
    assert {(r["txn_date"], r["amount"], r["direction"]) for r in outcome.result.rows} == {
        (dt.date(2026, 3, 5), 123_450, StatementLine.Direction.IN)
    }


def test_english_code_names_are_accepted_as_headers(finance):
    header = [column.code for column in importing.get_importer("bank_statement").columns]
    rows = [["2026-03-05", "10", "付", "某公司", "3301-0400-1234", "", "E1"]]
    outcome = importing.dry_run(
        importing.get_importer("bank_statement"),
        xlsx(rows, header),
        actor=finance,
        options=options(),
    )
    assert outcome.errors == []
    assert outcome.result.rows[0]["counterparty_account"] == "330104001234"


@clock.frozen(dt.datetime(2026, 12, 10, 10, 0))
def test_the_command_line_imports_a_statement_as_the_user(finance, tmp_path, capsys):
    path = Path(tmp_path) / "流水.xlsx"
    rows = [
        ["2026-12-05", "10", "收", "", "", "", "CLI-1"],
        ["2026-12-06", "3", "付", "", "", "", "CLI-2"],
    ]
    path.write_bytes(xlsx(rows, HEADER).getvalue())
    args = ["--kind", "bank_statement", str(path), "--as", "finance", "--commit"]
    args += ["--option", f"bank_account={CITY_BANK}", "--option", "opening_balance=0"]

    with pytest.raises(CommandError) as missing:
        call_command("import_xlsx", *args)  # no closing balance
    assert missing.value.returncode == 2

    call_command("import_xlsx", *args, "--option", "closing_balance=7")

    assert StatementLine.objects.filter(bank_reference__startswith="CLI-").count() == 2
    assert "2" in capsys.readouterr().out
    with pytest.raises(CommandError) as again:
        call_command("import_xlsx", *args, "--option", "closing_balance=7")
    assert again.value.returncode == 1
    assert StatementLine.objects.filter(bank_reference__startswith="CLI-").count() == 2
