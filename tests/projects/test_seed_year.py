"""The seeds' district report (科技三项费用): "9月份下达了今年第一批13个项目，共计科技三项
经费891.5万元，其中无偿资助411.5万元，贷款贴息480万元". The batch is built through the
services — applications with their loans, review, one 核减, approval, 任务书 — and the
批次 summary reads it back to the fen, with what was paid kept apart by instrument.

The same year's repayable funds fell overdue: part was recovered by 催收 (the seeds'
11 万元) and the rest handed to the courts; the year's recovery figures and the one-page
district report read it back to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from core import clock
from core.money import format_fen
from ledger import services as ledger
from ledger.models import RecoveryPath, RepayableAccount
from projects import contracts, cuts, subsidy
from reports.batches import batch_summary
from reports.district_report import district_report_pdf
from reports.scope import whole_database
from reviews import services as reviews

from .conftest import user
from .lifecycle import money, pay
from .subsidy_world import draft, drafted_contract, subsidy_line, subsidy_rule, to_notice

pytestmark = pytest.mark.django_db

LOAN = {
    "bank": "建设银行杭州高新支行",
    "principal": D("10000000.00"),
    "annual_rate": D("0.05"),
    "start_date": dt.date(2026, 6, 1),
    "term_months": 24,
}
# (category, grant asked, subsidy asked); the third project asks 350 000 and is cut to 300 000
BATCH = [
    ("industry", "800000", "600000"),
    ("industry", "0", "800000"),
    ("industry", "400000", "0"),
    ("industry", "250000", "0"),
    ("agriculture", "700000", "600000"),
    ("agriculture", "0", "700000"),
    ("agriculture", "500000", "0"),
    ("agriculture", "350000", "0"),
    ("social", "500000", "500000"),
    ("social", "0", "600000"),
    ("social", "0", "500000"),
    ("social", "215000", "0"),
    ("soft", "450000", "500000"),
]


def test_the_seeds_batch_of_891_5_wan_reads_back_to_the_fen(world):
    # given the money of the year and a programme that subsidises the whole interest
    books = money()
    subsidy_line()
    subsidy_rule(share="100")
    applications = []
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        for n, (category, grant, interest) in enumerate(BATCH, start=1):
            funding = {k: v for k, v in (("grant", grant), ("interest_subsidy", interest)) if D(v)}
            loan = {**LOAN, "contract_no": f"建银借2026-{n:03d}"}
            applications.append(
                draft(
                    funding=funding,
                    loan=loan,
                    category=category,
                    title=f"第一批项目{n:02d}",
                )
            )
        notice = to_notice(applications)
        cuts.approval_cut(
            application=applications[7],
            amounts={"grant": D("300000.00")},
            reason="试验设备按询价核减",
            actor=user("city_officer"),
        )
    with clock.frozen(dt.datetime(2026, 11, 30, 10, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    signed = []
    for application in applications:
        contract = drafted_contract(application)
        if application.pk == applications[7].pk:
            cuts.contract_budget_respread(
                contract=contract, items={"equipment": D("300000.00")}, actor=user("applicant")
            )
        with clock.frozen(dt.datetime(2026, 12, 1, 11, 0)):
            contracts.contract_confirm(contract=contract, actor=user("applicant"))
            signed.append(contracts.contract_sign(contract=contract, actor=user("city_officer")))
    # and some money paid: the first tranche of one grant, one certificate's subsidy
    with clock.frozen(dt.datetime(2026, 12, 2, 10, 0)):
        order = contracts.tranche_order(
            tranche=signed[2].tranches.get(seq=1), actor=user("finance")
        )
        certificate = subsidy.subsidy_claim(
            contract=signed[1],
            actor=user("finance"),
            number="建行付息2026-0001",
            period_from=dt.date(2026, 6, 1),
            period_to=dt.date(2026, 8, 29),
            interest_paid=D("125000.00"),
        )
    pay(order, books["bank"], dt.date(2026, 12, 2))
    pay(certificate.disbursement, books["bank"], dt.date(2026, 12, 2))
    # and the year's repayable money overdue, part recovered by 催收, the rest sued for
    chase_and_sue(books)

    # when the 批次 summary of the year and the district report are read
    with clock.frozen(dt.datetime(2026, 12, 31, 18, 0)):
        summary = batch_summary(scope=whole_database(), year=2026)
        pdf = district_report_pdf(summary=summary, scope=whole_database())

    # then one batch of 13 projects: 891.5万 = 411.5万 无偿资助 + 480万 贷款贴息
    (batch,) = summary.batches
    assert batch.title == "2026年度杭州市科技计划项目（第二批）"
    assert batch.projects == 13
    rows = dict(batch.rows)
    assert set(rows) == {"grant", "interest_subsidy"}
    grant, interest = rows["grant"], rows["interest_subsidy"]
    assert (grant.projects, grant.approved_fen, grant.committed_fen) == (
        9,
        411_500_000,
        411_500_000,
    )
    assert (interest.projects, interest.approved_fen, interest.committed_fen) == (
        8,
        480_000_000,
        480_000_000,
    )
    assert batch.total.approved_fen == 891_500_000
    # paid, each on its own instrument: 60 % of 400 000, and the certificate's 125 000
    assert grant.paid_fen == 24_000_000
    assert interest.paid_fen == 12_500_000
    # the year adds up the same
    assert summary.year_total.approved_fen == 891_500_000
    assert dict(summary.year_rows)["interest_subsidy"].paid_fen == 12_500_000
    # the recovery: 11 万元 by 催收, 5 万元 through the court, 50 万元 handed to it
    assert (summary.recovery.dunning_fen, summary.recovery.court_fen) == (11_000_000, 5_000_000)
    assert summary.recovery.referred_fen == 50_000_000
    # the district report, one page, says the same to the fen
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace("\n", "")
    assert "共计8,915,000.00元" in text
    assert "无偿资助9项4,115,000.00元" in text and "贷款贴息8项4,800,000.00元" in text
    assert "通过催收收回110,000.00元" in text and "通过诉讼收回50,000.00元" in text
    assert "移送法院1户，涉及本金500,000.00元" in text
    out = StringIO()
    call_command("ledger_verify", "--quiet-accounts", stdout=out)  # exits 1 on a bad ledger


def lend(books, borrower, principal, n):
    """有偿资金 lent on 2026-01-15 for a year, repaid quarterly (the first quarter's
    principal and fee due 2026-04-15), paid out through the ledger."""
    finance = user("finance")
    account = ledger.repayable_open(
        budget_line=books["lines"]["repayable"],
        project_ref=f"KJ2026-YC-{n:03d}",
        borrower_name=borrower,
        principal=D(principal),
        start_date=dt.date(2026, 1, 15),
        term_months=12,
        grace_months=0,
        period_months=3,
        method=RepayableAccount.Method.EQUAL_PRINCIPAL,
        fee_rate=D("0.02"),
        overdue_rate=D("0.0005"),
        borrower_account=f"33050000{n:08d}",
        actor=finance,
    )
    with clock.frozen(dt.datetime(2026, 1, 15, 9, 0)):
        order = ledger.disbursement_create(
            budget_line=books["lines"]["repayable"],
            amount=D(principal),
            payee_name=borrower,
            payee_account=f"33050000{n:08d}",
            actor=finance,
            repayable=account,
        )
    pay(order, books["bank"], dt.date(2026, 1, 15))
    account.refresh_from_db()
    return account


def chase_and_sue(books):
    """Two loans overdue from 2026-04-15; both chased, one pays 11 万元 under the notice,
    the other is handed to the court and pays 5 万元 once the case is filed."""
    finance = user("finance")
    chased = lend(books, "杭州余杭精密铸件有限公司", "300000.00", 1)
    sued = lend(books, "杭州萧山纺织机械有限公司", "500000.00", 2)
    with clock.frozen(dt.datetime(2026, 12, 3, 10, 0)):
        # nothing was paid on 2026-04-15: both are chased
        for account in (chased, sued):
            ledger.dunning_record(
                account=account,
                kind="phone",
                date=dt.date(2026, 5, 6),
                text="电话催收，要求尽快归还到期本金和占用费",
                actor=finance,
            )
            ledger.dunning_notice_issue(
                account=account,
                date=dt.date(2026, 6, 1),
                pay_by=dt.date(2026, 6, 30),
                office="杭州市科学技术局",
                actor=finance,
            )
        # one pays 11 万元 under the notice
        by_dunning = ledger.repayment_record(
            account=chased,
            amount=D("110000.00"),
            value_date=dt.date(2026, 6, 25),
            bank_account=books["bank"],
            actor=finance,
            bank_reference="HK2026062500001",
        )
        # the other is handed to the court, which files the case; 5 万元 comes through it
        case = ledger.legal_case_refer(
            account=sued,
            court="杭州市萧山区人民法院",
            referred_on=dt.date(2026, 9, 1),
            actor=finance,
        )
        ledger.legal_case_advance(
            case=case,
            stage="filed",
            date=dt.date(2026, 9, 15),
            case_number="(2026)浙0109民初5678号",
            actor=finance,
        )
        by_court = ledger.repayment_record(
            account=sued,
            amount=D("50000.00"),
            value_date=dt.date(2026, 11, 10),
            bank_account=books["bank"],
            actor=finance,
            bank_reference="HK2026111000001",
        )
    assert (by_dunning.path, by_court.path) == (RecoveryPath.DUNNING, RecoveryPath.COURT)
    return by_dunning, by_court


def test_the_seeds_overdue_money_chased_and_sued_reads_back_in_the_summary_and_the_report(world):
    books = money()
    by_dunning, by_court = chase_and_sue(books)

    # when the year is read at its end
    with clock.frozen(dt.datetime(2026, 12, 31, 18, 0)):
        summary = batch_summary(scope=whole_database(), year=2026)
        pdf = district_report_pdf(summary=summary, scope=whole_database())
    r = summary.recovery

    # then each figure, to the fen
    assert r.dunning_fen == 11_000_000
    assert r.court_fen == 5_000_000
    assert (r.referred_cases, r.referred_fen) == (1, 50_000_000)  # nothing repaid before
    owed_chased = 30_000_000 - by_dunning.principal_fen
    owed_sued = 50_000_000 - by_court.principal_fen
    assert (r.overdue_accounts, r.overdue_principal_fen) == (2, owed_chased + owed_sued)
    assert r.written_off_fen == 0
    # and the one-page report says the same
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace("\n", "")
    assert "2026年度科技三项费用使用情况" in text
    assert f"通过催收收回{format_fen(11_000_000)}元" in text
    assert f"通过诉讼收回{format_fen(5_000_000)}元" in text
    assert f"移送法院1户，涉及本金{format_fen(50_000_000)}元" in text
    assert f"逾期未还本金{format_fen(owed_chased + owed_sued)}元（2户）" in text
    out = StringIO()
    call_command("ledger_verify", "--quiet-accounts", stdout=out)
