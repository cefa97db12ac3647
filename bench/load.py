"""Load bench (issue 16, item 3): N logged-in users of mixed roles against gunicorn.

Builds (or reuses) a PostgreSQL database — the province-year of bench/reports_data.py
(DESIGN §9; ``--scale`` shrinks it for a quick run) or the demo world (``--demo``) —
adds one account per simulated user (applicants, experts, district officers, city
officers, finance, auditors; every one distinct, so django-axes, which locks an account
only after wrong passwords, never locks them), starts gunicorn (4 sync workers,
``deploy/gunicorn.conf.py``, the production settings over plain http) on 127.0.0.1, and
runs locust headless (bench/load_users.py): every user logs in through the real login
page, then browses its role's usual pages (home, lists, a detail, the inbox, the reports
dashboard for officers) with 1–3 s of thinking, for ``--duration`` seconds.

Prints p50/p95/p99 per role and page and overall (logins apart), requests/s and errors.
Goal (issue 16): p95 ≤ 150 ms and 0 errors at 50 users.

    .venv/bin/python bench/load.py                       # §9 scale, 50 users, 120 s
    .venv/bin/python bench/load.py --scale 0.05 --users 10 --duration 30
    .venv/bin/python bench/load.py --demo
    .venv/bin/python bench/load.py --reuse --keep        # the database of an earlier --keep

The database is ``--database`` (default kjfund_load) on the server of DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/); it is created for the run and dropped
after it unless ``--keep``. The rows are BENCH-ONLY DATA (bench/reports_data.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
PASSWORD = "Load-bench-2026!"  # noqa: S105 - bench accounts in a throw-away database
GOAL_P95_MS = 150
# Shares of the simulated users by role (the rest are applicants).
SHARES = {
    "expert": 0.16,
    "district_officer": 0.20,
    "city_officer": 0.14,
    "finance": 0.10,
    "auditor": 0.10,
}
DETAILS = 20  # objects per user for its detail pages
RAMP_MARGIN = 20  # seconds after the last user started, for the logins to finish


def _server_env(url: str, port: int) -> dict[str, str]:
    """The production settings over plain http on 127.0.0.1 (as deploy/serve does)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))


