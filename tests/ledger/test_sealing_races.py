"""Issue 16 on PostgreSQL with real threads: writers post at once while the sealing runs
beside them; afterwards everything seals into one clean chain, and batches of 100
entries per transaction from 4 writers never deadlock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from ledger import services
from ledger.models import Account, Block, Entry
from ledger.verify import verify_ledger

from .conftest import D, postgres_only
from .test_races import _deadlocks

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(jobs: list[Any]) -> list[Any]:
    """Every job in its own thread (own connection), released at once; each job makes
    its own transactions (one per posting, or one per ``entries_post`` call)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def _accounts(line: Any, bank: Any) -> list[Account]:
    line_accounts = list(Account.objects.filter(budget_line=line).order_by("pk"))[:2]
    return [*line_accounts, bank.account, bank.revenue_account]


def _spec(accounts: list[Account], key: str, n: int, i: int) -> services.EntrySpec:
    a, b = accounts[(n + i) % 4], accounts[(n + 3 * i + 1) % 4]
    if a.pk == b.pk:
        b = accounts[(n + i + 2) % 4]
    return services.EntrySpec(
        idempotency_key=key,
        kind="bank_funding",
        value_date=D(2026, 1, 6),
        legs=[services.Posting(a, 100 + i), services.Posting(b, -(100 + i))],
    )


class _SealingBeside:
    """Runs ``ledger_seal`` over and over in a thread of its own until stopped."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.blocks = 0
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                self.blocks += len(services.ledger_seal(block_size=7).blocks)
                time.sleep(0.01)
        except BaseException as error:
            self.errors.append(error)
        finally:
            connection.close()

    def __enter__(self) -> _SealingBeside:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=120)


def _assert_one_clean_chain() -> None:
    services.ledger_seal()
    total = Entry.objects.count()
    seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    blocks = list(Block.objects.order_by("number"))
    assert blocks[-1].last_seq == total
    assert sum(b.entry_count for b in blocks) == total
    result = verify_ledger()
    assert result.ok, result.problems
    assert (result.unsealed, result.sealed_position) == (0, total)


def test_postings_from_several_threads_seal_into_one_clean_chain(line, bank, maker):
    # given four accounts every writer posts to
    accounts = _accounts(line, bank)
    before = Entry.objects.count()

    def writer(n: int) -> int:
        for i in range(20):  # one entry per transaction
            spec = _spec(accounts, f"thread:{n}:{i}", n, i)
            services.entry_post(
                idempotency_key=spec.idempotency_key,
                kind=spec.kind,
                value_date=spec.value_date,
                legs=spec.legs,
                actor=maker,
            )
        return n

    # when six writers post at once while the sealing runs beside them, in small blocks
    with _SealingBeside() as sealing:
        results = run_together([lambda n=n: writer(n) for n in range(6)])
    # then every posting went through, the sealing never failed and made blocks meanwhile
    assert results == list(range(6)), results
    assert sealing.errors == []
    assert sealing.blocks >= 1
    assert Entry.objects.count() == before + 120
    # and, sealed, the chain is one straight line that verifies, balances included
    _assert_one_clean_chain()


def test_batches_of_a_hundred_from_four_writers_never_deadlock(line, bank, maker):
    accounts = _accounts(line, bank)
    before = _deadlocks()

    def batches(n: int) -> int:
        posted = 0
        for batch in range(3):
            specs = [_spec(accounts, f"batch:{n}:{batch}:{i}", n + batch, i) for i in range(100)]
            with transaction.atomic(durable=True):  # one transaction per batch
                posted += len(services.entries_post(entries=specs, actor=maker))
        return posted

    # when four writers each post three transactions of 100 entries over the same four
    # accounts, in a different order each time, with the sealing running beside them
    with _SealingBeside() as sealing:
        results = run_together([lambda n=n: batches(n) for n in range(4)])
    time.sleep(1.5)  # the statistics of the last transactions reach pg_stat_database
    # then all 1 200 entries are posted and PostgreSQL saw no deadlock
    assert results == [300, 300, 300, 300], results
    assert sealing.errors == []
    assert _deadlocks() == before
    _assert_one_clean_chain()


def test_one_key_posted_twice_at_once_over_other_accounts_posts_once(line, bank, maker):
    # without the chain head, two postings of one key no longer queue on one row: when
    # they touch different accounts only the key's unique index stands between them
    accounts = _accounts(line, bank)
    before = {a.pk: services.account_balance(a.pk) for a in accounts}
    pairs = [(accounts[0], accounts[1]), (accounts[2], accounts[3])]

    def post(pair: tuple[Account, Account]) -> Entry:
        return services.entry_post(
            idempotency_key="same-key",
            kind="bank_funding",
            value_date=D(2026, 1, 6),
            legs=[services.Posting(pair[0], 500), services.Posting(pair[1], -500)],
            actor=maker,
        )

    results = run_together([lambda p=p: post(p) for p in pairs] * 3)
    # then every call answers with the one entry, posted once, and only its accounts moved
    assert all(isinstance(r, Entry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Entry.objects.filter(idempotency_key="same-key").count() == 1
    moved = {a.pk for a in accounts if services.account_balance(a.pk) != before[a.pk]}
    assert moved in ({accounts[0].pk, accounts[1].pk}, {accounts[2].pk, accounts[3].pk})
    _assert_one_clean_chain()
