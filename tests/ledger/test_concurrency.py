"""Acceptance 3: concurrent approvals against one budget line, with real threads on
PostgreSQL. Those that fit succeed, the rest are refused with a message, ``available``
never goes below zero and nothing is posted twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from ledger import services
from ledger.errors import LedgerError
from ledger.models import Account, BudgetLine, Disbursement, Entry
from ledger.services import Posting

from .conftest import CITY, D, figures, postgres_only, yuan

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Runs every job in its own thread (own connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic(durable=True):
                results[i] = jobs[i]()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_fifty_concurrent_approvals_against_one_line(maker, checker):
    # given a line of 1,000,000.00 and 50 submitted disbursements of 30,000.00 (33 fit)
    line = services.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="award",
        programme_code="KPHN",
        name="科普惠农兴村计划奖补资金",
        scope_path=CITY,
        amount=yuan("1000000"),
        value_date=D(2026, 1, 10),
        actor=maker,
    )
    drafts = []
    for n in range(50):
        d = services.disbursement_create(
            budget_line=line,
            amount=yuan("30000"),
            payee_name=f"获奖对象{n:02d}",
            payee_account=f"6222{n:012d}",
            actor=maker,
        )
        services.disbursement_submit(disbursement=d, actor=maker)
        drafts.append(d)
    # when 50 checkers' requests approve them at the same moment
    results = run_together(
        [lambda d=d: services.disbursement_approve(disbursement=d, actor=checker) for d in drafts]
    )
    # then the 33 that fit are approved and 17 are refused with a message
    approved = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    unexpected = [r for r in results if not isinstance(r, Disbursement | LedgerError)]
    assert unexpected == []
    assert len(approved) == 33
    assert len(refused) == 17
    assert all(r.message and "30,000.00" in r.message for r in refused)
    # available never went below zero, and every approval was posted exactly once
    assert figures(line)["available"] == 1_000_000
    assert services.line_account(line, Account.Kind.AVAILABLE).balance >= 0
    assert Entry.objects.filter(kind=Entry.Kind.APPROVE).count() == 33
    assert Disbursement.objects.filter(status=Disbursement.Status.APPROVED).count() == 33
    assert Disbursement.objects.filter(status=Disbursement.Status.SUBMITTED).count() == 17
    # and, once sealed, the hash chain is one straight line over every entry
    services.ledger_seal()
    seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, Entry.objects.count() + 1))


def test_the_same_approval_twice_at_once_posts_once(line, maker, checker):
    d = services.disbursement_create(
        budget_line=line, amount=yuan("1000"), payee_name="甲", payee_account="1", actor=maker
    )
    services.disbursement_submit(disbursement=d, actor=maker)
    results = run_together(
        [lambda: services.disbursement_approve(disbursement=d, actor=checker)] * 5
    )
    assert sum(isinstance(r, Disbursement) for r in results) == 1
    assert all(isinstance(r, Disbursement | LedgerError) for r in results)
    assert Entry.objects.filter(kind=Entry.Kind.APPROVE).count() == 1


def test_the_same_idempotency_key_at_once_gives_one_entry(line, maker):
    results = run_together(
        [
            lambda: services.commitment_post(
                budget_line=line,
                project_ref="KJ2026-009",
                amount=yuan("5000"),
                value_date=D(2026, 3, 1),
                actor=maker,
                idempotency_key="contract:KJ2026-009",
            )
        ]
        * 5
    )
    assert Entry.objects.filter(idempotency_key="contract:KJ2026-009").count() == 1
    assert figures(line)["committed"] == 500_000
    assert all(type(r).__name__ == "Commitment" for r in results), results
    assert len({r.pk for r in results}) == 1


def test_a_posting_short_of_money_waits_for_a_concurrent_posting_that_brings_it(line, maker):
    # given a line whose available balance is all moved out
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    whole = figures(line)["available"]

    def move(key: str, fen: int) -> Entry:
        return services.entry_post(
            idempotency_key=key,
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 2, 1),
            legs=[Posting(available, fen), Posting(appropriation, -fen)],
            actor=maker,
        )

    move("adjust:empty", -whole)
    posted = threading.Event()
    outcome: dict[str, Any] = {}

    def bring() -> None:
        # one clerk brings 100.00 back and commits half a second later
        try:
            with transaction.atomic(durable=True):
                move("adjust:bring", 10_000)
                posted.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def take() -> None:
        # another takes 50.00 meanwhile: not there when it starts, there once it has waited
        posted.wait(10)
        try:
            outcome["entry"] = move("adjust:take", -5_000)
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=bring), threading.Thread(target=take)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then the second posting waited for the first and went through on its money
    assert "error" not in outcome, outcome
    assert time.monotonic() - began >= 0.5
    assert figures(line)["available"] == 5_000
    assert Entry.objects.filter(idempotency_key__startswith="adjust:").count() == 3
