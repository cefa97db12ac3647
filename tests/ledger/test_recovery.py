"""Recovery of overdue repayable funds: 催收 steps and the 催收通知书, the legal case and
its stages, the path each repayment came by (kept in the ledger), and write-off only on
the ground the legal stage allows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from pypdf import PdfReader

from core import clock
from ledger import services
from ledger.documents import dunning_notice_pdf
from ledger.errors import LedgerError
from ledger.models import (
    Account,
    Entry,
    Leg,
    LegalCase,
    RecoveryPath,
    RepayableAccount,
    WriteOffBasis,
)

from .conftest import D, yuan
from .test_repayable import balances, open_and_pay

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2027, 3, 1, 10, 0)
COURT = "杭州市西湖区人民法院"


@pytest.fixture
def frozen():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def line(maker):
    return services.budget_line_create(
        year=2026,
        funding_source="sci_tech",
        instrument="repayable",
        programme_code="KJJH",
        name="科技型企业有偿使用资金",
        scope_path="/330000/330100/",
        amount=yuan("2000000"),
        value_date=D(2026, 1, 2),
        actor=maker,
    )


def received_by_kind(bank, kind):
    """What the bank received on entries of ``kind``, read from the ledger's legs."""
    return (
        Leg.objects.filter(account=bank.account, entry__kind=kind).aggregate(fen=Sum("amount"))[
            "fen"
        ]
        or 0
    )


def test_an_overdue_account_chased_then_sued_keeps_each_path_in_the_ledger(
    frozen, line, maker, checker, bank
):
    # given 120 000 yuan lent on 2026-01-01, nothing repaid: the usage fee of 2026-04-01
    # is the first thing overdue
    account = open_and_pay(line, maker, checker, bank)

    # a step before anything is overdue is refused
    with pytest.raises(LedgerError, match="未逾期"):
        services.dunning_record(
            account=account, kind="phone", date=D(2026, 3, 15), text="提醒", actor=maker
        )
    # a call and a promise while overdue are recorded
    services.dunning_record(
        account=account,
        kind="phone",
        date=D(2026, 10, 20),
        text="电话催收，财务答复月底前还款",
        actor=maker,
    )
    promise = services.dunning_record(
        account=account,
        kind="promise",
        date=D(2026, 10, 25),
        text="承诺11月底前归还3万元",
        promised_amount=yuan("30000"),
        promised_date=D(2026, 11, 30),
        actor=maker,
    )
    assert promise.promised_fen == 3_000_000

    # the notice of 2026-11-01 states what is overdue that day, the overdue fee accrued
    # to it at 万分之五 a day on each unpaid instalment from its due date
    notice = services.dunning_notice_issue(
        account=account,
        date=D(2026, 11, 1),
        pay_by=D(2026, 11, 30),
        office="杭州市科学技术局",
        actor=maker,
    )
    fee_per_quarter = 60_000  # 120 000 × 2 % ÷ 4, in fen
    assert notice.principal_overdue_fen == 6_000_000  # the half due 2026-10-01
    assert notice.fee_overdue_fen == 3 * fee_per_quarter
    overdue_days = (
        fee_per_quarter * (D(2026, 11, 1) - D(2026, 4, 1)).days
        + fee_per_quarter * (D(2026, 11, 1) - D(2026, 7, 1)).days
        + (6_000_000 + fee_per_quarter) * (D(2026, 11, 1) - D(2026, 10, 1)).days
    )
    assert notice.penalty_fen == round(Decimal(overdue_days) * Decimal("0.0005"))
    assert notice.letter_no.startswith("催收〔2026〕")
    # the letter, read back: borrower, figures in words, the day to pay by, the office
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(dunning_notice_pdf(notice))).pages
    )
    assert "催收通知书" in text and account.borrower_name in text
    assert "陆万元整" in text  # the overdue principal in capitals
    assert "2026年11月30日" in text and "杭州市科学技术局" in text

    # money received while overdue and chased: by 催收
    chased = services.repayment_record(
        account=account,
        amount=yuan("30000"),
        value_date=D(2026, 11, 20),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-CS-1",
    )
    assert chased.path == RecoveryPath.DUNNING
    assert chased.entry.kind == Entry.Kind.REPAYMENT_DUNNING

    # handed to the court: the principal the ledger shows owed that day is kept
    case = services.legal_case_refer(
        account=account, court=COURT, referred_on=D(2026, 12, 10), actor=maker
    )
    assert case.principal_referred_fen == 12_000_000 - chased.principal_fen
    assert case.principal_referred_fen == balances(account)[Account.Kind.RECEIVABLE]
    with pytest.raises(LedgerError, match="已移送法院"):
        services.legal_case_refer(
            account=account, court=COURT, referred_on=D(2026, 12, 11), actor=maker
        )

    # no write-off while the case runs
    with pytest.raises(LedgerError, match="终结本次执行"):
        services.write_off_request(
            account=account,
            value_date=D(2027, 1, 5),
            reason="无力偿还",
            basis=WriteOffBasis.COURT,
            actor=maker,
        )
    # stages move forward only, each dated not before the previous one
    with pytest.raises(LedgerError, match="早于"):
        services.legal_case_advance(
            case=case,
            stage="filed",
            date=D(2026, 12, 1),
            case_number="(2026)浙0106民初1号",
            actor=maker,
        )
    with pytest.raises(LedgerError, match="案号"):
        services.legal_case_advance(case=case, stage="filed", date=D(2026, 12, 20), actor=maker)
    with pytest.raises(LedgerError):
        services.legal_case_advance(case=case, stage="judged", date=D(2026, 12, 20), actor=maker)
    case = services.legal_case_advance(
        case=case,
        stage="filed",
        date=D(2026, 12, 20),
        case_number="(2026)浙0106民初1234号",
        actor=maker,
    )
    assert case.stage == LegalCase.Stage.FILED

    # money received while the case runs: through the courts
    sued = services.repayment_record(
        account=account,
        amount=yuan("20000"),
        value_date=D(2027, 1, 15),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-FY-1",
    )
    assert sued.path == RecoveryPath.COURT
    assert sued.entry.kind == Entry.Kind.REPAYMENT_COURT
    # the ledger tells the two apart
    assert received_by_kind(bank, Entry.Kind.REPAYMENT_DUNNING) == 3_000_000
    assert received_by_kind(bank, Entry.Kind.REPAYMENT_COURT) == 2_000_000

    case = services.legal_case_advance(case=case, stage="judged", date=D(2027, 1, 20), actor=maker)
    case = services.legal_case_advance(
        case=case, stage="enforcing", date=D(2027, 2, 1), actor=maker
    )
    with pytest.raises(LedgerError, match="终结本次执行"):
        services.write_off_request(
            account=account,
            value_date=D(2027, 2, 10),
            reason="执行中",
            basis=WriteOffBasis.COURT,
            actor=maker,
        )
    case = services.legal_case_advance(
        case=case, stage="terminated", date=D(2027, 2, 20), actor=maker
    )
    assert [label for label, _day in case.stage_dates][-1] == str(LegalCase.Stage.TERMINATED.label)
    # after 终结本次执行, on the court's ground only
    with pytest.raises(LedgerError, match="核销须以法院"):
        services.write_off_request(
            account=account,
            value_date=D(2027, 2, 25),
            reason="破产",
            basis=WriteOffBasis.BANKRUPTCY,
            actor=maker,
        )
    write_off = services.write_off_request(
        account=account,
        value_date=D(2027, 2, 25),
        reason="法院裁定终结本次执行，无可供执行财产",
        basis=WriteOffBasis.COURT,
        document_no="(2027)浙0106执恢1号",
        actor=maker,
    )
    services.write_off_approve(write_off=write_off, actor=checker)
    account.refresh_from_db()
    assert account.status == RepayableAccount.Status.WRITTEN_OFF
    write_off.refresh_from_db()
    assert write_off.principal_fen == 12_000_000 - chased.principal_fen - sued.principal_fen
    out = io.StringIO()
    call_command("ledger_verify", "--quiet-accounts", stdout=out)


