"""Repayable funding (有偿使用资金): schedule, allocation, overdue fee, aging, 展期, 核销."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from core import clock
from ledger import services
from ledger.errors import LedgerError
from ledger.models import Account, AgingBucket, Instalment, RepayableAccount
from ledger.money import yuan_to_fen

from .conftest import CITY, D, yuan

pytestmark = pytest.mark.django_db


@pytest.fixture
def repayable_line(maker):
    return services.budget_line_create(
        year=2026,
        funding_source="sci_tech",
        instrument="repayable",
        programme_code="KJJH",
        name="科技型企业有偿使用资金",
        scope_path=CITY,
        amount=yuan("2000000"),
        value_date=D(2026, 1, 2),
        actor=maker,
    )


def open_and_pay(line, maker, checker, bank, **overrides):
    params = {
        "budget_line": line,
        "project_ref": "KJ2026-YC-001",
        "borrower_name": "湖州南浔精工机械有限公司",
        "borrower_account": "3305 1111 2222 3333",
        "principal": yuan("120000.00"),
        "start_date": D(2026, 1, 1),
        "term_months": 12,
        "grace_months": 6,
        "period_months": 3,
        "method": RepayableAccount.Method.EQUAL_PRINCIPAL,
        "fee_rate": Decimal("0.02"),
        "overdue_rate": Decimal("0.0005"),
        "actor": maker,
    }
    params.update(overrides)
    account = services.repayable_open(**params)
    with clock.frozen(params["start_date"]):  # approved on the day the money goes out
        d = services.disbursement_create(
            budget_line=line,
            amount=params["principal"],
            payee_name=params["borrower_name"],
            payee_account=params["borrower_account"],
            actor=maker,
            repayable=account,
        )
        services.disbursement_submit(disbursement=d, actor=maker)
        services.disbursement_approve(disbursement=d, actor=checker)
    services.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=params["start_date"],
        bank_reference=f"PAY-{account.number}",
        actor=maker,
    )
    account.refresh_from_db()
    return account


def balances(account):
    return {a.kind: a.normal_balance for a in Account.objects.filter(repayable=account)}


def schedule(account):
    return [
        (i.due_date, i.principal_due_fen, i.fee_due_fen, i.principal_paid_fen, i.fee_paid_fen)
        for i in Instalment.objects.filter(account=account).order_by("seq")
    ]


def age(as_of):
    out = io.StringIO()
    call_command("age_receivables", "--as-of", as_of, stdout=out)
    return out.getvalue()


@clock.frozen(dt.datetime(2027, 6, 30, 10, 0))
def test_worked_example_matches_the_hand_calculation(repayable_line, maker, checker, bank):
    """Hand calculation (all amounts in fen; 1 元 = 100 分):

    Principal 120,000.00 元, from 2026-01-01, term 12 months, grace 6 months, quarterly
    instalments, equal principal, usage fee 2 %/year, overdue fee 0.05 %/day (万分之五).

    Schedule: 4 quarters; principal in the 2 quarters after the grace period,
    12,000,000 / 2 = 6,000,000 each. Fee per quarter = outstanding at its start × 0.02 × 3/12:
      #1 2026-04-01  P 0          fee 12,000,000 × 0.005 = 60,000
      #2 2026-07-01  P 0          fee 60,000
      #3 2026-10-01  P 6,000,000  fee 60,000
      #4 2027-01-01  P 6,000,000  fee  6,000,000 × 0.005 = 30,000

    a) 2026-04-01 pays 600.00 on time: fee #1 60,000; no overdue fee.
    b) #2 is late. Aging on 2026-07-10: 9 days × 60,000 × 0.0005 = 270.
       Paid 2026-07-21 (20 days late): 11 more days × 60,000 × 0.0005 = 330;
       overdue fee in all 600 = 20 × 30. Payment 60,600 → overdue fee 600, fee 60,000.
    c) 2026-10-01 partial payment 3,000,000: fee #3 60,000 first, principal 2,940,000;
       #3 principal unpaid 3,060,000.
    d) Aging on 2026-11-01: 31 days overdue → bucket 31–90;
       overdue fee 3,060,000 × 0.0005 × 31 = 47,430.
    e) 展期 from 2026-12-01 over 6 months, approved by the checker: 30 more days,
       3,060,000 × 0.0005 × 30 = 45,900 (overdue fee receivable 47,430 + 45,900 = 93,330).
       Outstanding principal 3,060,000 + 6,000,000 = 9,060,000; #4's fee (not yet due) is
       dropped. New schedule, 2 quarters: #5 2027-03-01 P 4,530,000 fee 9,060,000 × 0.005 =
       45,300; #6 2027-06-01 P 4,530,000 fee 4,530,000 × 0.005 = 22,650.
    f) #5 is not paid. Write-off dated 2027-04-30 (approved by the checker): fee #5 45,300
       falls due; overdue fee 60 days (03-01 → 04-30) × (4,530,000 + 45,300) × 0.0005 =
       137,259. Written off: principal 9,060,000 + usage fee 45,300 + overdue fee
       (93,330 + 137,259 − 0) = 230,589 → total 9,335,889.
    g) 2027-06-15 the borrower still pays 10,000.00: booked as recovered, 1,000,000.
    """
    account = open_and_pay(repayable_line, maker, checker, bank)
    assert account.status == RepayableAccount.Status.ACTIVE
    assert schedule(account) == [
        (D(2026, 4, 1), 0, 60_000, 0, 0),
        (D(2026, 7, 1), 0, 60_000, 0, 0),
        (D(2026, 10, 1), 6_000_000, 60_000, 0, 0),
        (D(2027, 1, 1), 6_000_000, 30_000, 0, 0),
    ]
    assert balances(account)[Account.Kind.RECEIVABLE] == 12_000_000

    # a) on time
    r = services.repayment_record(
        account=account,
        amount=yuan("600.00"),
        value_date=D(2026, 4, 1),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-A",
    )
    assert (r.penalty_fen, r.fee_fen, r.principal_fen) == (0, 60_000, 0)

    # b) late: aging on 07-10 books 270, payment on 07-21 books 330 more
    age("2026-07-10")
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.OVERDUE
    assert account.days_overdue == 9 and account.aging == AgingBucket.D1_30
    assert balances(account)[Account.Kind.PENALTY_RECEIVABLE] == 270
    age("2026-07-10")  # idempotent for a date
    assert balances(account)[Account.Kind.PENALTY_INCOME] == 270
    r = services.repayment_record(
        account=account,
        amount=yuan("606.00"),
        value_date=D(2026, 7, 21),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-B",
    )
    assert (r.penalty_fen, r.fee_fen, r.principal_fen) == (600, 60_000, 0)
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.ACTIVE

    # c) partial
    r = services.repayment_record(
        account=account,
        amount=yuan("30,000.00"),
        value_date=D(2026, 10, 1),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-C",
    )
    assert (r.penalty_fen, r.fee_fen, r.principal_fen) == (0, 60_000, 2_940_000)

    # d) aging
    age("2026-11-01")
    account.refresh_from_db()
    assert account.days_overdue == 31 and account.aging == AgingBucket.D31_90
    assert balances(account)[Account.Kind.PENALTY_RECEIVABLE] == 47_430

    # e) 展期, requested by the maker, approved by the checker
    reschedule = services.reschedule_request(
        account=account,
        effective_date=D(2026, 12, 1),
        term_months=6,
        reason="企业经营困难，申请展期",
        actor=maker,
    )
    services.reschedule_approve(reschedule=reschedule, actor=checker)
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.RESCHEDULED
    assert balances(account)[Account.Kind.PENALTY_RECEIVABLE] == 93_330
    assert schedule(account) == [
        (D(2026, 4, 1), 0, 60_000, 0, 60_000),
        (D(2026, 7, 1), 0, 60_000, 0, 60_000),
        (D(2026, 10, 1), 2_940_000, 60_000, 2_940_000, 60_000),
        (D(2027, 1, 1), 0, 0, 0, 0),
        (D(2027, 3, 1), 4_530_000, 45_300, 0, 0),
        (D(2027, 6, 1), 4_530_000, 22_650, 0, 0),
    ]

    # f) 核销
    write_off = services.write_off_request(
        account=account,
        value_date=D(2027, 4, 30),
        reason="企业破产清算",
        basis="bankruptcy",
        actor=maker,
        document_no="杭财核〔2027〕5号",
    )
    services.write_off_approve(write_off=write_off, actor=checker)
    write_off.refresh_from_db()
    assert (write_off.principal_fen, write_off.fee_fen, write_off.penalty_fen) == (
        9_060_000,
        45_300,
        230_589,
    )
    assert write_off.total_fen == 9_335_889
    after = balances(account)
    assert after[Account.Kind.WRITE_OFF] == 9_335_889
    assert after[Account.Kind.RECEIVABLE] == 0
    assert after[Account.Kind.FEE_RECEIVABLE] == 0
    assert after[Account.Kind.PENALTY_RECEIVABLE] == 0
    assert after[Account.Kind.USAGE_FEE_INCOME] == 60_000 * 3 + 45_300
    assert after[Account.Kind.PENALTY_INCOME] == 600 + 230_589

    # g) recovery
    r = services.repayment_record(
        account=account,
        amount=yuan("10000"),
        value_date=D(2027, 6, 15),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-G",
    )
    assert r.recovery_fen == 1_000_000
    assert balances(account)[Account.Kind.RECOVERY_INCOME] == 1_000_000
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.WRITTEN_OFF


def test_a_maker_cannot_approve_their_own_write_off_or_reschedule(
    repayable_line, maker, checker, bank
):
    account = open_and_pay(repayable_line, maker, checker, bank)
    reschedule = services.reschedule_request(
        account=account, effective_date=D(2026, 6, 1), term_months=12, reason="展期", actor=maker
    )
    with pytest.raises(LedgerError):
        services.reschedule_approve(reschedule=reschedule, actor=maker)
    write_off = services.write_off_request(
        account=account, value_date=D(2026, 6, 1), reason="核销", basis="dissolved", actor=maker
    )
    with pytest.raises(LedgerError):
        services.write_off_approve(write_off=write_off, actor=maker)
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.ACTIVE
    assert balances(account)[Account.Kind.WRITE_OFF] == 0
    assert len(schedule(account)) == 4


def test_bullet_repayment_and_early_settlement(repayable_line, maker, checker, bank):
    account = open_and_pay(
        repayable_line,
        maker,
        checker,
        bank,
        principal=yuan("10000"),
        grace_months=0,
        method=RepayableAccount.Method.BULLET,
        project_ref="KJ2026-YC-002",
        borrower_account="6222 0000 0001",
    )
    assert [p for _, p, *_ in schedule(account)] == [0, 0, 0, 1_000_000]
    # paying the first fee and all the principal early settles the account
    services.repayment_record(
        account=account,
        amount=yuan("10050"),
        value_date=D(2026, 4, 1),
        bank_account=bank,
        actor=maker,
        bank_reference="EARLY",
    )
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.REPAID
    assert balances(account)[Account.Kind.RECEIVABLE] == 0
    with pytest.raises(LedgerError):
        services.repayment_record(
            account=account,
            amount=yuan("1"),
            value_date=D(2026, 5, 1),
            bank_account=bank,
            actor=maker,
        )


def test_overpayment_is_refused(repayable_line, maker, checker, bank):
    account = open_and_pay(repayable_line, maker, checker, bank)
    with pytest.raises(LedgerError):
        services.repayment_record(
            account=account,
            amount=yuan("130000"),
            value_date=D(2026, 4, 1),
            bank_account=bank,
            actor=maker,
        )


def test_the_exact_overdue_fee_keeps_its_eight_decimals(repayable_line, maker, checker, bank):
    # given an account whose exact overdue fee has 8 decimals of a fen and 9 digits before
    account = open_and_pay(repayable_line, maker, checker, bank)
    account.penalty_exact = Decimal("123456789.12345678")
    account.save()
    # when it is read back from the database (on SQLite a DecimalField is a float there)
    stored = RepayableAccount.objects.get(pk=account.pk)
    # then every decimal is still there
    assert stored.penalty_exact == Decimal("123456789.12345678")
    assert str(stored.penalty_exact) == "123456789.12345678"


def bullet(line, maker, checker, bank, principal, n):
    """One instalment of the whole principal due 2026-04-01, no usage fee, overdue fee
    0.035 % a day."""
    return open_and_pay(
        line,
        maker,
        checker,
        bank,
        principal=yuan(principal),
        term_months=3,
        grace_months=0,
        method=RepayableAccount.Method.BULLET,
        fee_rate=Decimal("0"),
        overdue_rate=Decimal("0.00035"),
        project_ref=f"KJ2026-YC-{n:03d}",
        borrower_account=f"6222 0000 {n:04d}",
    )


@pytest.mark.parametrize(
    ("principal", "exact", "booked"),
    [
        # 1,234,567 × 0.00035 = 432.09845 fen a day; × 40 = 17,283.938 → 17,284
        ("12,345.67", Decimal("17283.938"), 17_284),
        # 1,234,750 × 0.00035 = 432.1625 fen a day; × 40 = 17,286.5 → half up: 17,287
        ("12,347.50", Decimal("17286.5"), 17_287),
    ],
)
def test_the_overdue_fee_accrues_exactly_and_is_booked_rounded_half_up(
    repayable_line, maker, checker, bank, principal, exact, booked
):
    """Aged every day for 40 days or once after 40 days, the books hold the same overdue
    fee: the exact sum rounded half up. Rounding each day would book 432 × 40 = 17,280
    fen; rounding half to even would book 17,286 in the second case."""
    # given two identical accounts whose only instalment fell due on 2026-04-01
    daily = bullet(repayable_line, maker, checker, bank, principal, 1)
    once = bullet(repayable_line, maker, checker, bank, principal, 2)
    assert schedule(daily) == [(D(2026, 4, 1), yuan_to_fen(yuan(principal)), 0, 0, 0)]
    # when one is aged every night from 04-02 to 05-11 and the other only on 05-11
    for n in range(1, 41):
        services.repayable_age(account=daily, as_of=D(2026, 4, 1) + dt.timedelta(days=n))
    services.repayable_age(account=once, as_of=D(2026, 5, 11))
    # then both hold the exact fee of 40 days and book it rounded half up
    for account in (daily, once):
        account.refresh_from_db()
        assert account.days_overdue == 40
        assert account.penalty_exact == exact
        assert balances(account)[Account.Kind.PENALTY_RECEIVABLE] == booked
        assert balances(account)[Account.Kind.PENALTY_INCOME] == booked
