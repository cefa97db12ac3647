"""Ledger bench with concurrent writers (issue 16): ``bench/ledger.py`` runs it by default.

Each case posts ``--entries`` two-leg entries (transfers between 200 accounts) with 1 or
4 writers at once — each writer a process of its own with its own connection — one
entry per transaction or 100 per transaction, through ``ledger.services`` (``entry_post``;
``entries_post`` for 100) and through django-hordak (``Account.transfer_to``, 100 calls in
one ``transaction.atomic`` for 100). Every run measures every case for both, in
alternating order (so that whatever else the machine is doing slows both alike: paired
runs); the figures printed are medians over ``--runs`` runs (5), with the ratio as the
median of the paired ratios. A transaction that deadlocks is counted and retried (so
every case posts all its entries); PostgreSQL's own counter (``pg_stat_database``) is
read for each database before and after the whole bench as well.

Our entries are posted unsealed; after each of our cases the sealing (``ledger_seal``)
runs and its time is reported, and a rate "with sealing" counts it as if it were on the
writers' path (it is not: it runs beside them, on a schedule). The bench ends with
``ledger_verify`` over everything posted.

Both halves use throw-away PostgreSQL databases named after DATABASE_URL's
(``<name>_bench_ledger``, ``<name>_bench_hordak``), dropped and created afresh.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjfund .venv/bin/python bench/ledger.py
"""

from __future__ import annotations

import datetime as dt
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
CASES = [(1, 1), (4, 1), (1, 100), (4, 100)]  # (writers, entries per transaction)
MAX_RETRIES = 20


def database_url(suffix: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kjfund")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/ledger.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") or "kjfund"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def commit_floor_ms(url: str, n: int = 200) -> float:
    """The median time of a transaction that inserts one row, on this server now: what
    any posting of one entry per transaction pays at least (the WAL flush)."""
    import psycopg

    samples = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (x integer)")
        for _ in range(n):
            began = time.perf_counter()
            conn.execute("INSERT INTO bench_commit_probe VALUES (1)")
            samples.append(time.perf_counter() - began)
        conn.execute("DROP TABLE bench_commit_probe")
    return statistics.median(samples) * 1000


def deadlocks(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        return int(row[0]) if row else 0


# --- the writer processes ---------------------------------------------------------------


def _workload(tag: str, start: int, count: int) -> list[tuple[int, int, int, int]]:
    """(index, from account, to account, fen): the same for both halves."""
    rng = random.Random(f"{tag}:{start}")
    work = []
    for i in range(start, start + count):
        a, b = rng.sample(range(ACCOUNTS), 2)
        work.append((i, a, b, rng.randint(1, 1_000_000)))
    return work


def _date(i: int) -> dt.date:
    return dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)


