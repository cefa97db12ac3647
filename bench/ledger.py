"""Ledger benches.

By default (issue 16): 1 and 4 concurrent writers, one entry and 100 entries per
transaction, against django-hordak, medians of 5 paired runs (``bench/ledger_writers.py``
says how)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjfund .venv/bin/python bench/ledger.py
    .venv/bin/python bench/ledger.py --runs 5 --entries 2000

With ``--growth`` (issue 5, acceptance 7): posts N journal entries (default 100 000, two legs each: transfers between 200 accounts)
through ``ledger.services.entry_post``, times balance reads at 1 000 and at N entries
(our read is one row, the running balance), and runs the same workload through
django-hordak (``Account.transfer_to``; its balance is summed from the legs).

    .venv/bin/python bench/ledger.py --growth --entries 20000 --skip-hordak

Both halves use their own throw-away PostgreSQL databases on the server of DATABASE_URL,
named after its database (``<name>_bench_ledger``, ``<name>_bench_hordak``), dropped and
created afresh. hordak runs in a
worker process with ``bench/settings_hordak.py`` (the app never installs it); the two
halves post the same entries in alternating chunks, so that whatever else the machine is
doing slows both alike. Entries are committed in batches (``--batch``, the same for
both). The hordak half is skipped, saying why, when hordak is not installed
(``pip install -e '.[bench]'``) or does not work with this Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ledger_writers  # noqa: E402

ACCOUNTS = 200
READS = 2000


def _database_url(name: str) -> str:
    return ledger_writers.database_url(name.removeprefix("kjfund_"))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _autovacuum_is_on(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
        return bool(row and row[0] == "on")


def _vacuum(url: str) -> float:
    """What autovacuum does in production: clear the dead row versions that updated
    rows (running balances, the chain head) leave behind, and refresh statistics."""
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - began


def _workload(n: int) -> list[tuple[int, int, int]]:
    """(from account, to account, amount in fen): the same list for both halves."""
    rng = random.Random(20260101)
    work = []
    for _ in range(n):
        a, b = rng.sample(range(ACCOUNTS), 2)
        work.append((a, b, rng.randint(1, 1_000_000)))
    return work


def _date(i: int) -> dt.date:
    return dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)


def _time_reads(read: Any, accounts: list[Any]) -> float:
    """Mean milliseconds per balance read over READS reads of random accounts."""
    rng = random.Random(7)
    picks = [rng.choice(accounts) for _ in range(READS)]
    for account in picks[:50]:  # warm up
        read(account)
    samples = []
    for account in picks:
        start = time.perf_counter()
        read(account)
        samples.append(time.perf_counter() - start)
    return statistics.fmean(samples) * 1000


class Half:
    """One ledger implementation: post a range of the workload, time reads."""

    def __init__(self, post: Any, read: Any, accounts: list[Any], n: int, batch: int) -> None:
        self.post, self.read, self.accounts = post, read, accounts
        self.work = _workload(n)
        self.batch = batch

    def post_range(self, start: int, stop: int) -> float:
        from django.db import transaction

        began = time.perf_counter()
        for first in range(start, stop, self.batch):
            with transaction.atomic():
                for i in range(first, min(first + self.batch, stop)):
                    self.post(i, *self.work[i])
        return time.perf_counter() - began

    def post_range_batched(self, start: int, stop: int) -> float:
        """The same entries, ``batch`` of them per call (``ledger.services.entries_post``)."""
        from django.db import transaction

        began = time.perf_counter()
        for first in range(start, stop, self.batch):
            with transaction.atomic():
                self.post_many(range(first, min(first + self.batch, stop)))
        return time.perf_counter() - began

    def post_many(self, indexes: range) -> None:
        raise NotImplementedError

    def reads(self) -> float:
        return _time_reads(self.read, self.accounts)


def ours(n: int, batch: int) -> Half:
    url = _database_url("kjfund_bench_ledger")
    _recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ledger import services
    from ledger.models import Entry

    accounts = [
        services.bank_account_open(
            name=f"bench {i}",
            bank_name="bench",
            account_number=f"BENCH{i:04d}",
            scope_path="/330000/330100/",
        ).account
        for i in range(ACCOUNTS)
    ]

    def post(i: int, a: int, b: int, fen: int) -> None:
        services.entry_post(
            idempotency_key=f"bench:{i}",
            kind=Entry.Kind.BANK_FUNDING,
            value_date=_date(i),
            legs=[services.Posting(accounts[b], fen), services.Posting(accounts[a], -fen)],
            actor=None,
        )

    half = Half(post, services.account_balance, [a.pk for a in accounts], n, batch)

    def post_many(indexes: range) -> None:
        services.entries_post(
            entries=[
                services.EntrySpec(
                    idempotency_key=f"bench:{i}",
                    kind=Entry.Kind.BANK_FUNDING,
                    value_date=_date(i),
                    legs=[
                        services.Posting(accounts[half.work[i][1]], half.work[i][2]),
                        services.Posting(accounts[half.work[i][0]], -half.work[i][2]),
                    ],
                )
                for i in indexes
            ],
            actor=None,
        )

    half.post_many = post_many  # type: ignore[method-assign]
    return half


def hordak(n: int, batch: int) -> Half:
    """In the worker process, with bench.settings_hordak."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from djmoney.money import Money
    from hordak.models import Account

    accounts = [
        Account.objects.create(name=f"bench {i}", type=Account.TYPES.asset, currencies=["CNY"])
        for i in range(ACCOUNTS)
    ]

    def post(i: int, a: int, b: int, fen: int) -> None:
        accounts[a].transfer_to(
            accounts[b], Money(fen, "CNY") / 100, description=f"bench:{i}", date=_date(i)
        )

    def read(account: Any) -> Any:
        return account.get_simple_balance()

    return Half(post, read, accounts, n, batch)


