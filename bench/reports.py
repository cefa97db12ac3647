"""Reports bench (issue 7, acceptance 5).

Builds a province-year at the scale of DESIGN §9 (15 cities, 150 districts, 50 000
applications, 20 000 funded projects, 5 000 repayable accounts, 300 000 journal
entries; ``--scale`` shrinks or grows every count) in a throw-away database, writes the
year-end workbook of the whole province, and measures it beside the floor in the same
run, two floors: a plain pandas read of the same rows (``pd.read_sql`` of equivalent
SQL), then either ``to_excel`` of the frames into one .xlsx, or (issue 16) plain
XlsxWriter ``write_row`` of every row, in constant-memory mode as ours writes.

Each measurement runs in its own process, the three taking turns (``--rounds``, each
first, second and last in turn); the time is the median of the rounds, the memory the
highest peak resident set size (VmHWM) of any round, with the process's size before the
work beside it. Goal: within 1.5x of the floor's time and under 1 GB.

The database is SQLite in a temporary folder by default; with DATABASE_URL naming a
PostgreSQL server, a database ``kjfund_bench_reports`` is created on that server for
the run and dropped after it. Nothing else is touched. The rows are BENCH-ONLY DATA made
with bulk inserts (see bench/reports_data.py).

    .venv/bin/python bench/reports.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjfund .venv/bin/python bench/reports.py
    .venv/bin/python bench/reports.py --scale 0.2 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "kjfund_bench_reports"
YEAR = 2026
GOAL_RATIO = 1.5
GOAL_BYTES = 1024**3


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def _rss_bytes() -> int:
    """The process's peak resident set size so far. VmHWM belongs to this program's own
    memory map; ``ru_maxrss`` would also count the parent's size at the fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


# --- the floor: the same rows with plain SQL, pandas and to_excel ---------------------------