def _is_deadlock(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if getattr(cause, "sqlstate", None) == "40P01":
            return True
        cause = cause.__cause__
    return False


class _Ours:
    def __init__(self, setup: bool) -> None:
        from django.core.management import call_command

        from ledger import services
        from ledger.models import BankAccount

        self.services = services
        if setup:
            call_command("migrate", verbosity=0)
            for i in range(ACCOUNTS):
                services.bank_account_open(
                    name=f"bench {i}",
                    bank_name="bench",
                    account_number=f"BENCH{i:04d}",
                    scope_path="/330000/330100/",
                )
        by_number = {
            b.account_number: b.account for b in BankAccount.objects.select_related("account")
        }
        self.accounts = [by_number[f"BENCH{i:04d}"] for i in range(ACCOUNTS)]

    def _spec(self, tag: str, i: int, a: int, b: int, fen: int) -> Any:
        s = self.services
        return s.EntrySpec(
            idempotency_key=f"{tag}:{i}",
            kind="bank_funding",
            value_date=_date(i),
            legs=[s.Posting(self.accounts[b], fen), s.Posting(self.accounts[a], -fen)],
        )

    def post(self, tag: str, chunk: list[tuple[int, int, int, int]]) -> None:
        from django.db import transaction

        if len(chunk) == 1:
            # on PostgreSQL one posting is one statement, its own transaction
            spec = self._spec(tag, *chunk[0])
            self.services.entry_post(
                idempotency_key=spec.idempotency_key,
                kind=spec.kind,
                value_date=spec.value_date,
                legs=spec.legs,
                actor=None,
            )
            return
        with transaction.atomic(durable=True):
            self.services.entries_post(entries=[self._spec(tag, *row) for row in chunk], actor=None)

    def seal(self) -> dict[str, Any]:
        result = self.services.ledger_seal()
        return {"entries": result.entries, "blocks": len(result.blocks)}

    def verify(self) -> dict[str, Any]:
        from ledger.verify import verify_ledger

        result = verify_ledger()
        return {
            "ok": result.ok,
            "entries": result.entries,
            "unsealed": result.unsealed,
            "blocks": result.blocks,
            "problems": result.problems[:3],
        }


class _Hordak:
    def __init__(self, setup: bool) -> None:
        from django.core.management import call_command
        from djmoney.money import Money
        from hordak.models import Account

        self.money = Money
        if setup:
            call_command("migrate", verbosity=0)
            for i in range(ACCOUNTS):
                Account.objects.create(
                    name=f"bench {i}", type=Account.TYPES.asset, currencies=["CNY"]
                )
        by_name = {a.name: a for a in Account.objects.all()}
        self.accounts = [by_name[f"bench {i}"] for i in range(ACCOUNTS)]

    def post(self, tag: str, chunk: list[tuple[int, int, int, int]]) -> None:
        from django.db import transaction

        with transaction.atomic(durable=True):
            for i, a, b, fen in chunk:
                self.accounts[a].transfer_to(
                    self.accounts[b],
                    self.money(fen, "CNY") / 100,
                    description=f"{tag}:{i}",
                    date=_date(i),
                )


def worker(kind: str, setup: bool) -> None:
    """A writer: answers the parent's commands on stdin, one JSON line per answer."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    half: Any = _Ours(setup) if kind == "ours" else _Hordak(setup)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "post":
            work = _workload(command["tag"], command["start"], command["count"])
            per = command["per_txn"]
            retried = 0
            began = time.perf_counter()
            for first in range(0, len(work), per):
                for attempt in range(MAX_RETRIES + 1):
                    try:
                        half.post(command["tag"], work[first : first + per])
                        break
                    except Exception as error:
                        if not _is_deadlock(error) or attempt == MAX_RETRIES:
                            raise
                        retried += 1
            answer: dict[str, Any] = {
                "seconds": time.perf_counter() - began,
                "deadlocks": retried,
            }
        elif command["do"] == "seal":
            began = time.perf_counter()
            answer = half.seal()
            answer["seconds"] = time.perf_counter() - began
        elif command["do"] == "verify":
            answer = half.verify()
        else:
            return
        print(json.dumps(answer), flush=True)


class Writer:
    def __init__(self, kind: str, url: str, setup: bool) -> None:
        env = dict(os.environ)
        if kind == "ours":
            env["DATABASE_URL"] = url
            env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        else:
            env["BENCH_HORDAK_DATABASE_URL"] = url
            env["DJANGO_SETTINGS_MODULE"] = "bench.settings_hordak"
        args = [sys.executable, str(ROOT / "bench" / "ledger.py"), "--writer", kind]
        if setup:
            args.append("--setup")
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not self.answer().get("ready"):
            raise RuntimeError(f"the {kind} writer did not start")

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            tail = self.process.stderr.read().strip().splitlines()[-5:]
            raise RuntimeError(" | ".join(tail) or "a writer stopped")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


# --- the parent -------------------------------------------------------------------------


def _measure(
    pool: list[Writer], tag: str, entries: int, writers: int, per_txn: int
) -> tuple[float, int]:
    """Wall seconds for ``writers`` writers posting ``entries`` between them, and the
    deadlocks they met (each retried)."""
    share = entries // writers
    began = time.perf_counter()
    for n, writer in enumerate(pool[:writers]):
        writer.send(
            {"do": "post", "tag": tag, "start": n * share, "count": share, "per_txn": per_txn}
        )
    answers = [writer.answer() for writer in pool[:writers]]
    return time.perf_counter() - began, sum(a["deadlocks"] for a in answers)


def run(runs: int, entries: int) -> None:
    urls = {"ours": database_url("bench_ledger"), "hordak": database_url("bench_hordak")}
    for url in urls.values():
        recreate_database(url)
    pools: dict[str, list[Writer]] = {}
    for kind, url in urls.items():
        pools[kind] = [Writer(kind, url, setup=True)]
        pools[kind] += [Writer(kind, url, setup=False) for _ in range(3)]
    stats_before = {kind: deadlocks(url) for kind, url in urls.items()}
    floors = [commit_floor_ms(urls["ours"])]
    rates: dict[tuple[int, int], dict[str, list[float]]] = {
        case: {"ours": [], "sealed": [], "hordak": [], "ratio": [], "ratio_sealed": []}
        for case in CASES
    }
    met: dict[tuple[int, int], dict[str, int]] = {case: {"ours": 0, "hordak": 0} for case in CASES}
    seal_seconds: list[float] = []
    for r in range(runs):
        for case in CASES:
            writers, per_txn = case
            tag = f"r{r}w{writers}t{per_txn}"
            order = ["ours", "hordak"] if (r + CASES.index(case)) % 2 == 0 else ["hordak", "ours"]
            seconds: dict[str, float] = {}
            for kind in order:
                seconds[kind], dl = _measure(pools[kind], tag, entries, writers, per_txn)
                met[case][kind] += dl
            pools["ours"][0].send({"do": "seal"})
            sealed = pools["ours"][0].answer()
            seal_seconds.append(sealed["seconds"])
            posted = entries // writers * writers
            ours, hordak = posted / seconds["ours"], posted / seconds["hordak"]
            with_seal = posted / (seconds["ours"] + sealed["seconds"])
            row = rates[case]
            row["ours"].append(ours)
            row["sealed"].append(with_seal)
            row["hordak"].append(hordak)
            row["ratio"].append(ours / hordak)
            row["ratio_sealed"].append(with_seal / hordak)
            print(
                f"  run {r + 1} {writers} writer(s), {per_txn:>3}/transaction: "
                f"ledger {ours:6.0f}/s (sealing {sealed['entries']} in "
                f"{sealed['seconds']:.2f} s), hordak {hordak:6.0f}/s, {ours / hordak:.2f}x",
                file=sys.stderr,
                flush=True,
            )
    floors.append(commit_floor_ms(urls["ours"]))
    time.sleep(1.5)  # the statistics of the last transactions reach pg_stat_database
    stats = {kind: deadlocks(url) - stats_before[kind] for kind, url in urls.items()}
    pools["ours"][0].send({"do": "verify"})
    verified = pools["ours"][0].answer()
    for pool in pools.values():
        for writer in pool:
            writer.close()

    print(
        f"ledger vs django-hordak on PostgreSQL, {entries} entries per case, each writer a "
        f"process with its own connection; medians of {runs} paired runs"
    )
    print(
        f"{'writers':>7} {'per txn':>7} {'ledger/s':>9} {'+sealing/s':>10} {'hordak/s':>9} "
        f"{'ratio':>6} {'ratio+seal':>10} {'deadlocks (ledger/hordak)':>26}"
    )
    median = statistics.median
    for case in CASES:
        writers, per_txn = case
        row = rates[case]
        print(
            f"{writers:>7} {per_txn:>7} {median(row['ours']):>9.0f} "
            f"{median(row['sealed']):>10.0f} {median(row['hordak']):>9.0f} "
            f"{median(row['ratio']):>5.2f}x {median(row['ratio_sealed']):>9.2f}x "
            f"{met[case]['ours']:>12} / {met[case]['hordak']}"
        )
    goals = [
        ("one writer, one entry per transaction, at least 3x", rates[(1, 1)], 3.0),
        ("4 writers, one entry per transaction, at least 2x", rates[(4, 1)], 2.0),
        ("4 writers, 100 per transaction, at least 2x", rates[(4, 100)], 2.0),
    ]
    for label, row, goal in goals:
        ratio = median(row["ratio"])
        print(f"goal {label}: {ratio:.2f}x {'met' if ratio >= goal else 'MISSED'}")
    ours_deadlocks = sum(m["ours"] for m in met.values())
    print(
        f"deadlocks: ledger {ours_deadlocks} met by the writers, pg_stat_database "
        f"{stats['ours']}; hordak {sum(m['hordak'] for m in met.values())} met, "
        f"pg_stat_database {stats['hordak']} "
        f"({'goal met' if ours_deadlocks == stats['ours'] == 0 else 'GOAL MISSED'}: 0 for ledger)"
    )
    floor = statistics.fmean(floors)
    print(
        f"a transaction inserting one row commits in {floor:.2f} ms here (median, before and "
        f"after): one entry per transaction cannot pass {1000 / floor:.0f} entries/s per writer"
    )
    print(
        f"sealing: median {median(seal_seconds):.2f} s per case's entries; ledger_verify over "
        f"{verified['entries']} entries in {verified['blocks']} blocks, "
        f"{verified['unsealed']} unsealed: {'ok' if verified['ok'] else verified['problems']}"
    )