def test_an_account_never_sued_is_written_off_only_on_a_recorded_ground(
    frozen, line, maker, checker, bank
):
    account = open_and_pay(line, maker, checker, bank)
    services.receivables_age(as_of=D(2027, 2, 1))
    # the court's ground needs a case
    with pytest.raises(LedgerError, match="未经诉讼"):
        services.write_off_request(
            account=account,
            value_date=D(2027, 2, 1),
            reason="无力偿还",
            basis=WriteOffBasis.COURT,
            actor=maker,
        )
    # 120 000 yuan is no small sum: too much to give up without suing
    with pytest.raises(LedgerError, match="不得超过"):
        services.write_off_request(
            account=account,
            value_date=D(2027, 2, 1),
            reason="金额小",
            basis=WriteOffBasis.UNECONOMIC,
            actor=maker,
        )
    # a concluded bankruptcy is a ground of its own
    write_off = services.write_off_request(
        account=account,
        value_date=D(2027, 2, 1),
        reason="法院裁定破产程序终结",
        basis=WriteOffBasis.BANKRUPTCY,
        actor=maker,
    )
    # …but not once the account has gone to court in the meantime
    services.legal_case_refer(account=account, court=COURT, referred_on=D(2027, 2, 5), actor=maker)
    with pytest.raises(LedgerError, match="正在诉讼中"):
        services.write_off_approve(write_off=write_off, actor=checker)
    account.refresh_from_db()
    assert account.status != RepayableAccount.Status.WRITTEN_OFF


def test_money_received_on_time_is_a_normal_repayment(frozen, line, maker, checker, bank):
    account = open_and_pay(line, maker, checker, bank)
    paid = services.repayment_record(
        account=account,
        amount=yuan("600"),
        value_date=D(2026, 4, 1),
        bank_account=bank,
        actor=maker,
        bank_reference="HK-N-1",
    )
    assert paid.path == RecoveryPath.NORMAL
    assert paid.entry.kind == Entry.Kind.REPAYMENT
    # a promise must say how much and by when; a call says nothing of the kind
    with pytest.raises(LedgerError, match="还款承诺须写明"):
        services.dunning_record(
            account=account, kind="promise", date=D(2026, 8, 1), text="承诺", actor=maker
        )
    with pytest.raises(LedgerError, match="只有还款承诺"):
        services.dunning_record(
            account=account,
            kind="phone",
            date=D(2026, 8, 1),
            promised_amount=yuan("1"),
            actor=maker,
        )