def _database(base: str, name: str, *, reuse: bool) -> tuple[str, bool]:
    """(url, exists already)."""
    import psycopg

    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    with psycopg.connect(_admin_url(base), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found and reuse:
            return url, True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url, False


def _drop(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the accounts -----------------------------------------------------------------------------


def _counts(users: int, experts_available: int) -> dict[str, int]:
    counts = {role: max(1, round(users * share)) for role, share in SHARES.items()}
    counts["expert"] = min(counts["expert"], experts_available)
    counts["applicant"] = max(1, users - sum(counts.values()))
    while sum(counts.values()) > users:  # tiny runs: trim the largest office role
        role = max(SHARES, key=lambda r: counts[r])
        counts[role] -= 1
    return counts


def _pages(role: str, details: dict[str, list[str]]) -> list[tuple[str, Any]]:
    """(label, url or list of urls) of the role's usual pages."""
    common: list[tuple[str, Any]] = [("home", "/"), ("inbox", "/inbox/")]
    by_role: dict[str, list[tuple[str, Any]]] = {
        "applicant": [
            ("applications", "/applications/"),
            ("application", details.get("application")),
        ],
        "expert": [
            ("my assignments", "/reviews/my/"),
            ("assignment", details.get("assignment")),
        ],
        "district_officer": [
            ("applications", "/applications/"),
            ("application", details.get("application")),
            ("recommendations", "/recommendations/"),
            ("organisations", "/organisations/"),
            ("reports", "/reports/"),
        ],
        "city_officer": [
            ("applications", "/applications/"),
            ("application", details.get("application")),
            ("calls", "/calls/"),
            ("panels", "/reviews/panels/"),
            ("reports", "/reports/"),
        ],
        "finance": [
            ("finance home", "/ledger/"),
            ("budget lines", "/ledger/budget-lines/"),
            ("budget line", details.get("budget_line")),
            ("disbursements", "/ledger/disbursements/"),
            ("repayable", "/ledger/repayable/"),
            ("award indicators", "/awards/indicators/"),
            ("reports", "/reports/"),
        ],
        "auditor": [
            ("applications", "/applications/"),
            ("application", details.get("application")),
            ("budget lines", "/ledger/budget-lines/"),
            ("disbursements", "/ledger/disbursements/"),
            ("reports", "/reports/"),
        ],
    }
    return common + [(label, url) for label, url in by_role[role] if url]


def make_accounts(users: int, skip_pages: set[str]) -> tuple[list[dict[str, Any]], str]:
    """Creates (or finds, with --reuse) the bench accounts; returns them with their pages,
    and a note on what the dataset lacked."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from accounts.models import Organisation, OrgUnit, RoleMembership, User
    from ledger.models import BudgetLine
    from projects.models import Application
    from reviews.models import Assignment, ExpertProfile

    notes = []
    hashed = make_password(PASSWORD)
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    assert root is not None, "the dataset has no regions"
    submitted = Application.objects.exclude(status="draft")
    busiest = list(
        submitted.values("district_id").annotate(n=Count("pk")).order_by("-n", "district_id")
    )
    districts = OrgUnit.objects.in_bulk([row["district_id"] for row in busiest])
    district_list = [districts[row["district_id"]] for row in busiest]
    cities = []
    for district in district_list:
        if district.parent_id and district.parent_id not in cities:
            cities.append(district.parent_id)
    city_units = OrgUnit.objects.in_bulk(cities)
    city_list = [city_units[pk] for pk in cities]
    org_ids = [
        row["organisation_id"]
        for row in submitted.filter(organisation__isnull=False)
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "organisation_id")[: users * 2]
    ]
    organisations = Organisation.objects.in_bulk(org_ids)
    experts = list(
        ExpertProfile.objects.annotate(n=Count("assignments"))
        .filter(n__gt=0)
        .select_related("person")
        .order_by("-n", "pk")[:users]
    )
    counts = _counts(users, len(experts))
    if not experts:
        notes.append("no expert with assignments in this dataset: no expert users")

    def pick(items: list[Any], n: int) -> Any:
        return items[n % len(items)]

    accounts: list[dict[str, Any]] = []
    seq = 0
    for role, count in counts.items():
        for n in range(count):
            seq += 1
            username = f"load_{role}_{n + 1:03d}"
            person = None
            organisation = None
            unit = root
            details: dict[str, list[str]] = {}
            if role == "applicant":
                organisation = organisations[pick(org_ids, n)]
                unit = organisation.region
                details["application"] = [
                    f"/applications/{pk}/"
                    for pk in submitted.filter(organisation=organisation)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DETAILS]
                ]
            elif role == "expert":
                expert = experts[n]  # distinct experts: as many as there are users
                person = expert.person
                details["assignment"] = [
                    f"/reviews/assignments/{pk}/"
                    for pk in Assignment.objects.filter(expert=expert)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DETAILS]
                ]
            elif role == "district_officer":
                unit = pick(district_list, n)
                details["application"] = [
                    f"/applications/{pk}/"
                    for pk in submitted.filter(district=unit)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DETAILS]
                ]
            elif role in ("city_officer", "finance"):
                unit = pick(city_list, n)
                details["application"] = [
                    f"/applications/{pk}/"
                    for pk in submitted.filter(district__path__startswith=unit.path)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DETAILS]
                ]
                details["budget_line"] = [
                    f"/ledger/budget-lines/{pk}/"
                    for pk in BudgetLine.objects.filter(scope_path__startswith=unit.path)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DETAILS]
                ]
            elif role == "auditor":
                details["application"] = [
                    f"/applications/{pk}/"
                    for pk in submitted.order_by("pk").values_list("pk", flat=True)[:DETAILS]
                ]
            # an expert who has an account already (the bench data gives each one) is
            # that account; the bench sets its password
            existing = User.objects.filter(person=person).first() if person else None
            if existing is not None:
                user, created, username = existing, False, existing.username
            else:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"password": hashed, "full_name": f"压测{seq}", "person": person},
                )
            if not created:
                User.objects.filter(pk=user.pk).update(password=hashed, is_active=True)
            if existing is None:
                RoleMembership.objects.get_or_create(
                    user=user, role=role, org_unit=unit, organisation=organisation
                )
            pages = [(label, url) for label, url in _pages(role, details)]
            pages = [(label, url) for label, url in pages if label not in skip_pages]
            accounts.append(
                {"username": username, "password": PASSWORD, "role": role, "pages": pages}
            )
    return accounts, "; ".join(notes)


# --- the run ----------------------------------------------------------------------------------


def _collectstatic() -> None:
    """The production settings serve the collected, hashed files (whitenoise's manifest);
    collecting compresses every file (minutes on a busy machine), so it is skipped when
    the manifest is newer than every file of static/."""
    from django.conf import settings
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = [p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()]
    if manifest.exists() and manifest.stat().st_mtime > max(sources, default=0):
        return
    print("collecting the static files (once)", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)


def _wait_ready(url: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting (see its log)")
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer in time")


def _machine() -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"{os.cpu_count()} CPUs, load average {' '.join(load)}"


def _busy_processes() -> str:
    """The other processes using the CPU at the moment (what else ran)."""
    answer = subprocess.run(
        ["ps", "-eo", "pcpu,comm", "--sort=-pcpu"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    rows = [line.split(None, 1) for line in answer.stdout.splitlines()[1:]]
    busy = [f"{name.strip()} {cpu}%" for cpu, name in rows if float(cpu) >= 5.0][:8]
    return ", ".join(busy) or "nothing above 5 %"


def _pct(times: list[float], p: float) -> float:
    """The p-th percentile of sorted ``times`` (nearest rank)."""
    return times[min(len(times) - 1, max(0, -(-len(times) * p // 100) - 1))] if times else 0.0


def _table(records: list[list[Any]]) -> None:
    by_name: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for name, ms, failed, _start in records:
        by_name.setdefault(name, []).append(ms)
        errors[name] = errors.get(name, 0) + int(failed)
    print(f"{'role · page':<36} {'reqs':>6} {'errs':>5} {'p50':>6} {'p95':>6} {'p99':>6} (ms)")
    for name in sorted(by_name, key=lambda n: (n.startswith("login"), n)):
        t = sorted(by_name[name])
        print(
            f"{name[:36]:<36} {len(t):>6} {errors[name]:>5} "
            f"{_pct(t, 50):6.0f} {_pct(t, 95):6.0f} {_pct(t, 99):6.0f}"
        )


def _line(label: str, records: list[list[Any]], seconds: float) -> None:
    t = sorted(r[1] for r in records)
    errors = sum(int(r[2]) for r in records)
    print(
        f"{label:<34} {len(t):>6} requests, {len(t) / max(seconds, 1e-9):5.1f} requests/s, "
        f"{errors} errors; p50 {_pct(t, 50):.0f} ms, p95 {_pct(t, 95):.0f} ms, "
        f"p99 {_pct(t, 99):.0f} ms"
    )


def _report(times_file: Path, users: int) -> bool:
    """Per role and page, and overall, from every request's time. The goal is judged on
    the steady state: the requests started once every user was logged in (the ramp's
    logins cost a password hash each, PBKDF2, and queue the first pages behind them);
    errors count over the whole run."""
    data = json.loads(times_file.read_text(encoding="utf-8"))
    records = data["requests"]
    if not records:
        print("no requests were made")
        return False
    first = min(r[3] for r in records)
    last = max(r[3] + r[1] / 1000 for r in records)
    settled = max(data["logged_in"], default=first)
    steady = [r for r in records if r[3] >= settled and not r[0].startswith("login")]
    browsing = [r for r in records if not r[0].startswith("login")]
    print()
    print(f"steady state ({len(data['logged_in'])} users logged in, {last - settled:.0f} s):")
    _table(steady)
    print()
    print(f"whole run, ramp and logins included ({last - first:.0f} s):")
    _table(records)
    print()
    _line("steady state (all logged in)", steady, last - settled)
    _line("whole run, pages", browsing, last - first)
    _line("whole run, logins included", records, last - first)
    total_errors = sum(int(r[2]) for r in records)
    p95 = _pct(sorted(r[1] for r in steady), 95)
    met = p95 <= GOAL_P95_MS and total_errors == 0 and len(data["logged_in"]) == users
    print(
        f"goal (steady-state p95 ≤ {GOAL_P95_MS} ms, 0 errors, {users} users): "
        f"{'met' if met else 'MISSED'} (p95 {p95:.0f} ms, {total_errors} errors, "
        f"{len(data['logged_in'])} users logged in)"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--duration", type=float, default=120, help="seconds of steady state (after the ramp)"
    )
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = DESIGN §9")
    parser.add_argument("--demo", action="store_true", help="the demo world instead")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="seconds the server keeps its database connections (DATABASE_URL's "
        "conn_max_age; 0, the default, connects once per request)",
    )
    parser.add_argument("--database", default="kjfund_load")
    parser.add_argument("--reuse", action="store_true", help="use the database if it exists")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out a page by its label (repeatable)"
    )
    args = parser.parse_args()
    if not shutil.which("locust", path=str(BIN)):
        print("locust is missing: .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        print("bench/load.py runs on PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
        return 2
    url, exists = _database(base, args.database, reuse=args.reuse)
    env = _server_env(url, args.port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    tmp = Path(tempfile.mkdtemp(prefix="kjfund-load-"))
    server = None
    try:
        began = time.perf_counter()
        call_command("migrate", verbosity=0)  # a kept database gets the newer migrations
        if not exists:
            if args.demo:
                print("building the demo world", flush=True)
                call_command("demo", verbosity=0)
            else:
                sys.path.insert(0, str(ROOT / "bench"))
                from reports_data import Builder, Scale

                print(f"building the BENCH-ONLY dataset (scale {args.scale})", flush=True)
                Builder(Scale().scaled(args.scale), log=lambda m: print(m, flush=True)).build()
            print(f"dataset built in {time.perf_counter() - began:.0f} s", flush=True)
        accounts, note = make_accounts(args.users, set(args.skip))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would have done by now
        connection.close()
        roles: dict[str, int] = {}
        for account in accounts:
            roles[account["role"]] = roles.get(account["role"], 0) + 1
        print(f"accounts: {roles}" + (f" ({note})" if note else ""), flush=True)
        users_file = tmp / "users.json"
        users_file.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")

        _collectstatic()
        log = (tmp / "gunicorn.log").open("wb")
        server_url = url
        if args.conn_max_age:
            server_url += f"?conn_max_age={args.conn_max_age}&conn_health_checks=true"
        server = subprocess.Popen(  # noqa: S603 - our own server
            [
                str(BIN / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "--workers",
                str(args.workers),
                "--worker-class",
                "sync",
                "config.wsgi",
            ],
            cwd=ROOT,
            env={**env, "GUNICORN_WORKERS": str(args.workers), "DATABASE_URL": server_url},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        host = f"http://127.0.0.1:{args.port}"
        _wait_ready(host, server)
        print(
            f"gunicorn: {args.workers} sync workers on {host}, database connections kept "
            f"{args.conn_max_age} s; machine: {_machine()}"
        )
        print(f"busy before the run: {_busy_processes()}", flush=True)
        prefix = tmp / "locust"
        # the ramp: users started at --spawn-rate, each logging in (a password hash);
        # --duration is the steady state after it
        ramp = len(accounts) / args.spawn_rate + RAMP_MARGIN
        times_file = tmp / "times.json"
        locust_env = {
            **os.environ,
            "LOAD_USERS_FILE": str(users_file),
            "LOAD_TIMES_FILE": str(times_file),
        }
        locust_env.pop("DJANGO_SETTINGS_MODULE", None)
        answer = subprocess.run(  # noqa: S603 - our own bench
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "load_users.py"),
                "--headless",
                "--users",
                str(len(accounts)),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{int(args.duration + ramp)}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "5",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=locust_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if not times_file.exists():
            print(answer.stdout[-3000:], answer.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"busy at the end: {_busy_processes()}; machine: {_machine()}")
        met = _report(times_file, len(accounts))
        failures = tmp / "locust_failures.csv"
        if failures.exists():
            rows = list(csv.DictReader(failures.open(encoding="utf-8")))
            for row in rows[:10]:
                print(f"  error: {row['Name']}: {row['Error']} ×{row['Occurrences']}")
        return 0 if met else 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            connection.close()
            _drop(base, args.database)
        else:
            print(f"kept: {url}")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