def floor_queries(year: int) -> dict[str, str]:
    """One SQL query per sheet, giving the same rows and columns (money / 100.0)."""
    from accounts.models import Organisation, OrgUnit, Person
    from funding.models import Call, Category, Programme
    from ledger.models import Account, BudgetLine, Disbursement, RepayableAccount, Repayment
    from projects.models import (
        Acceptance,
        Application,
        Contract,
        ContractIndicator,
        IndicatorActual,
    )
    from reviews.models import Panel, PanelItem

    t = {
        m.__name__: m._meta.db_table
        for m in (Organisation, OrgUnit, Person, Call, Category, Programme, Account, BudgetLine,
                  Disbursement, RepayableAccount, Repayment, Acceptance, Application, Contract,
                  ContractIndicator, IndicatorActual, Panel, PanelItem)
    }  # fmt: skip
    start, end = f"'{year}-01-01'", f"'{year + 1}-01-01'"
    paid = (
        f"SELECT project_ref, SUM(amount_fen) AS t FROM {t['Disbursement']} "
        "WHERE status IN ('paid', 'reconciled') GROUP BY project_ref"
    )
    latest = (
        f"SELECT x.application_id, x.conclusion FROM {t['Acceptance']} x "
        "WHERE x.conclusion <> '' AND x.round = (SELECT MAX(y.round) FROM "
        f"{t['Acceptance']} y WHERE y.application_id = x.application_id AND y.conclusion <> '')"
    )
    applications = (
        f"FROM {t['Application']} a JOIN {t['Call']} ca ON ca.id = a.call_id "
        f"JOIN {t['Programme']} p ON p.id = ca.programme_id "
        f"JOIN {t['Category']} c ON c.id = a.category_id "
        f"JOIN {t['OrgUnit']} d ON d.id = a.district_id "
        f"LEFT JOIN {t['Organisation']} o ON o.id = a.organisation_id "
        f"LEFT JOIN {t['Person']} pe ON pe.id = a.person_id "
        f"LEFT JOIN ({paid}) paid ON paid.project_ref = a.number "
        f"LEFT JOIN ({latest}) acc ON acc.application_id = a.id "
    )
    projects = (
        'SELECT a.number AS "项目编号", a.title AS "项目名称", p.name AS "计划", '
        'c.name AS "类别", COALESCE(o.name, pe.name) AS "申报单位", d.name AS "所属区县", '
        'a.status AS "状态", pi.score AS "评审得分", pi.rank AS "排名", '
        'a.approved_amount_fen / 100.0 AS "立项金额", paid.t / 100.0 AS "已拨付", '
        'rep.t / 100.0 AS "应收回", back.t / 100.0 AS "已收回", acc.conclusion AS "验收结论" '
        f"{applications}"
        f"LEFT JOIN (SELECT i.application_id, i.score, i.rank FROM {t['PanelItem']} i "
        f"JOIN {t['Panel']} pn ON pn.id = i.panel_id "
        "WHERE pn.stage = 'city' AND pn.status = 'closed') pi ON pi.application_id = a.id "
        f"LEFT JOIN (SELECT project_ref, SUM(principal_fen) AS t FROM {t['RepayableAccount']} "
        "GROUP BY project_ref) rep ON rep.project_ref = a.number "
        "LEFT JOIN (SELECT ra.project_ref, SUM(r.principal_fen + r.recovery_fen) AS t "
        f"FROM {t['Repayment']} r JOIN {t['RepayableAccount']} ra ON ra.id = r.account_id "
        "GROUP BY ra.project_ref) back ON back.project_ref = a.number "
        f"WHERE ca.year = {year} AND a.status <> 'draft' ORDER BY p.code, a.number"
    )

    def total(*kinds: str) -> str:
        names = ", ".join(f"'{k}'" for k in kinds)
        return f"SUM(CASE WHEN ac.kind IN ({names}) THEN ac.balance ELSE 0 END)"

    budget = (
        'SELECT bl.name AS "预算科目", bl.year AS "年度", bl.funding_source AS "资金来源", '
        f'bl.instrument AS "资金性质", -{total("appropriation")} / 100.0 AS "预算额", '
        f'{total("committed", "approved")} / 100.0 AS "已承诺", '
        f'{total("disbursed")} / 100.0 AS "已拨付", {total("available")} / 100.0 AS "可用余额" '
        f"FROM {t['BudgetLine']} bl LEFT JOIN {t['Account']} ac ON ac.budget_line_id = bl.id "
        f"WHERE bl.year = {year} GROUP BY bl.id, bl.name, bl.year, bl.funding_source, "
        "bl.instrument, bl.scope_path, bl.programme_code, bl.code "
        "ORDER BY bl.scope_path, bl.programme_code, bl.code"
    )
    repayable = (
        'SELECT ra.project_ref AS "项目编号", ra.borrower_name AS "单位", '
        'ra.principal_fen / 100.0 AS "本金", COALESCE(rp.p, 0) / 100.0 AS "已还本金", '
        '-fee.balance / 100.0 AS "应收占用费", COALESCE(rp.f, 0) / 100.0 AS "已收占用费", '
        'ra.days_overdue AS "逾期天数", ra.aging AS "账龄", ra.status AS "状态" '
        f"FROM {t['RepayableAccount']} ra JOIN {t['BudgetLine']} bl ON bl.id = ra.budget_line_id "
        "LEFT JOIN (SELECT account_id, SUM(principal_fen) AS p, SUM(fee_fen) AS f "
        f"FROM {t['Repayment']} GROUP BY account_id) rp ON rp.account_id = ra.id "
        f"LEFT JOIN {t['Account']} fee ON fee.repayable_id = ra.id "
        "AND fee.kind = 'usage_fee_income' "
        f"WHERE bl.year <= {year} AND (ra.status IN ('scheduled', 'active', 'overdue', "
        f"'rescheduled') OR bl.year = {year} OR EXISTS (SELECT 1 FROM {t['Repayment']} r2 "
        f"WHERE r2.account_id = ra.id AND r2.value_date >= {start} AND r2.value_date < {end})) "
        "ORDER BY ra.project_ref, ra.number"
    )
    city_stage = "('recommended', 'reviewed', 'publicity')"
    past = (
        "('recommended', 'under_review', 'reviewed', 'publicity', 'approved', 'contracted', "
        "'in_progress', 'acceptance_requested', 'acceptance_review', 'rectifying', "
        "'accepted', 'failed', 'closed', 'terminated', 'disqualified')"
    )
    districts = (
        'SELECT d.name AS "所属区县", COUNT(a.id) AS "申报数", '
        f"SUM(CASE WHEN a.status IN {past} OR (a.status = 'rejected' AND a.rejected_stage "
        f'IN {city_stage}) THEN 1 ELSE 0 END) AS "推荐数", '
        'COUNT(a.approved_amount_fen) AS "立项数", '
        'COALESCE(SUM(a.approved_amount_fen), 0) / 100.0 AS "立项金额", '
        'COALESCE(SUM(paid.t), 0) / 100.0 AS "拨付金额", '
        "SUM(CASE WHEN acc.conclusion = 'accept' THEN 1 ELSE 0 END) AS \"验收通过数\" "
        f"FROM {t['OrgUnit']} d LEFT JOIN {t['Application']} a ON a.district_id = d.id "
        f"AND a.status <> 'draft' AND a.call_id IN (SELECT id FROM {t['Call']} "
        f"WHERE year = {year}) "
        f"LEFT JOIN ({paid}) paid ON paid.project_ref = a.number "
        f"LEFT JOIN ({latest}) acc ON acc.application_id = a.id "
        "WHERE d.level = 'district' GROUP BY d.id, d.name, d.path ORDER BY d.path"
    )
    population = (
        f"FROM {t['Acceptance']} x JOIN {t['Application']} a ON a.id = x.application_id "
        f"JOIN {t['Call']} ca ON ca.id = a.call_id WHERE (ca.year = {year} OR "
        f"(x.concluded_at >= {start} AND x.concluded_at < {end}))"
    )
    acceptance = (
        'SELECT a.number AS "项目编号", a.title AS "项目名称", x.conclusion AS "验收结论", '
        'x.completion_pct / 100.0 AS "指标完成率", x.concluded_at AS "验收日期" '
        f"{population} ORDER BY a.number, x.round"
    )
    indicators = (
        'SELECT a.number AS "项目编号", ci.name AS "指标", ci.unit AS "单位", '
        'ci.target AS "目标值", ia.value AS "完成值", ia.value / ci.target AS "完成率" '
        f"FROM {t['ContractIndicator']} ci JOIN {t['Contract']} ct ON ct.id = ci.contract_id "
        f"JOIN {t['Application']} a ON a.id = ct.application_id "
        f"JOIN {t['Acceptance']} x ON x.application_id = a.id "
        f"LEFT JOIN {t['IndicatorActual']} ia ON ia.report_id = x.report_id "
        "AND ia.indicator_id = ci.id "
        f'WHERE x.id IN (SELECT x.id {population}) ORDER BY a.number, ci."order", ci.id'
    )
    return {
        "项目汇总": projects,
        "预算执行": budget,
        "有偿资金": repayable,
        "区县统计": districts,
        "验收情况": acceptance,
        "指标完成": indicators,
    }


