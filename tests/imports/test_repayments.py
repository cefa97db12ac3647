"""Issue 7 acceptance 3 for the 还款 (repayments) import: one bad row imports nothing and
is named (row, column, reason); the corrected file records every repayment; the same
file again records nothing twice. The services' own refusals (more than is owed, an
account that takes no repayment) show in the dry run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core import importing
from ledger.models import RepayableAccount, Repayment
from ledger.verify import verify_ledger
from tests.ledger import conftest as ledger
from tests.ledger.conftest import city_bank

from .conftest import xlsx

pytestmark = pytest.mark.django_db

# the demo's books and the city's finance officer
books, finance = ledger.books, ledger.finance

HEADER = ["项目编号", "还款日期", "还款金额", "流水号"]


def run(rows, actor, *, commit=True, header=HEADER):
    action = importing.import_file if commit else importing.dry_run
    return action(
        importing.get_importer("repayments"),
        xlsx(rows, header),
        actor=actor,
        options={"bank_account": city_bank()},
    )


GOOD = [
    ["KJ2026-YC-001", "2026-11-21", "10,000.00", "HKIMP-001"],
    ["KJ2026-YC-002", "2026/11/21", "1000元", "HKIMP-002"],
    ["kj2026-yc-003", "2026年11月22日", 800, "HKIMP-003"],
]


def test_one_bad_row_imports_nothing_the_corrected_file_everything_and_again_nothing(finance):
    before = Repayment.objects.count()
    bad = [GOOD[0], ["KJ2099-YC-999", "2026-11-21", "1000", "HKIMP-002"], GOOD[2]]

    outcome = run(bad, finance)

    assert not outcome.committed
    (error,) = outcome.errors
    assert (error.row, error.column) == (3, "项目编号")
    assert "KJ2099-YC-999" in error.reason
    assert Repayment.objects.count() == before

    # corrected: every row is recorded, allocated by the ledger
    outcome = run(GOOD, finance)

    assert outcome.committed, outcome.errors
    assert (outcome.summary.created, outcome.summary.unchanged) == (3, 0)
    recorded = Repayment.objects.filter(bank_reference__startswith="HKIMP-").order_by(
        "bank_reference"
    )
    assert [(r.account.project_ref, r.amount_fen, r.value_date) for r in recorded] == [
        ("KJ2026-YC-001", 1_000_000, dt.date(2026, 11, 21)),
        ("KJ2026-YC-002", 100_000, dt.date(2026, 11, 21)),
        ("KJ2026-YC-003", 80_000, dt.date(2026, 11, 22)),
    ]
    assert all(r.bank_account == city_bank() and r.recorded_by == finance for r in recorded)
    assert verify_ledger().ok

    # and the same file again records nothing twice
    outcome = run(GOOD, finance)

    assert outcome.committed
    assert (outcome.summary.created, outcome.summary.unchanged) == (0, 3)
    assert Repayment.objects.count() == before + 3


def test_dates_and_amounts_as_people_write_them(finance):
    rows = [
        ["KJ2026-YC-001", dt.datetime(2026, 11, 21), "1,234.50元", "V1"],
        ["KJ2026-YC-001", "2026/11/21", 1234.5, "V2"],
        ["KJ2026-YC-001", "2026年11月21日", "￥1 234.50", "V3"],
        ["KJ2026-YC-001", 46347, " 1234.50 ", "V4"],  # an Excel serial date: 2026-11-21
    ]
    outcome = run(rows, finance, commit=False)
    assert outcome.errors == []
    assert {(r["value_date"], r["amount"]) for r in outcome.result.rows} == {
        (dt.date(2026, 11, 21), 123_450)
    }
    refused = run(
        [
            ["KJ2026-YC-001", "2026-02-30", "100", "W1"],
            ["KJ2026-YC-001", "2026-11-21", "12.345", "W2"],
            ["KJ2026-YC-001", "2026-11-21", "1,23.4", "W3"],
        ],
        finance,
        commit=False,
    )
    assert [(e.row, e.column) for e in refused.errors] == [
        (2, "还款日期"),
        (3, "还款金额"),
        (4, "还款金额"),
    ]


def test_the_dry_run_reports_what_the_ledger_refuses(finance):
    rows = [
        ["KJ2026-YC-001", "2026-11-21", "100", "D1"],
        ["KJ2026-YC-002", "2026-11-21", "99,000,000.00", "D2"],  # far more than is owed
    ]
    outcome = run(rows, finance, commit=False)

    assert [(e.row, e.column) for e in outcome.errors] == [(3, "还款金额")]
    assert "应还" in outcome.errors[0].reason or "owed" in outcome.errors[0].reason
    assert not Repayment.objects.filter(bank_reference__in=["D1", "D2"]).exists()


def test_a_reference_recorded_with_other_figures_is_refused(finance):
    assert run([["KJ2026-YC-001", "2026-11-21", "100", "S1"]], finance).committed

    outcome = run([["KJ2026-YC-001", "2026-11-21", "200", "S1"]], finance)

    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "流水号")]
    assert Repayment.objects.get(bank_reference="S1").amount_fen == 10_000


def test_a_reference_recorded_outside_the_area_is_refused_without_describing_it(finance):
    from accounts.models import User

    first = run([["KJ2026-YC-001", "2026-11-21", "100", "S2"]], finance)
    assert first.committed
    # a district's own account (moved into 西湖区 for the test)
    RepayableAccount.objects.filter(project_ref="KJ2026-YC-002").update(
        scope_path="/330000/330100/330106/"
    )
    district = User.objects.get(username="district_finance")

    outcome = run([["KJ2026-YC-002", "2026-11-21", "100", "S2"]], district)

    (error,) = outcome.errors
    assert (error.row, error.column) == (2, "流水号")
    city_account = RepayableAccount.objects.get(project_ref="KJ2026-YC-001")
    assert city_account.number not in error.reason
    assert city_account.borrower_name not in error.reason


def test_accounts_that_take_no_repayment_and_accounts_outside_the_area(finance):
    from accounts.models import User

    RepayableAccount.objects.filter(project_ref="KJ2026-YC-003").update(
        status=RepayableAccount.Status.REPAID
    )
    written_off = RepayableAccount.objects.get(project_ref="KJ2024-YC-003")
    outcome = run(
        [
            ["KJ2026-YC-003", "2026-11-21", "100", "T1"],
            ["KJ2024-YC-003", "2026-11-21", "100", "T2"],  # recovered after the write-off
        ],
        finance,
    )
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "项目编号")]
    recovery = run([["KJ2024-YC-003", "2026-11-21", "100", "T2"]], finance)
    assert recovery.committed
    assert Repayment.objects.get(bank_reference="T2").recovery_fen == 10_000

    # the district's finance bureau does not even learn that the city's account exists
    district = User.objects.get(username="district_finance")
    outside = run([["KJ2024-YC-003", "2026-11-21", "100", "T3"]], district)
    assert [(e.row, e.column) for e in outside.errors] == [(2, "项目编号")]
    assert written_off.number not in outside.errors[0].reason


def test_the_command_line_names_the_bank_by_its_account_number(finance, tmp_path, capsys):
    path = Path(tmp_path) / "还款.xlsx"
    path.write_bytes(xlsx(GOOD, HEADER).getvalue())
    args = ["--kind", "repayments", str(path), "--as", "finance"]
    args += ["--option", "bank_account=1202 0210 0900 0012 345"]

    call_command("import_xlsx", *args, "--commit")

    assert Repayment.objects.filter(bank_reference__startswith="HKIMP-").count() == 3
    assert "3" in capsys.readouterr().out
    with pytest.raises(CommandError) as refused:
        call_command("import_xlsx", *args[:-1], "bank_account=0000")
    assert refused.value.returncode == 2


def test_a_repayment_dated_far_ahead_or_far_back_is_refused_naming_the_bound(finance):
    # given files with a typo'd year (9999-12-31 once accrued 747,924,069.24 yuan of
    # overdue fee on a 500,000.00 loan), a date ahead, and one before the money went out
    before = Repayment.objects.count()
    paid_out = RepayableAccount.objects.get(project_ref="KJ2026-YC-002")
    out = paid_out.disbursements.order_by("paid_on").first().paid_on
    cases = [
        ("9999-12-31", ["9999-12-31", "2100"]),
        ("2099-01-01", ["2099-01-01", "今天"]),
        ("1900-01-01", ["1900-01-01", out.isoformat(), "资金拨出日"]),
    ]
    for typed, named in cases:
        # when it is checked and imported
        outcome = run([["KJ2026-YC-002", typed, "1000", f"HKBOUND-{typed}"]], finance)
        # then nothing is recorded and the row names its column and the bound it crosses
        assert not outcome.committed
        (error,) = outcome.errors
        assert (error.row, error.column) == (2, "还款日期")
        assert all(text in error.reason for text in named), error.reason
    assert Repayment.objects.count() == before
