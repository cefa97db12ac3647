"""Races at the edges of the ledger (issue 12), on PostgreSQL with real threads: many
repayments at once through the web stack, first indicators to a new district at once, one
流水号 paid twice at once, and batches of entries over overlapping accounts. Each ends in
answers a person understands — never a deadlock, an IntegrityError or a 500."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import urllib3
from django.db import connection
from django.test import Client

from core import clock
from core.confirm import CONFIRMED
from ledger import services
from ledger.errors import LedgerError
from ledger.models import (
    Account,
    BudgetIndicator,
    BudgetLine,
    Disbursement,
    RepayableAccount,
    Repayment,
)
from ledger.verify import verify_ledger

from .conftest import CITY, D, disbursed, postgres_only, yuan
from .test_concurrency import run_together

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]


def _deadlocks() -> int:
    """Deadlocks PostgreSQL has detected in this database so far (its own counter)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _repayable(line: BudgetLine, bank: Any, n: int, maker: Any, checker: Any) -> RepayableAccount:
    """1,000,000.00 paid out on 2025-01-02, repaid quarterly from 2025-04-02: by now
    several instalments are overdue, so a repayment accrues fees and overdue fee (posting
    entries of its own) before it posts."""
    account = services.repayable_open(
        budget_line=line,
        project_ref=f"RACE-{n}",
        borrower_name=f"竞速科技{n}号有限公司",
        borrower_account=f"62220000000{n:04d}",
        principal=yuan("1000000"),
        start_date=D(2025, 1, 2),
        term_months=24,
        grace_months=0,
        period_months=3,
        method=RepayableAccount.Method.EQUAL_PRINCIPAL,
        fee_rate=Decimal("0.02"),
        overdue_rate=Decimal("0.0005"),
        actor=maker,
    )
    d = disbursed(line, maker, checker, "1000000", approved_on=D(2025, 1, 2), repayable=account)
    with clock.frozen(D(2025, 1, 2)):
        services.disbursement_pay(
            disbursement=d,
            bank_account=bank,
            paid_on=D(2025, 1, 2),
            bank_reference=f"RACE-OUT-{n}",
            actor=maker,
        )
    return account


def _post(http: Any, url: str, fields: dict[str, str], cookie: str) -> Any:
    """A form POST as a browser sends it. The test server's listen queue is short, so a
    connection refused before anything was sent is tried again (nothing was posted)."""
    return http.request(
        "POST",
        url,
        fields=fields,
        encode_multipart=False,
        headers={"Cookie": cookie, "Referer": url},
        redirect=False,
        retries=urllib3.Retry(connect=10, read=0, redirect=0, backoff_factor=0.1),
        timeout=urllib3.Timeout(connect=5, read=90),
    )


