"""The seeds' district report (科技三项费用): "9月份下达了今年第一批13个项目，共计科技三项
经费891.5万元，其中无偿资助411.5万元，贷款贴息480万元". The batch is built through the
services — applications with their loans, review, one 核减, approval, 任务书 — and the
批次 summary reads it back to the fen, with what was paid kept apart by instrument."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from core import clock
from projects import contracts, cuts, subsidy
from reports.batches import batch_summary
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

    # when the 批次 summary of the year is read
    summary = batch_summary(scope=whole_database(), year=2026)

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
    out = StringIO()
    call_command("ledger_verify", "--quiet-accounts", stdout=out)  # exits 1 on a bad ledger
