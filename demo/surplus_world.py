"""结余 at closing: last year's project 西湖龙井茶树良种繁育技术推广 gets its last tranche,
is closed with 1 万元 of its labour costs unspent (its 经费决算, contracts_world), the
结余 is posted due back, and the city's bank statement of the day the unit returned it
matches the receipt by the project's number. Built through the real services; nothing
is built twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import User
from core import clock
from ledger import services as ledger
from ledger.models import BankAccount, StatementLine
from projects import closing
from projects.models import Application, ClosingSurplus, Contract, Tranche

from .ledger_world import CITY_BANK
from .log import Log

TITLE = "西湖龙井茶树良种繁育技术推广"
RETURNED_ON = dt.date(2026, 11, 5)


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def build(log: Log) -> None:
    application = Application.objects.filter(
        call__programme__code="KJJH", call__year=2025, title=TITLE
    ).first()
    if application is None or ClosingSurplus.objects.filter(application=application).exists():
        return
    if application.status != Application.Status.ACCEPTED:
        return
    contract = Contract.objects.get(application=application)
    bank = BankAccount.objects.get(account_number=CITY_BANK)
    # the last tranche, ordered after acceptance, approved and paid
    with _at("2026-10-20T10:00"):
        for tranche in contract.tranches.filter(
            trigger=Tranche.Trigger.AFTER_ACCEPTANCE, status=Tranche.Status.ORDERED
        ).select_related("disbursement"):
            if tranche.disbursement is None:
                continue
            order = ledger.disbursement_submit(
                disbursement=tranche.disbursement, actor=_u("finance")
            )
            order = ledger.disbursement_approve(disbursement=order, actor=_u("finance_checker"))
            ledger.disbursement_pay(
                disbursement=order,
                bank_account=bank,
                paid_on=clock.today(),
                bank_reference=f"DEMOJY20261020{tranche.seq:04d}",
                actor=_u("finance"),
            )
    # closed: the 结余 of the 决算 is posted due back (the programme recovers it)
    with _at("2026-10-28T10:00"):
        closing.project_close(application=application, actor=_u("city_officer"))
    record = log.created(ClosingSurplus.objects.get(application=application))
    due = record.surplus_return
    if due is None:
        return
    log.created(due)
    # the unit returns it; the statement of that day matches it by the project's number
    opening = ledger.ledger_bank_balance(bank, RETURNED_ON)
    with _at("2026-11-06T09:00"):
        statement, _report = ledger.statement_import(
            bank_account=bank,
            rows=[
                ledger.StatementRow(
                    row_no=1,
                    txn_date=RETURNED_ON,
                    amount_fen=due.amount_fen,
                    direction=StatementLine.Direction.IN,
                    counterparty_name=due.payer_name,
                    counterparty_account=due.payer_account,
                    memo=f"退回{application.number}项目结余资金",
                    bank_reference="DEMOJY202611050001",
                )
            ],
            period_start=RETURNED_ON,
            period_end=RETURNED_ON,
            opening_balance=Decimal(opening) / 100,
            closing_balance=Decimal(opening + due.amount_fen) / 100,
            actor=_u("finance"),
            file_name="市财政专户流水-20261105.xlsx",
        )
        log.created(statement)