def worker(n: int, batch: int) -> None:
    """Answers the parent's commands on stdin, one JSON line per answer."""
    half = hordak(n, batch)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[0] == "post":
            answer: dict[str, Any] = {"seconds": half.post_range(int(command[1]), int(command[2]))}
        elif command[0] == "read":
            answer = {"ms": half.reads()}
        elif command[0] == "count":
            from hordak.models import Leg, Transaction

            answer = {"entries": Transaction.objects.count(), "legs": Leg.objects.count()}
        else:
            return
        print(json.dumps(answer), flush=True)


class Worker:
    def __init__(self, n: int, batch: int) -> None:
        url = _database_url("kjfund_bench_hordak")
        _recreate_database(url)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings_hordak",
            "BENCH_HORDAK_DATABASE_URL": url,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [
                sys.executable,
                __file__,
                "--hordak-worker",
                "--growth",
                "--entries",
                str(n),
                "--batch",
                str(batch),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self._answer()
        if not first.get("ready"):
            raise RuntimeError("the hordak worker did not start")

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            tail = self.process.stderr.read().strip().splitlines()[-3:]
            raise RuntimeError(" | ".join(tail) or "the hordak worker stopped")
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--growth",
        action="store_true",
        help="the bench of issue 5: one writer, N entries, balance reads as the books grow",
    )
    parser.add_argument("--runs", type=int, default=5, help="paired runs (writers bench)")
    parser.add_argument(
        "--entries", type=int, default=None, help="100000 with --growth, else 2000 per case"
    )
    parser.add_argument("--writer", choices=["ours", "hordak"], help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=5000, help="entries per turn")
    parser.add_argument("--skip-hordak", action="store_true")
    parser.add_argument(
        "--batched",
        action="store_true",
        help="post half of our entries through entries_post, --batch entries per call",
    )
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="do not stand in for autovacuum between chunks when the server has it off",
    )
    parser.add_argument("--hordak-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        ledger_writers.worker(args.writer, args.setup)
        return
    if not args.growth and not args.hordak_worker:
        ledger_writers.run(args.runs, args.entries or 2000)
        return
    n = args.entries or 100_000
    if args.hordak_worker:
        worker(n, args.batch)
        return

    other: Worker | None = None
    reason = "--skip-hordak"
    if not args.skip_hordak:
        try:
            import hordak as _hordak  # noqa: F401

            other = Worker(n, args.batch)
        except ImportError:
            reason = "django-hordak is not installed (pip install -e '.[bench]')"
        except Exception as error:  # the bench goes on without it, saying why
            reason = f"django-hordak did not run here: {error}"
    mine = ours(n, args.batch)
    urls = {
        "ledger": _database_url("kjfund_bench_ledger"),
        "hordak": _database_url("kjfund_bench_hordak"),
    }
    vacuum = not args.no_vacuum and not _autovacuum_is_on(urls["ledger"])
    vacuum_seconds = {"ledger": 0.0, "hordak": 0.0}

    seconds = {"ledger": 0.0, "batched": 0.0, "hordak": 0.0}
    posted = {"ledger": 0, "batched": 0}
    reads: dict[str, dict[int, float]] = {"ledger": {}, "hordak": {}}
    edges = sorted({0, min(1000, n), n, *range(min(1000, n), n, args.chunk)})
    for start, stop in itertools.pairwise(edges):
        # our half of each chunk: one call per entry, then the rest in batched calls
        middle = start + (stop - start) // 2 if args.batched else stop
        seconds["ledger"] += mine.post_range(start, middle)
        posted["ledger"] += middle - start
        if middle < stop:
            seconds["batched"] += mine.post_range_batched(middle, stop)
            posted["batched"] += stop - middle
        if other is not None:
            seconds["hordak"] += other.ask(f"post {start} {stop}")["seconds"]
        if vacuum:
            vacuum_seconds["ledger"] += _vacuum(urls["ledger"])
            if other is not None:
                vacuum_seconds["hordak"] += _vacuum(urls["hordak"])
        if stop in (min(1000, n), n):
            reads["ledger"][stop] = mine.reads()
            if other is not None:
                reads["hordak"][stop] = other.ask("read")["ms"]
        print(f"  … {stop} entries posted", file=sys.stderr, flush=True)

    from ledger.models import Entry
    from ledger.verify import verify_ledger

    began = time.perf_counter()
    verification = verify_ledger()
    verify_seconds = time.perf_counter() - began
    first = min(1000, n)
    rate = posted["ledger"] / seconds["ledger"]
    ratio = reads["ledger"][n] / reads["ledger"][first]
    print(
        f"ledger: {Entry.objects.count()} entries posted; {posted['ledger']} of them one "
        f"call each (entry_post) in {seconds['ledger']:.1f} s = {rate:.0f} entries/s "
        f"(transactions of {args.batch})"
    )
    batched_rate = posted["batched"] / seconds["batched"] if posted["batched"] else 0.0
    if posted["batched"]:
        print(
            f"ledger: {posted['batched']} of them {args.batch} per call (entries_post) in "
            f"{seconds['batched']:.1f} s = {batched_rate:.0f} entries/s"
        )
    print(
        f"ledger: balance read {reads['ledger'][first]:.3f} ms at {first} entries, "
        f"{reads['ledger'][n]:.3f} ms at {n}: ratio {ratio:.2f} "
        f"({'goal met' if ratio < 2 else 'GOAL MISSED'}: under 2)"
    )
    print(
        f"ledger: ledger_verify over all entries took {verify_seconds:.1f} s, "
        f"{'ok' if verification.ok else 'PROBLEMS FOUND'}"
    )
    if vacuum:
        print(
            "autovacuum is off on this server: both databases were vacuumed between chunks "
            f"in its place (not in the posting times): ledger {vacuum_seconds['ledger']:.1f} s, "
            f"hordak {vacuum_seconds['hordak']:.1f} s"
        )
    if other is None:
        print(f"django-hordak: skipped: {reason}")
        return
    counted = other.ask("count")
    other.close()
    h_rate = n / seconds["hordak"]
    h_ratio = reads["hordak"][n] / reads["hordak"][first]
    print(
        f"django-hordak: {counted['entries']} transactions ({counted['legs']} legs) in "
        f"{seconds['hordak']:.1f} s = {h_rate:.0f} entries/s"
    )
    print(
        f"django-hordak: balance read {reads['hordak'][first]:.3f} ms at {first} entries, "
        f"{reads['hordak'][n]:.3f} ms at {n}: ratio {h_ratio:.2f}"
    )
    speedup = rate / h_rate
    print(
        f"throughput ledger / hordak, one call per entry: {speedup:.2f}x "
        f"({'goal met' if speedup >= 2 else 'GOAL MISSED'}: at least 2x)"
    )
    if posted["batched"]:
        print(f"throughput ledger / hordak, batched calls: {batched_rate / h_rate:.2f}x")


if __name__ == "__main__":
    main()