def _floor_frames(year: int) -> tuple[dict[str, Any], float]:
    """The floor's reading: ``pd.read_sql`` of one query per sheet (and its seconds)."""
    import warnings

    import pandas as pd
    from django.db import connection

    queries = floor_queries(year)
    connection.ensure_connection()
    raw = connection.connection
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy
        frames = {name: pd.read_sql(sql, raw) for name, sql in queries.items()}
    for frame in frames.values():  # Excel has no time zones (PostgreSQL gives them)
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return frames, time.perf_counter() - began


def run_floor(out: str, year: int) -> dict[str, Any]:
    """Floor 1: read_sql, then pandas' ``to_excel`` (XlsxWriter engine)."""
    import pandas as pd

    before = _rss_bytes()
    began = time.perf_counter()
    frames, read = _floor_frames(year)
    rows = 0
    with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            rows += len(frame)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "read": read, "before": before, "peak": _rss_bytes(), "rows": rows}


def run_floor_xlsx(out: str, year: int) -> dict[str, Any]:
    """Floor 2 (issue 16): read_sql, then plain XlsxWriter — ``write_row`` of every row
    in constant-memory mode, as ours writes, without pandas' ``to_excel`` machinery; a
    header row and a date format, nothing else (no notes, filters or charts)."""
    import xlsxwriter

    before = _rss_bytes()
    began = time.perf_counter()
    frames, read = _floor_frames(year)
    rows = 0
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(frame.columns))
        plain = frame.astype(object).where(frame.notna(), None)
        for n, row in enumerate(plain.itertuples(index=False, name=None), start=1):
            sheet.write_row(n, 0, row)
        rows += len(frame)
    book.close()
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "read": read, "before": before, "peak": _rss_bytes(), "rows": rows}


