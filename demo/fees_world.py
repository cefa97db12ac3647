"""Expert fees (专家费, issue 15): the 科技计划's rates, and the fee sheet of last year's
closed city panel (per half-day), prepared by the city officer, approved by the finance checker and paid
from the science bureau's own account, with the tax withheld — built through the
services. Idempotent: nothing is made when the panel's sheet exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import OrgUnit, User
from core import clock
from funding.models import Programme
from ledger import services as ledger
from ledger.models import BankAccount, BudgetLine
from reviews import fees
from reviews.fee_models import ExpertFeeRate, ExpertFeeSheet, FeeBasis
from reviews.models import Panel

from .log import Log

PANEL_NAME = "2025年度科技计划项目市级评审组"
FEE_BANK = "1202021009000054321"
# The panel met for a day and a half (会评 three half-days): 3 × 1 500 = 4 500 yuan each,
# above 4 000, so the 20 % deduction applies (taxable 3 600, tax 720, net 3 780).
HALF_DAYS = 3
RATES = (
    (FeeBasis.PER_ITEM, Decimal("1000.00"), "杭科计〔2025〕6号 评审专家劳务费标准（按件）"),
    (FeeBasis.HALF_DAY, Decimal("1500.00"), "杭科计〔2025〕6号 评审专家劳务费标准（会评半天）"),
)


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def _line(log: Log, city: str) -> BudgetLine:
    found = BudgetLine.objects.filter(
        year=2025,
        funding_source=BudgetLine.Source.OTHER,
        instrument="grant",
        programme_code="KJJH",
        scope_path=city,
    ).first()
    if found is not None:
        return found
    with _at("2025-01-10T09:00"):
        return log.created(
            ledger.budget_line_create(
                year=2025,
                funding_source=BudgetLine.Source.OTHER,
                instrument="grant",
                programme_code="KJJH",
                name="2025年科技计划项目评审经费",
                scope_path=city,
                amount=Decimal("300000.00"),
                value_date=dt.date(2025, 1, 10),
                actor=_u("finance"),
                document_no="杭财教〔2025〕5号",
            )
        )


def _bank(log: Log, city: str) -> BankAccount:
    found = BankAccount.objects.filter(account_number=FEE_BANK).first()
    if found is not None:
        return found
    bank = log.created(
        ledger.bank_account_open(
            name="杭州市科学技术局基本户",
            bank_name="中国工商银行杭州分行营业部",
            account_number=FEE_BANK,
            scope_path=city,
        )
    )
    ledger.bank_funding_record(
        bank_account=bank,
        amount=Decimal("500000.00"),
        value_date=dt.date(2025, 1, 15),
        actor=_u("finance"),
        idempotency_key="demo:funding:fees:2025",
        memo="2025年评审经费到账",
    )
    return bank


def build(log: Log) -> None:
    panel = Panel.objects.filter(name=PANEL_NAME, status=Panel.Status.CLOSED).first()
    if panel is None or ExpertFeeSheet.objects.filter(panel=panel).exists():
        return
    city = OrgUnit.objects.get(code="330100").path
    programme = Programme.objects.get(code="KJJH")
    officer = _u("city_officer")
    with _at("2025-06-20T09:00"):
        for basis, amount, note in RATES:
            if not ExpertFeeRate.objects.filter(programme=programme, basis=basis).exists():
                log.created(
                    fees.fee_rate_set(
                        programme=programme, basis=basis, amount=amount, actor=officer, note=note
                    )
                )
    line = _line(log, city)
    bank = _bank(log, city)
    with _at("2025-06-24T10:00"):
        sheet = log.created(
            fees.fee_sheet_prepare(
                panel=panel,
                budget_line=line,
                basis=FeeBasis.HALF_DAY,
                half_days=HALF_DAYS,
                actor=officer,
            )
        )
        for n, fee_line in enumerate(sheet.lines.order_by("pk"), start=1):
            fees.fee_line_set_account(line=fee_line, account=f"62220212020{n:08d}", actor=officer)
    with _at("2025-06-26T15:00"):
        fees.fee_sheet_approve(sheet=sheet, actor=_u("finance_checker"), note="经审核，同意发放。")
    with _at("2025-06-30T10:00"):
        fees.fee_sheet_pay(
            sheet=sheet,
            bank_account=bank,
            paid_on=dt.date(2025, 6, 30),
            bank_reference="ICBC202506300088",
            actor=_u("finance"),
        )
