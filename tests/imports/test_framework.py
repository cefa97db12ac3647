"""core.importing: cell parsers, header mapping, row numbers, the registry, and the
all-or-nothing runner, through a small importer defined here."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from core import importing
from core.importing import CellError, Column, CommitSummary, Row

from .conftest import xlsx

D = dt.date


class PaymentsImporter(importing.Importer):
    """A test kind: dates, amounts, a natural key, an option, one service call a row."""

    label = "付款"
    permission = "accounts.add_organisation"
    sheet_name = "付款"
    key = "reference"
    columns = (
        Column("paid_on", "付款日期", importing.date(), required=True),
        Column("amount", "金额", importing.money(), required=True),
        Column("memo", "摘要", importing.text(10)),
        Column("reference", "流水号", importing.text(20, no_spaces=True), required=True),
    )
    example = ({"paid_on": D(2026, 3, 5), "amount": Decimal("1234.50"), "reference": "R1"},)
    dry_run_rehearses_commit = True

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    def options_form(self, data: Any = None, *, actor: Any) -> forms.Form:
        class Options(forms.Form):
            limit_fen = forms.IntegerField(required=False)

        return Options(data, prefix="options")

    def commit_row(self, row: Row, *, actor: Any, options: Any) -> str:
        limit = options.get("limit_fen")
        if limit is not None and row["amount"] > limit:
            raise ValidationError({"amount": "超过限额"})
        self.written.append(dict(row.values))
        return "created"


HEADER = ["付款日期", "金额", "摘要", "流水号"]


@pytest.fixture
def payments():
    importer = PaymentsImporter()
    importing.register("test_payments", importer)
    yield importer
    importing.unregister("test_payments")


def read(importer: importing.Importer, rows, header=HEADER) -> importing.ParseResult:
    return importer.read(xlsx(rows, header))


# --- dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-05",
        "2026/3/5",
        "2026年3月5日",
        "2026.3.5",
        "20260305",
        " 2026-03-05 ",
        "２０２６－０３－０５",
        "2026-03-05 00:00:00",
        46086,  # Excel serial date
        D(2026, 3, 5),  # a real date cell
        dt.datetime(2026, 3, 5, 14, 30),
    ],
)
def test_every_date_variant_is_read(payments, cell):
    result = read(payments, [[cell, "1.00", "", "R1"]])
    assert result.errors == []
    assert result.rows[0]["paid_on"] == D(2026, 3, 5)


@pytest.mark.parametrize("cell", ["2026-02-30", "3/5/2026", "明天", "2026-13-01", 12])
def test_a_non_date_is_refused_in_chinese(payments, cell):
    result = read(payments, [[cell, "1.00", "", "R1"]])
    assert [(e.row, e.column) for e in result.errors] == [(2, "付款日期")]
    assert "日期" in result.errors[0].reason


# --- amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "fen"),
    [
        ("1,234.50", 123450),
        ("1234.5元", 123450),
        ("1,234,567元", 123456700),
        ("￥1,234.50", 123450),
        (" 1 234.50 ", 123450),
        ("１，２３４．５０", 123450),
        (1234.5, 123450),  # an Excel number
        (180000, 18000000),
        ("0.01", 1),
    ],
)
def test_every_amount_variant_is_read_exactly_in_fen(payments, cell, fen):
    result = read(payments, [["2026-03-05", cell, "", "R1"]])
    assert result.errors == []
    assert result.rows[0]["amount"] == fen
    assert isinstance(result.rows[0]["amount"], int)


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("12.345", "分"),  # a fraction of a fen is refused, never rounded
        (12.345, "分"),
        ("1,23.4", "千分位"),
        ("abc", "金额"),
        ("-5", "负"),
        ("0", "大于零"),
    ],
)
def test_a_bad_amount_is_refused_with_a_reason(payments, cell, says):
    result = read(payments, [["2026-03-05", cell, "", "R1"]])
    assert [(e.row, e.column) for e in result.errors] == [(2, "金额")]
    assert says in result.errors[0].reason


# --- headers and rows -------------------------------------------------------------


def test_headers_may_be_code_names_with_stray_spaces_and_notes(payments):
    header = [" paid_on", "金 额", "摘要（选填）", "* 流水号\u3000"]
    result = read(payments, [["2026-03-05", "1", "", "R1"]], header)
    assert result.errors == []
    assert result.headers["amount"] == "金 额"


def test_an_unknown_or_missing_column_is_refused(payments):
    result = read(payments, [["2026-03-05", "1", "R1"]], ["付款日期", "金钱", "流水号"])
    assert {(e.row, e.column) for e in result.errors} == {(1, "金钱"), (1, "金额")}
    assert result.rows == []


def test_row_numbers_are_the_ones_excel_shows(payments):
    # a title line above the header, an empty row in the middle
    rows = [
        ["付款明细（2026年3月）"],
        HEADER,
        ["2026-03-05", "1", "", "R1"],
        [],
        ["2026-03-06", "x", "", "R2"],
    ]
    result = read(payments, rows, header=None)
    assert [(e.row, e.column) for e in result.errors] == [(5, "金额")]
    assert "5" in str(result.errors[0])


def test_duplicates_of_the_key_and_overlong_text_are_row_errors(payments):
    rows = [
        ["2026-03-05", "1", "", "R1"],
        ["2026-03-05", "1", "这段摘要写得实在是太长了一点", "R 1"],
    ]
    result = read(payments, rows)
    assert {(e.row, e.column) for e in result.errors} == {(3, "摘要")}
    result = read(payments, [rows[0], ["2026-03-05", "1", "", "R 1"]])
    assert [(e.row, e.column) for e in result.errors] == [(3, "流水号")]
    assert "2" in result.errors[0].reason


def test_a_file_that_is_not_a_workbook_is_refused(payments):
    result = payments.read(io.BytesIO(b"%PDF-1.4 not a workbook"))
    assert [e.row for e in result.errors] == [0]
    assert "xlsx" in result.errors[0].reason


def test_an_empty_file_is_refused(payments):
    result = read(payments, [])
    assert result.errors and not result.ok


def test_the_template_has_the_headers_an_example_and_notes(payments):
    book = load_workbook(io.BytesIO(payments.template()))
    sheet = book["付款"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["A2"].value == dt.datetime(2026, 3, 5)
    assert len(book.sheetnames) == 2
    # and the template itself reads back cleanly
    book_bytes = io.BytesIO(payments.template())
    result = payments.read(book_bytes)
    assert result.errors == [] and result.rows[0]["amount"] == 123450


# --- running: all or nothing --------------------------------------------------------


@pytest.mark.django_db
def test_the_dry_run_rehearses_the_commit_and_writes_nothing(payments):
    rows = [["2026-03-05", "100", "", "R1"], ["2026-03-05", "900", "", "R2"]]
    outcome = importing.dry_run(
        payments, xlsx(rows, HEADER), actor=None, options={"limit_fen": 50000}
    )
    assert [(e.row, e.column, e.reason) for e in outcome.errors] == [(3, "金额", "超过限额")]
    assert not outcome.committed


@pytest.mark.django_db
def test_a_service_refusal_rolls_back_and_reports_the_row(payments):
    rows = [["2026-03-05", "100", "", "R1"], ["2026-03-05", "900", "", "R2"]]
    outcome = importing.import_file(
        payments, xlsx(rows, HEADER), actor=None, options={"limit_fen": 50000}
    )
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "金额")]


@pytest.mark.django_db
def test_a_good_file_is_committed_with_a_summary(payments):
    rows = [["2026-03-05", "100", "", "R1"], ["2026/3/6", "1,000元", "", "R2"]]
    outcome = importing.import_file(payments, xlsx(rows, HEADER), actor=None)
    assert outcome.summary == CommitSummary(created=2)
    assert [w["amount"] for w in payments.written] == [10000, 100000]


def test_options_are_validated_by_the_importers_form(payments):
    cleaned, errors = importing.clean_options(payments, {"options-limit_fen": "x"}, actor=None)
    assert errors and cleaned == {}
    cleaned, errors = importing.clean_options(payments, {"options-limit_fen": "5"}, actor=None)
    assert cleaned == {"limit_fen": 5} and errors == []


def test_planned_kinds_that_nobody_registered_are_not_available_yet(monkeypatch):
    monkeypatch.delitem(importing._registry, "repayments")
    assert importing.all_kinds()[:5] == [
        "organisations",
        "experts",
        "bank_statement",
        "repayments",
        "scores",
    ]
    with pytest.raises(importing.NotAvailable, match="repayments"):
        importing.get_importer("repayments")
    assert isinstance(importing.get_importer("organisations"), importing.Importer)


def test_identifier_cells_that_excel_turned_into_numbers_are_refused():
    parse = importing.identifier(str.upper, lambda code: None)
    with pytest.raises(CellError, match="文本"):
        parse(3.30106198001011e17)
    assert parse(12345) == "12345"


def test_a_damaged_workbook_is_refused_not_a_crash(payments):
    import zipfile

    good = xlsx([["2026-03-05", "1", "", f"R{i}"] for i in range(50)], HEADER).getvalue()
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]  # cut off in the middle of the rows
            target.writestr(item, data)
    damaged.seek(0)

    result = payments.read(damaged)

    assert [e.row for e in result.errors] == [0]
    assert "损坏" in result.errors[0].reason
    assert result.rows == []


class ScoresLikeImporter(importing.Importer):
    """Columns that depend on an option, as a rubric's criteria would."""

    permission = "accounts.add_organisation"
    key = "number"
    columns = (Column("number", "项目编号", importing.text(20), required=True),)

    def columns_for(self, options: Any) -> list[Column]:
        criteria = options.get("criteria", ())
        return [
            *self.columns,
            *(Column(c, c, importing.number(max_places=1, max_value=30), True) for c in criteria),
        ]


def test_columns_may_depend_on_the_options():
    importer = ScoresLikeImporter()
    options = {"criteria": ["创新性", "可行性"]}
    book = load_workbook(io.BytesIO(importer.template(options)))
    assert [c.value for c in book.worksheets[0][1]] == ["项目编号", "创新性", "可行性"]

    rows = [["XM-1", 25.5, "28"], ["XM-2", "31", 20]]
    result = importer.read(xlsx(rows, ["项目编号", "创新性", "可行性"]), options=options)

    assert result.rows[0]["创新性"] == Decimal("25.5")
    assert [(e.row, e.column) for e in result.errors] == [(3, "创新性")]
    missing = importer.read(xlsx(rows, ["项目编号", "创新性"]), options=options)
    assert [(e.row, e.column) for e in missing.errors] == [(1, "可行性")]