def run_ours(out: str, year: int) -> dict[str, Any]:
    import pandas as pd  # noqa: F401 - imported before the clock starts, as for the floor
    import xlsxwriter  # noqa: F401

    from reports.scope import whole_database
    from reports.workbook import write_workbook, year_end_data

    scope = whole_database()
    before = _rss_bytes()
    began = time.perf_counter()
    data = year_end_data(scope=scope, year=year)
    read = time.perf_counter() - began
    write_workbook(data, out)
    seconds = time.perf_counter() - began
    rows = sum(
        len(f)
        for f in (data.projects, data.budget, data.repayable, data.districts, data.acceptance,
                  data.indicators)
    )  # fmt: skip
    return {"seconds": seconds, "read": read, "before": before, "peak": _rss_bytes(), "rows": rows}


def child(which: str, out: str, year: int) -> None:
    _setup()
    run = {"ours": run_ours, "floor": run_floor, "xlsx": run_floor_xlsx}[which]
    result = run(out, year)
    print(json.dumps(result), flush=True)


def _measure(which: str, env: dict[str, str], out: str) -> dict[str, Any]:
    answer = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", which, "--out", out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"{which} failed: {answer.stderr.strip()[-2000:]}")
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


# --- the throw-away database --------------------------------------------------------------


def _throwaway_url(tmp: Path, name: str, reuse: bool = False) -> tuple[str, str, bool]:
    """(url of the bench database, kind, whether it was kept from an earlier run);
    PostgreSQL when DATABASE_URL names a server."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        url = urlunsplit(parts._replace(path=f"/{name}"))
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if reuse and found.fetchone():
                return url, "postgresql", True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return url, "postgresql", False
    return f"sqlite:///{tmp / 'bench.sqlite3'}", "sqlite", False


def _drop(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')


def dataset_counts() -> str:
    """What the database holds (counted, so a reused database says what it is)."""
    from ledger.models import Entry, RepayableAccount
    from projects.models import Application
    from reviews.models import Assignment, ExpertProfile, Score

    return (
        f"{Application.objects.count()} applications, "
        f"{Application.objects.filter(approved_amount_fen__isnull=False).count()} funded, "
        f"{RepayableAccount.objects.count()} repayable accounts, "
        f"{Entry.objects.count()} journal entries, {ExpertProfile.objects.count()} experts, "
        f"{Assignment.objects.count()} assignments, {Score.objects.count()} scores"
    )


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = DESIGN §9")
    parser.add_argument("--entries", type=int, default=None, help="journal entries")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: measure on --database as it is if it exists (e.g. bench/load.py --keep)",
    )
    parser.add_argument(
        "--database", default=BENCH_DB, help="PostgreSQL: the throw-away database's name"
    )
    parser.add_argument("--child", choices=["ours", "floor", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.out, YEAR)
        return

    tmp = Path(tempfile.mkdtemp(prefix="kjfund-bench-reports-"))
    url, vendor, kept = _throwaway_url(tmp, args.database, args.reuse)
    os.environ["DATABASE_URL"] = url
    _setup()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(ROOT / "bench"))
    from reports_data import Builder, Scale

    scale = Scale().scaled(args.scale)
    if args.entries is not None:
        scale.entries = args.entries
    try:
        began = time.perf_counter()
        if kept:
            print(f"bench database: {vendor} ({url.rsplit('/', 1)[-1]}), reused", flush=True)
        else:
            call_command("migrate", verbosity=0)
            print(f"bench database: {vendor} ({url.rsplit('/', 1)[-1]}), migrated", flush=True)
            print("building the BENCH-ONLY dataset (bulk inserts):", flush=True)
            Builder(scale, log=lambda m: print(m, flush=True)).build()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would have done by now
        connection.close()
        print(f"dataset ready in {time.perf_counter() - began:.0f} s", flush=True)

        env = {**os.environ, "DATABASE_URL": url}
        kinds = ["ours", "floor", "xlsx"]
        results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        for n in range(args.rounds):
            # each takes its turn first, second and last
            for which in kinds[n % 3 :] + kinds[: n % 3]:
                out = str(tmp / f"{which}-{n}.xlsx")
                result = _measure(which, env, out)
                result["size"] = Path(out).stat().st_size
                results[which].append(result)
                print(
                    f"  round {n + 1} {which:<5} {result['seconds']:6.2f} s "
                    f"(reading {result['read']:5.2f} s), peak {_mb(result['peak'])}, "
                    f"{result['rows']} rows, {result['size'] / 1024**2:.1f} MB file",
                    flush=True,
                )
        seconds = {k: statistics.median(r["seconds"] for r in results[k]) for k in kinds}
        reading = {k: statistics.median(r["read"] for r in results[k]) for k in kinds}
        peak = {k: max(r["peak"] for r in results[k]) for k in kinds}
        before = {k: statistics.median(r["before"] for r in results[k]) for k in kinds}
        print()
        print(
            f"{vendor}: {dataset_counts()}; year {YEAR}, whole province; "
            f"medians of {args.rounds} rounds"
        )
        names = {
            "ours": "ours  (year_end_workbook)          ",
            "floor": "floor (read_sql + to_excel)        ",
            "xlsx": "floor (read_sql + plain XlsxWriter)",
        }
        for k in kinds:
            print(
                f"  {names[k]} {seconds[k]:7.2f} s (reading {reading[k]:5.2f} s)   peak RSS "
                f"{_mb(peak[k])} (process before the work {_mb(int(before[k]))})"
            )
        for k in ("floor", "xlsx"):
            # the median of the rounds' own ratios: each round measured the three in a
            # row, so a busy moment of the machine weighs on both sides of its ratio
            ratio = statistics.median(
                o["seconds"] / f["seconds"]
                for o, f in zip(results["ours"], results[k], strict=True)
            )
            print(
                f"  time ours / {names[k].strip()}: {ratio:.2f}x, median of the rounds' "
                f"ratios ({seconds['ours'] / seconds[k]:.2f}x of the medians) "
                f"({'goal met' if ratio <= GOAL_RATIO else 'GOAL MISSED'}: within {GOAL_RATIO}x)"
            )
        print(
            f"  peak {_mb(peak['ours'])} "
            f"({'goal met' if peak['ours'] < GOAL_BYTES else 'GOAL MISSED'}: under 1 GB)"
        )
    finally:
        if not args.keep:
            _drop(url)
            for path in tmp.iterdir():
                path.unlink()
            tmp.rmdir()
        else:
            print(f"kept: {url}")


if __name__ == "__main__":
    main()
