from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core import clock
from ledger import services
from ledger.models import BankAccount, BudgetLine
from ledger.money import parse_yuan

CITY = "/330000/330100/"
CITY_BANK = "1202021009000012345"  # the city's account in the demo's books
XIHU = "/330000/330100/330106/"
D = dt.date


def yuan(text: str) -> Decimal:
    return parse_yuan(text)


@pytest.fixture
def maker(db: Any) -> Any:
    from accounts.models import User

    return User.objects.create_user("maker", full_name="经办 严可")


@pytest.fixture
def checker(db: Any) -> Any:
    from accounts.models import User

    return User.objects.create_user("checker", full_name="复核 汤宁")


@pytest.fixture
def line(maker: Any) -> BudgetLine:
    return services.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="grant",
        programme_code="KJJH",
        name="2026年科技计划项目经费",
        scope_path=CITY,
        amount=yuan("1000000.00"),
        value_date=D(2026, 1, 10),
        actor=maker,
    )


@pytest.fixture
def bank(maker: Any) -> BankAccount:
    bank = services.bank_account_open(
        name="杭州市财政局零余额账户",
        bank_name="中国工商银行杭州分行",
        account_number="1202 0210 0900 0012 345",
        scope_path=CITY,
    )
    services.bank_funding_record(
        bank_account=bank,
        amount=yuan("5000000.00"),
        value_date=D(2026, 1, 5),
        actor=maker,
        idempotency_key="funding:test",
    )
    return bank


APPROVED_ON = D(2026, 3, 1)


def disbursed(
    line: BudgetLine,
    maker: Any,
    checker: Any,
    amount: str,
    *,
    approved_on: dt.date = APPROVED_ON,
    **kwargs: Any,
) -> Any:
    """A disbursement made, submitted and approved through the services, with the
    application's clock set to ``approved_on`` (no payment may be dated before it)."""
    with clock.frozen(approved_on):
        d = services.disbursement_create(
            budget_line=line,
            amount=yuan(amount),
            payee_name=kwargs.pop("payee_name", "杭州西湖智慧农业科技有限公司"),
            payee_account=kwargs.pop("payee_account", "3301 0400 1234 5678"),
            actor=maker,
            **kwargs,
        )
        services.disbursement_submit(disbursement=d, actor=maker)
        return services.disbursement_approve(disbursement=d, actor=checker)


def figures(line: BudgetLine) -> dict[str, int]:
    row = BudgetLine.objects.with_figures().get(pk=line.pk)
    return {
        "appropriation": row.appropriation_fen,
        "available": row.available_fen,
        "committed": row.committed_fen,
        "approved": row.approved_fen,
        "disbursed": row.disbursed_fen,
        "transferred": row.transferred_fen,
    }


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database guards under test are PostgreSQL's"
)


def plain_connection(**overrides: Any) -> Any:
    """A new PostgreSQL connection to the test database made as production makes one:
    without the test settings' opt-in that lets Django's flush truncate the ledger
    (``kjfund.allow_truncate``), in autocommit mode. ``overrides`` are libpq keywords
    (``user=...`` to connect as another role)."""
    import psycopg

    s = connection.settings_dict
    params: dict[str, Any] = {
        "dbname": s["NAME"],
        "user": s["USER"] or None,
        "password": s["PASSWORD"] or None,
        "host": s["HOST"] or None,
        "port": s["PORT"] or None,
    }
    params.update(overrides)
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v})


# --- the demo's books (``demo.ledger_world``), for the pages and the imports -----------


@pytest.fixture
def books(demo_world: None) -> None:
    from demo import ledger_world
    from demo.log import Log

    ledger_world.build(Log())


@pytest.fixture
def finance(books: None) -> Any:
    """The city's finance officer (maker) in the demo's books."""
    from accounts.models import User

    return User.objects.get(username="finance")


def city_bank() -> BankAccount:
    return BankAccount.objects.get(account_number=CITY_BANK)