def test_fifty_repayments_at_once_over_four_accounts_through_the_web(demo_world, live_server):
    # given four repayable accounts with overdue instalments, and a finance officer logged
    # in 50 times (50 browser sessions)
    from accounts.models import User

    finance = User.objects.get(username="finance")
    checker = User.objects.get(username="finance_checker")
    with clock.frozen(D(2025, 1, 2)):
        line = services.budget_line_create(
            year=2025,
            funding_source=BudgetLine.Source.CITY_SPECIAL,
            instrument="repayable",
            programme_code="KJJH",
            name="2025年科技计划有偿使用资金",
            scope_path=CITY,
            amount=yuan("5000000"),
            value_date=D(2025, 1, 2),
            actor=finance,
        )
        bank = services.bank_account_open(
            name="杭州市财政局专户",
            bank_name="中国工商银行杭州分行",
            account_number="1202021009000099999",
            scope_path=CITY,
        )
        services.bank_funding_record(
            bank_account=bank,
            amount=yuan("5000000"),
            value_date=D(2025, 1, 2),
            actor=finance,
            idempotency_key="race-funding",
        )
    accounts = [_repayable(line, bank, n, finance, checker) for n in range(4)]
    http = urllib3.PoolManager(maxsize=60)
    sessions = []
    for _ in range(50):
        client = Client()
        client.force_login(finance)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        page = http.request(
            "GET",
            f"{live_server.url}/ledger/repayable/{accounts[0].pk}/",
            headers={"Cookie": cookie},
        )
        assert page.status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.data.decode())
        csrf = page.headers["Set-Cookie"].split("csrftoken=")[1].split(";")[0]
        sessions.append((f"{cookie}; csrftoken={csrf}", token.group(1) if token else ""))
    # the test server listens with Python's default queue of 5 connections; a production
    # server queues far more (gunicorn 2048): let it queue all 50 browsers
    live_server.thread.httpd.socket.listen(128)
    before = _deadlocks()
    today = clock.today().isoformat()
    statuses: list[int] = [0] * 50
    bodies: list[str] = [""] * 50
    barrier = threading.Barrier(50)

    def repay(i: int) -> None:
        account = accounts[i % 4]
        cookie, token = sessions[i]
        barrier.wait()
        try:
            response = _post(
                http,
                f"{live_server.url}/ledger/repayable/{account.pk}/",
                {
                    "action": "repay",
                    "amount": "100.00",
                    "value_date": today,
                    "bank_account": str(bank.pk),
                    "bank_reference": f"RACE-IN-{i:02d}",
                    "csrfmiddlewaretoken": token,
                    CONFIRMED: "1",
                },
                cookie,
            )
        except Exception as error:  # reported by the assertion below
            bodies[i] = repr(error)
            return
        statuses[i] = response.status
        bodies[i] = response.data.decode(errors="replace")[:500]

    # when 50 repayments are posted at the same moment
    threads = [threading.Thread(target=repay, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    time.sleep(1.5)  # PostgreSQL flushes its statistics at most once a second
    # then every one was recorded (a redirect back to the account), none was a 500, and
    # PostgreSQL detected no deadlock
    failures = [b for s, b in zip(statuses, bodies, strict=True) if s != 302]
    assert Counter(statuses) == Counter({302: 50}), failures
    assert Repayment.objects.filter(bank_reference__startswith="RACE-IN-").count() == 50
    assert _deadlocks() == before
    # and the books are whole
    report = verify_ledger()
    assert report.ok, report.problems


def test_first_indicators_to_a_new_district_at_once(maker):
    # given the city's award line and no line of 西湖区 yet
    city = services.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="award",
        programme_code="KPHN",
        name="科普惠农兴村计划",
        scope_path=CITY,
        amount=yuan("500000"),
        value_date=D(2026, 1, 5),
        actor=maker,
    )
    # when two calls' first indicators to 西湖区 are issued at the same moment
    results = run_together(
        [
            lambda n=n: services.budget_indicator_issue(
                from_line=city,
                district_scope_path="/330000/330100/330106/",
                district_name="西湖区",
                amount=yuan("10000"),
                value_date=D(2026, 2, 1),
                document_no=f"杭财教〔2026〕{n}号",
                actor=maker,
                reference=f"call:{n}",
            )
            for n in (1, 2)
        ]
    )
    # then both are issued into the one district line the first created
    assert all(isinstance(r, BudgetIndicator) for r in results), results
    assert BudgetLine.objects.filter(scope_path="/330000/330100/330106/").count() == 1
    # and the same indicator twice at once: one issued, one refused naming it
    results = run_together(
        [
            lambda n=n: services.budget_indicator_issue(
                from_line=city,
                district_scope_path="/330000/330100/330106/",
                district_name="西湖区",
                amount=yuan("10000"),
                value_date=D(2026, 2, 2),
                document_no=f"杭财教〔2026〕{n}号",
                actor=maker,
                reference="call:3",
            )
            for n in (30, 31)
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["BudgetIndicator", "LedgerError"]
    refused = next(r for r in results if isinstance(r, LedgerError))
    assert "10,000.00" in refused.message


def test_one_bank_reference_paid_twice_at_once(line, bank, maker, checker):
    # given two approved payments and a clerk who typed the same 流水号 for both
    first = disbursed(line, maker, checker, "1000", payee_name="甲公司", payee_account="1")
    second = disbursed(line, maker, checker, "2000", payee_name="乙公司", payee_account="2")
    # when both payments are entered at the same moment
    with clock.frozen(D(2026, 3, 2)):
        results = run_together(
            [
                lambda d=d: services.disbursement_pay(
                    disbursement=d,
                    bank_account=bank,
                    paid_on=D(2026, 3, 2),
                    bank_reference="ICBC-DUP-1",
                    actor=maker,
                )
                for d in (first, second)
            ]
        )
    # then one is paid and the other refused with a message naming the 流水号
    assert sorted(type(r).__name__ for r in results) == ["Disbursement", "LedgerError"]
    refused = next(r for r in results if isinstance(r, LedgerError))
    assert "ICBC-DUP-1" in refused.message
    assert Disbursement.objects.filter(status=Disbursement.Status.PAID).count() == 1


def test_batches_of_a_hundred_entries_over_shared_accounts_never_deadlock(line, bank, maker):
    # given eight accounts every batch touches, in a different order each time
    line_accounts = list(Account.objects.filter(budget_line=line).order_by("pk"))[:2]
    accounts = [*line_accounts, bank.account, bank.revenue_account]
    before = _deadlocks()

    def batch(n: int) -> list[Any]:
        specs = []
        for i in range(100):
            a, b = (accounts[(n + i) % 4], accounts[(n + 3 * i + 1) % 4])
            if a.pk == b.pk:
                b = accounts[(n + i + 2) % 4]
            specs.append(
                services.EntrySpec(
                    idempotency_key=f"batch:{n}:{i}",
                    kind="bank_funding",
                    value_date=D(2026, 1, 6),
                    legs=[services.Posting(a, 100), services.Posting(b, -100)],
                )
            )
        return services.entries_post(entries=specs, actor=maker)

    # when eight such batches are posted at once
    results = run_together([lambda n=n: batch(n) for n in range(8)])
    time.sleep(1.5)
    # then all 800 entries are posted, with no deadlock
    assert all(isinstance(r, list) and len(r) == 100 for r in results), results
    assert _deadlocks() == before
    assert verify_ledger().ok


def test_two_repayments_with_one_bank_reference_at_once(line, bank, maker, checker):
    # given two repayable accounts paid out
    with clock.frozen(dt.datetime(2025, 1, 2, 10, 0)):
        repay_line = services.budget_line_create(
            year=2025,
            funding_source=BudgetLine.Source.CITY_SPECIAL,
            instrument="repayable",
            programme_code="KJJH",
            name="有偿使用资金",
            scope_path=CITY,
            amount=yuan("3000000"),
            value_date=D(2025, 1, 2),
            actor=maker,
        )
    accounts = [_repayable(repay_line, bank, n, maker, checker) for n in (7, 8)]
    # when the same 流水号 is recorded on both at the same moment
    results = run_together(
        [
            lambda a=a: services.repayment_record(
                account=a,
                amount=yuan("100"),
                value_date=clock.today(),
                bank_account=bank,
                actor=maker,
                bank_reference="HK-DUP-1",
            )
            for a in accounts
        ]
    )
    # then one is recorded and the other refused, naming the 流水号
    assert sorted(type(r).__name__ for r in results) == ["LedgerError", "Repayment"], results
    assert "HK-DUP-1" in next(r for r in results if isinstance(r, LedgerError)).message
