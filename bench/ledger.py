"""Ledger bench (issue 5, acceptance 7).

Posts N journal entries (default 100 000, two legs each, transfers between 200 accounts)
through ``ledger.services.entry_post``, times balance reads at 1 000 and at N entries
(a read is one row: the running balance), then runs the same workload through
django-hordak (``Account.transfer_to``, balances summed from the legs) and prints both.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjfund .venv/bin/python bench/ledger.py
    .venv/bin/python bench/ledger.py --entries 20000 --skip-hordak

Both halves use their own throw-away PostgreSQL databases (kjfund_bench_ledger and
kjfund_bench_hordak on the server of DATABASE_URL), dropped and created afresh. Entries
are committed in batches (``--batch``, the same for both). The hordak half runs in a
subprocess with ``bench/settings_hordak.py`` and is skipped, saying why, when hordak is
not installed (``pip install -e '.[bench]'``) or does not work with this Django.
"""

from __future__ import annotations

import argparse
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
ACCOUNTS = 200
READS = 2000


def _database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kjfund")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/ledger.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _workload(n: int) -> list[tuple[int, int, int]]:
    """(from account index, to account index, amount in fen), the same for both."""
    rng = random.Random(20260101)
    work = []
    for _ in range(n):
        a, b = rng.sample(range(ACCOUNTS), 2)
        work.append((a, b, rng.randint(1, 1_000_000)))
    return work


def _time_reads(read: Any, ids: list[Any]) -> float:
    """Mean seconds per balance read over READS reads of random accounts."""
    rng = random.Random(7)
    picks = [rng.choice(ids) for _ in range(READS)]
    for account in picks[:50]:  # warm up
        read(account)
    samples = []
    for account in picks:
        start = time.perf_counter()
        read(account)
        samples.append(time.perf_counter() - start)
    return statistics.fmean(samples)


def _post_all(
    post: Any, work: list[tuple[int, int, int]], start: int, stop: int, batch: int
) -> float:
    from django.db import transaction

    began = time.perf_counter()
    for first in range(start, stop, batch):
        with transaction.atomic():
            for i in range(first, min(first + batch, stop)):
                post(i, *work[i])
    return time.perf_counter() - began


# --- our ledger ----------------------------------------------------------------------


def run_ours(n: int, batch: int) -> dict[str, Any]:
    url = _database_url("kjfund_bench_ledger")
    _recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    from ledger import services
    from ledger.models import Entry
    from ledger.verify import verify_ledger

    banks = [
        services.bank_account_open(
            name=f"bench {i}",
            bank_name="bench",
            account_number=f"BENCH{i:04d}",
            scope_path="/330000/330100/",
        )
        for i in range(ACCOUNTS)
    ]
    accounts = [b.account for b in banks]

    def post(i: int, a: int, b: int, fen: int) -> None:
        services.entry_post(
            idempotency_key=f"bench:{i}",
            kind=Entry.Kind.BANK_FUNDING,
            value_date=_date(i),
            legs=[services.Posting(accounts[b], fen), services.Posting(accounts[a], -fen)],
            actor=None,
        )

    def read(account_id: int) -> int:
        return services.account_balance(account_id)

    ids = [a.pk for a in accounts]
    work = _workload(n)
    first = min(1000, n)
    seconds = _post_all(post, work, 0, first, batch)
    read_1k = _time_reads(read, ids)
    seconds += _post_all(post, work, first, n, batch)
    read_n = _time_reads(read, ids)
    began = time.perf_counter()
    verification = verify_ledger()
    verify_seconds = time.perf_counter() - began
    connection.close()
    return {
        "entries": Entry.objects.count(),
        "post_seconds": seconds,
        "entries_per_second": n / seconds,
        "read_1k_ms": read_1k * 1000,
        "read_n_ms": read_n * 1000,
        "verify_ok": verification.ok,
        "verify_seconds": verify_seconds,
    }


def _date(i: int) -> Any:
    import datetime as dt

    return dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)


# --- django-hordak -------------------------------------------------------------------


def run_hordak(n: int, batch: int) -> dict[str, Any]:
    """Runs in the subprocess, with bench.settings_hordak."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from djmoney.money import Money
    from hordak.models import Account, Leg, Transaction

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

    work = _workload(n)
    first = min(1000, n)
    seconds = _post_all(post, work, 0, first, batch)
    read_1k = _time_reads(read, accounts)
    seconds += _post_all(post, work, first, n, batch)
    read_n = _time_reads(read, accounts)
    return {
        "entries": Transaction.objects.count(),
        "legs": Leg.objects.count(),
        "post_seconds": seconds,
        "entries_per_second": n / seconds,
        "read_1k_ms": read_1k * 1000,
        "read_n_ms": read_n * 1000,
    }


def hordak_in_subprocess(n: int, batch: int) -> tuple[dict[str, Any] | None, str]:
    try:
        import hordak  # noqa: F401
    except ImportError:
        return None, "django-hordak is not installed (pip install -e '.[bench]')"
    url = _database_url("kjfund_bench_hordak")
    try:
        _recreate_database(url)
    except Exception as error:
        return None, f"cannot create the hordak database: {error}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_hordak",
        "BENCH_HORDAK_DATABASE_URL": url,
    }
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--hordak-worker", "--entries", str(n), "--batch", str(batch)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return None, "django-hordak did not run with this Django: " + " | ".join(tail)
    return json.loads(result.stdout.strip().splitlines()[-1]), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--skip-hordak", action="store_true")
    parser.add_argument("--hordak-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hordak_worker:
        print(json.dumps(run_hordak(args.entries, args.batch)))
        return

    ours = run_ours(args.entries, args.batch)
    print(
        f"ledger: {ours['entries']} entries in {ours['post_seconds']:.1f} s "
        f"= {ours['entries_per_second']:.0f} entries/s (batches of {args.batch})"
    )
    ratio = ours["read_n_ms"] / ours["read_1k_ms"]
    print(
        f"ledger: balance read {ours['read_1k_ms']:.3f} ms at 1 000 entries, "
        f"{ours['read_n_ms']:.3f} ms at {ours['entries']}: ratio {ratio:.2f} "
        f"({'goal met' if ratio < 2 else 'GOAL MISSED'}: under 2)"
    )
    print(
        f"ledger: ledger_verify over all entries took {ours['verify_seconds']:.1f} s, "
        f"{'ok' if ours['verify_ok'] else 'PROBLEMS FOUND'}"
    )
    if args.skip_hordak:
        print("django-hordak: skipped (--skip-hordak)")
        return
    hordak, reason = hordak_in_subprocess(args.entries, args.batch)
    if hordak is None:
        print(f"django-hordak: skipped: {reason}")
        return
    print(
        f"django-hordak: {hordak['entries']} transactions in {hordak['post_seconds']:.1f} s "
        f"= {hordak['entries_per_second']:.0f} entries/s"
    )
    h_ratio = hordak["read_n_ms"] / hordak["read_1k_ms"]
    print(
        f"django-hordak: balance read {hordak['read_1k_ms']:.3f} ms at 1 000, "
        f"{hordak['read_n_ms']:.3f} ms at {hordak['entries']}: ratio {h_ratio:.2f}"
    )
    speedup = ours["entries_per_second"] / hordak["entries_per_second"]
    print(
        f"throughput ledger / hordak: {speedup:.2f}x "
        f"({'goal met' if speedup >= 2 else 'GOAL MISSED'}: at least 2x)"
    )


if __name__ == "__main__":
    main()
