"""Disbursements (拨付单): maker-checker, tranches, payment on bank confirmation, returns."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from ledger import services
from ledger.errors import LedgerError
from ledger.models import Account, Disbursement, Entry

from .conftest import D, disbursed, figures, yuan

pytestmark = pytest.mark.django_db


def test_a_tranche_goes_from_commitment_to_paid(line, maker, checker, bank):
    # given a project committed for 300,000.00, paid in two tranches
    commitment = services.commitment_post(
        budget_line=line,
        project_ref="KJ2026-007",
        amount=yuan("300000"),
        value_date=D(2026, 3, 1),
        actor=maker,
        payee_name="湖州师范学院",
    )
    first = disbursed(line, maker, checker, "180000", commitment=commitment, tranche_no=1)
    assert first.status == Disbursement.Status.APPROVED
    assert figures(line)["committed"] == 12_000_000
    assert figures(line)["approved"] == 18_000_000
    # when the bank confirms the payment
    services.disbursement_pay(
        disbursement=first,
        bank_account=bank,
        paid_on=D(2026, 3, 20),
        bank_reference="ICBC20260320001",
        actor=maker,
    )
    # then the budget book shows it paid and the bank is lower by the same amount
    first.refresh_from_db()
    assert first.status == Disbursement.Status.PAID
    assert figures(line) == {
        "appropriation": 100_000_000,
        "available": 70_000_000,
        "committed": 12_000_000,
        "approved": 0,
        "disbursed": 18_000_000,
        "transferred": 0,
    }
    bank.account.refresh_from_db()
    assert bank.account.balance == 500_000_000 - 18_000_000
    # and a second tranche larger than what is left of the commitment is refused
    second = services.disbursement_create(
        budget_line=line,
        amount=yuan("120000.01"),
        payee_name="湖州师范学院",
        payee_account="3305 0000 1111",
        actor=maker,
        commitment=commitment,
        tranche_no=2,
    )
    services.disbursement_submit(disbursement=second, actor=maker)
    with pytest.raises(LedgerError, match="120,000.00"):
        services.disbursement_approve(disbursement=second, actor=checker)
    second.refresh_from_db()
    assert second.status == Disbursement.Status.SUBMITTED


def test_a_maker_cannot_approve_their_own_disbursement(line, maker, checker):
    # given a disbursement made and submitted by the maker
    d = services.disbursement_create(
        budget_line=line,
        amount=yuan("1000"),
        payee_name="甲",
        payee_account="1",
        actor=maker,
    )
    services.disbursement_submit(disbursement=d, actor=maker)
    # when the maker tries to approve it
    with pytest.raises(LedgerError) as error:
        services.disbursement_approve(disbursement=d, actor=maker)
    # then it is refused and nothing is reserved
    assert "第二人" in str(error.value) or "second person" in str(error.value)
    d.refresh_from_db()
    assert d.status == Disbursement.Status.SUBMITTED
    assert figures(line)["approved"] == 0
    with pytest.raises(LedgerError):
        services.disbursement_reject(disbursement=d, actor=maker, note="自己驳回")


def test_returned_money_is_reversed(line, maker, checker, bank):
    d = disbursed(line, maker, checker, "5000")
    services.disbursement_pay(
        disbursement=d, bank_account=bank, paid_on=D(2026, 4, 1), bank_reference="R1", actor=maker
    )
    # when the money comes back (wrong account)
    services.disbursement_return(
        disbursement=d, value_date=D(2026, 4, 3), actor=maker, reason="收款账号有误，银行退回"
    )
    # then both the payment and the approval have reversing entries and the line is whole
    d.refresh_from_db()
    assert d.status == Disbursement.Status.RETURNED
    reversals = Entry.objects.filter(kind=Entry.Kind.REVERSAL)
    assert {r.reverses_id for r in reversals} == {d.pay_entry_id, d.approve_entry_id}
    assert figures(line)["available"] == 100_000_000
    assert figures(line)["disbursed"] == 0
    bank.account.refresh_from_db()
    assert bank.account.balance == 500_000_000
    expense = services.line_account(line, Account.Kind.GRANT_EXPENSE)
    assert expense.balance == 0


def test_cancelling_an_approved_disbursement_frees_the_money(line, maker, checker):
    d = disbursed(line, maker, checker, "5000")
    assert figures(line)["available"] == 99_500_000
    services.disbursement_cancel(disbursement=d, actor=maker, note="项目暂停")
    assert figures(line)["available"] == 100_000_000
    with pytest.raises(LedgerError):
        services.disbursement_approve(disbursement=d, actor=checker)


def test_a_stale_copy_cannot_run_a_transition_twice(line, maker, checker, bank):
    d = disbursed(line, maker, checker, "5000")
    stale = Disbursement.objects.get(pk=d.pk)
    services.disbursement_pay(
        disbursement=d, bank_account=bank, paid_on=D(2026, 4, 1), bank_reference="R9", actor=maker
    )
    with pytest.raises(LedgerError):
        services.disbursement_pay(
            disbursement=stale,
            bank_account=bank,
            paid_on=D(2026, 4, 1),
            bank_reference="R10",
            actor=maker,
        )
    assert Entry.objects.filter(kind=Entry.Kind.PAY).count() == 1


def test_adjustments_need_a_second_person_and_cannot_overdraw(line, maker, checker):
    raise_line = services.budget_adjustment_request(
        budget_line=line, amount=yuan("200000"), reason="追加预算", actor=maker
    )
    with pytest.raises(LedgerError):
        services.budget_adjustment_approve(adjustment=raise_line, actor=maker)
    services.budget_adjustment_approve(adjustment=raise_line, actor=checker)
    assert figures(line)["appropriation"] == 120_000_000
    services.commitment_post(
        budget_line=line,
        project_ref="P",
        amount=yuan("1100000"),
        value_date=D(2026, 5, 1),
        actor=maker,
    )
    cut = services.budget_adjustment_request(
        budget_line=line, amount=yuan("-100000.01"), reason="调减", actor=maker
    )
    with pytest.raises(LedgerError):
        services.budget_adjustment_approve(adjustment=cut, actor=checker)
    assert figures(line)["available"] == 10_000_000


@clock.frozen(dt.datetime(2027, 2, 10, 17, 0))
def test_the_city_issues_indicators_and_the_district_pays(maker, checker, bank):
    # given the city's award line
    city = services.budget_line_create(
        year=2026,
        funding_source="city_special",
        instrument="award",
        programme_code="KPHN",
        name="科普惠农兴村计划",
        scope_path="/330000/330100/",
        amount=yuan("500000"),
        value_date=D(2026, 1, 5),
        actor=maker,
    )
    # when the city issues 120,000.00 of indicators to 西湖区 early next year
    indicator = services.budget_indicator_issue(
        from_line=city,
        district_scope_path="/330000/330100/330106/",
        district_name="西湖区",
        amount=yuan("120000"),
        value_date=D(2027, 1, 20),
        document_no="杭财教〔2027〕3号",
        actor=maker,
        reference="call:1",
    )
    district = indicator.to_line
    # then the district line has it available and the city shows it issued
    assert figures(city)["available"] == 38_000_000
    assert figures(city)["transferred"] == 12_000_000
    assert figures(district)["appropriation"] == 12_000_000
    assert district.scope_path == "/330000/330100/330106/"
    # and the district commits and pays an awardee from it
    award = services.commitment_post(
        budget_line=district,
        project_ref="KPHN2026-015",
        amount=yuan("50000"),
        value_date=D(2027, 2, 1),
        actor=maker,
    )
    d = disbursed(district, maker, checker, "50000", commitment=award)
    services.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=D(2027, 2, 10),
        bank_reference="XH1",
        actor=maker,
    )
    assert figures(district)["disbursed"] == 5_000_000
    assert figures(district)["available"] == 7_000_000
    # a second indicator for the same purpose is refused, naming the first, and posts nothing
    with pytest.raises(LedgerError) as error:
        services.budget_indicator_issue(
            from_line=city,
            district_scope_path="/330000/330100/330106/",
            district_name="西湖区",
            amount=yuan("130000"),
            value_date=D(2027, 1, 21),
            document_no="杭财教〔2027〕9号",
            actor=maker,
            reference="call:1",
        )
    assert "杭财教〔2027〕3号" in error.value.message
    assert "120,000.00" in error.value.message
    assert figures(city)["transferred"] == 12_000_000


def test_a_payment_dated_before_its_approval_is_refused(line, maker, checker, bank):
    # given a disbursement approved on 2026-03-01
    d = disbursed(line, maker, checker, "5000", approved_on=D(2026, 3, 1))
    # when the bank's confirmation is entered with the day before as the payment date
    with pytest.raises(LedgerError) as error:
        services.disbursement_pay(
            disbursement=d,
            bank_account=bank,
            paid_on=D(2026, 2, 28),
            bank_reference="EARLY-1",
            actor=maker,
        )
    # then it is refused, in Chinese, naming both dates, and nothing is paid
    message = str(error.value)
    assert "审核" in message and "2026-03-01" in message and "2026-02-28" in message
    d.refresh_from_db()
    assert d.status == Disbursement.Status.APPROVED and d.pay_entry_id is None
    assert not Entry.objects.filter(kind=Entry.Kind.PAY).exists()
    bank.account.refresh_from_db()
    assert bank.account.balance == 500_000_000
    # and the day of the approval itself is a good payment date
    services.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=D(2026, 3, 1),
        bank_reference="ON-THE-DAY",
        actor=maker,
    )
    d.refresh_from_db()
    assert (d.status, d.paid_on) == (Disbursement.Status.PAID, D(2026, 3, 1))
