"""Pages bench (issue 16, item 1): every list and detail page of every role, at the
scale of DESIGN §9, on PostgreSQL.

The province-year of ``bench/reports_data.py`` (50 000 applications, 500 experts, five
assignments per city panel item with a score per criterion, 300 000 journal entries …)
is built in a throw-away database, and one user per role is given a membership there
(administrator and auditor of the province; city officer, finance maker and checker of
the city with the largest panel; district officer and district finance of that city's
busiest district; an expert of the pool; an applicant of the organisation with the most
applications). Then, for each role, with the Django test client:

* the pages: the home page, every entry of the role's menu, the first link of every
  other page kind that those pages show (a detail page, a download …), the largest
  panel the role can see with its ranking.xlsx, and the largest one still open for
  scoring (its live ranking; the builder leaves the second largest panel open) with its
  ranking.xlsx;
* each page is requested once to warm up, then ``--runs`` times; the table gives the
  median time, the number of queries (``CaptureQueriesContext``) and the size;
* "flat": the same pages of a second database built at ``--flat-scale`` (0.1 by
  default) give their query count; a page is flat when the two counts are the same.

    .venv/bin/python bench/pages.py                      # builds both databases, keeps them
    .venv/bin/python bench/pages.py --reuse              # measures the kept databases again
    .venv/bin/python bench/pages.py --reuse --write docs/pages.md
    .venv/bin/python bench/pages.py --drop               # drops the bench databases

DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/kjfund_pages);
the bench databases are ``<name>_bench_pages`` and ``<name>_bench_pages_small`` on it.
The rows are BENCH-ONLY DATA made with bulk inserts; nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjfund_pages"
GOAL_MS = 300.0
# Page kinds not measured: forms that change things, the admin site, the API (its own
# bench), log-out and the language switch.
SKIP = re.compile(
    r"(^admin:|^api:|logout|set_language|password|_create$|_new$|^application_start$|_edit$|"
    r"_delete$|_upload$|_import$|_handle$|_revoke$|_action$|_record$|_declare$|_score$|"
    r"^imports:commit|^reports:export|next_version|^notices:read|^login$)"
)


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.append(str(ROOT / "bench"))  # after the apps: bench/ledger.py is no package
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


# --- the databases -------------------------------------------------------------------------


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _db_url(base: str, suffix: str) -> str:
    parts = urlsplit(base)
    name = parts.path.strip("/") or "kjfund_pages"
    return urlunsplit(parts._replace(path=f"/{name}_bench_pages{suffix}"))


def _exists(url: str) -> bool:
    import psycopg

    name = urlsplit(url).path.strip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not found:
        return False
    with psycopg.connect(url, autocommit=True) as conn:
        try:  # the builder's last step seals the journal: a block means it finished
            row = conn.execute("SELECT count(*) FROM ledger_block").fetchone()
        except psycopg.Error:
            return False
    return bool(row and row[0])


def _recreate(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.strip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.strip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_build(scale: float) -> None:
    _setup()
    from django.core.management import call_command
    from django.db import connection
    from reports_data import Builder, Scale

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    Builder(Scale().scaled(scale), log=lambda m: print(m, file=sys.stderr, flush=True)).build()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done by now
    print(json.dumps({"seconds": time.perf_counter() - began}), flush=True)


# --- the users -----------------------------------------------------------------------------


def _users() -> dict[str, Any]:
    """One user per role (made once; the memberships as an administrator would grant)."""
    from django.db.models import Count

    from accounts.models import Organisation, OrgUnit, RoleMembership, User
    from accounts.permissions import forget_scope
    from projects.models import Application
    from reviews.models import ExpertProfile, Panel

    biggest = Panel.objects.annotate(n=Count("items")).order_by("-n", "pk").first()
    assert biggest is not None, "the bench database has no panel"
    city = biggest.unit
    top = (
        Application.objects.filter(district__parent=city)
        .values("district")
        .annotate(n=Count("pk"))
        .order_by("-n", "district")
        .first()
    )
    assert top is not None
    district = OrgUnit.objects.get(pk=top["district"])
    province = OrgUnit.objects.get(level="province")
    organisation = Organisation.objects.get(pk=_applicant_organisation())
    _register_person(district, organisation)
    wanted = [
        ("admin", "admin", province, None),
        ("city_officer", "city_officer", city, None),
        ("district_officer", "district_officer", district, None),
        ("district_finance", "district_finance", district, None),
        ("finance", "finance", city, None),
        ("finance_checker", "finance_checker", city, None),
        ("auditor", "auditor", province, None),
        ("applicant", "applicant", None, organisation),
    ]
    users: dict[str, Any] = {}
    for username, role, unit, org in wanted:
        user, made = User.objects.get_or_create(
            username=f"bench_{username}", defaults={"full_name": f"基准 {role}"}
        )
        if made:
            RoleMembership.objects.create(
                user=user,
                role=role,
                org_unit=unit if org is None else org.region,
                organisation=org,
            )
        else:  # a kept database made by an older bench gets the current choice
            RoleMembership.objects.filter(user=user, role=role).update(
                org_unit=unit if org is None else org.region, organisation=org
            )
        forget_scope(user)
        users[role] = user
    expert = ExpertProfile.objects.filter(person__user__isnull=False).order_by("pk").first()
    assert expert is not None, "the bench database has no expert with a user"
    users["expert"] = User.objects.get(person=expert.person)
    return users


def _applicant_organisation() -> int:
    """The applicant's organisation: the one with the most applications among those that
    have, at every scale, the states whose pages differ in their queries: a returned
    application (its home queue looks up the reason of the return) and one in progress
    with a contract (the "contracts and implementation" list and the detail page of
    ``_comparable``). The organisation with the most applications alone had none under
    way at scale 1 and one at scale 0.1."""
    from django.db.models import Count, Q

    from projects.models import Application

    s = Application.Status
    top = (
        Application.objects.filter(organisation__isnull=False)
        .values("organisation")
        .annotate(
            n=Count("pk"),
            returned=Count("pk", filter=Q(status=s.RETURNED)),
            under_way=Count("pk", filter=Q(status=s.IN_PROGRESS, contract__isnull=False)),
        )
        .filter(returned__gt=0, under_way__gt=0)
        .order_by("-n", "organisation")
        .first()
    )
    if top is None:  # a database without those states: the busiest organisation
        top = (
            Application.objects.values("organisation")
            .annotate(n=Count("pk"))
            .order_by("-n", "organisation")
            .first()
        )
    assert top is not None
    return int(top["organisation"])


def _register_person(district: Any, organisation: Any) -> None:
    """A person registered in the bench district when it has none, as a registry editor
    would register a project leader. The data's only persons are the experts, one per
    district in turn: 500 cover every district at scale 1, but the 50 of scale 0.1 leave
    most districts (the bench city's among them) without a person, so that the persons
    list was empty there (no row query, no detail page to follow)."""
    from accounts.models import Organisation, Person
    from demo.codes import id_number

    if Person.objects.filter(region__path__startswith=district.path).exists():
        return
    employer = Organisation.objects.filter(region=district).order_by("pk").first() or organisation
    Person.objects.create(
        name="基准 项目负责人",
        id_number=id_number(division=district.code, birth="19800101", seq=999),
        region=district,
        organisation=employer,
    )


def _comparable(user: Any, pages: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(key, url, object): a detail page shows the object of the same kind and state at
    every scale, so that the two query counts compare like with like. The first link of
    a list is the newest object, whose state is chance: an application rejected at one
    scale and under review at the other, a report with or without a contract. The page
    runs queries that depend on that state (the contract, its tranches and indicators,
    the return reason, the submission checks), so the bench takes instead:

    * application_detail: the newest visible application in progress with a contract;
    * report_detail: the newest visible report of a contract.

    When the role sees no such object, the page's own link is kept and said so."""
    from django.urls import reverse

    from projects.contract_models import ProgressReport
    from projects.models import Application

    visible = Application.objects.visible_to(user)
    chosen: dict[str, tuple[Any, str]] = {
        "application_detail": (
            visible.filter(status=Application.Status.IN_PROGRESS, contract__isnull=False)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first(),
            "newest in progress with a contract",
        ),
        "report_detail": (
            ProgressReport.objects.filter(application__in=visible, contract__isnull=False)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first(),
            "newest report of a contract",
        ),
    }
    out = []
    for key, url in pages:
        if key not in chosen:
            out.append((key, url, ""))
            continue
        pk, what = chosen[key]
        if pk is None:
            out.append((key, url, "first link (no such object visible)"))
        else:
            out.append((key, reverse(key, args=[pk]), what))
    return out


# --- the pages -----------------------------------------------------------------------------

HREF = re.compile(r'href="(/[^"#]*)"')


def _kind(path: str) -> str | None:
    """The URL name of an address of this site, or None for an address not measured."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    name = match.view_name
    return None if SKIP.search(name) else name


def _get(client: Any, url: str) -> tuple[int, int, float, int, str, str]:
    """(status, bytes, ms, queries, content-type, shape of the queries) of one GET, the
    body read in full."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        response = client.get(url)
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        ms = (time.perf_counter() - began) * 1000
    return (
        response.status_code,
        len(body),
        ms,
        len(ctx.captured_queries),
        response.get("Content-Type", ""),
        _shape(ctx.captured_queries),
    )


_LITERALS = [
    (re.compile(r"_django_curs_\w+"), "CURSOR"),  # a server-side cursor's name
    (re.compile(r"'(?:[^']|'')*'"), "'?'"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "0"),
    (re.compile(r"IN \((?:[^()]|\([^()]*\))*\)"), "IN (…)"),
]


def _shape(captured: list[dict[str, Any]]) -> str:
    """A fingerprint of the statements a page ran, literals left out (ids, dates, the
    length of an IN list): two pages with the same shape ran the same queries in the same
    order, whatever rows they found. The flatness check compares it as well as the count,
    so that one query missing and another added do not pass as flat."""
    import hashlib

    statements = []
    for query in captured:
        sql = query["sql"]
        for pattern, replacement in _LITERALS:
            sql = pattern.sub(replacement, sql)
        statements.append(sql)
    return hashlib.sha256("\n".join(statements).encode()).hexdigest()[:12]


def _body(client: Any, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return ""
    return response.content.decode(errors="replace")


def _pages_for(role: str, user: Any, client: Any) -> list[tuple[str, str]]:
    """(key, url): home, the menu, the first link of every other page kind, the largest
    panel the role can see and its ranking."""
    from django.db.models import Count
    from django.urls import reverse

    from accounts.navigation import navigation_for
    from reviews.models import Panel

    pages: list[tuple[str, str]] = [("home", reverse("home"))]
    menu = [i["url"] for g in navigation_for(user)["nav_groups"] for i in g["items"]]
    for url in menu:
        kind = _kind(url)
        if kind is not None:
            pages.append((f"menu {kind}{'?' + url.split('?', 1)[1] if '?' in url else ''}", url))
    visible = Panel.objects.visible_to(user).annotate(n=Count("items")).order_by("-n", "pk")
    biggest = visible.first()
    if biggest is not None and role != "expert":
        pages.append(("largest panel", reverse("reviews:panel", args=[biggest.pk])))
        pages.append(
            ("largest panel ranking.xlsx", reverse("reviews:ranking_download", args=[biggest.pk]))
        )
        # the live ranking: computed from the scores at every request
        scoring = visible.filter(status=Panel.Status.OPEN).first()
        if scoring is not None and scoring.pk != biggest.pk:
            pages.append(("largest open panel", reverse("reviews:panel", args=[scoring.pk])))
            pages.append(
                (
                    "largest open panel ranking.xlsx",
                    reverse("reviews:ranking_download", args=[scoring.pk]),
                )
            )
    seen = {_kind(u) for _k, u in pages}
    for _key, url in list(pages):
        for href in HREF.findall(_body(client, url)):
            href = href.replace("&amp;", "&")
            kind = _kind(href)
            if kind is None or kind in seen or "?" in href:
                continue
            seen.add(kind)
            pages.append((kind, href))
    return pages


def child_measure(runs: int, only: str) -> None:
    _setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)  # a kept database gets the newer indexes

    users = _users()
    out = []
    for role, user in users.items():
        if only and role not in only.split(","):
            continue
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for key, url, chosen in _comparable(user, _pages_for(role, user, client)):
            first = _get(client, url)  # warm-up (and the status)
            if first[0] != 200:
                out.append({"role": role, "key": key, "url": url, "status": first[0]})
                print(f"  {role:<17} {key:<40} HTTP {first[0]}", file=sys.stderr, flush=True)
                continue
            samples = [first] if runs == 0 else [_get(client, url) for _ in range(runs)]
            row = {
                "role": role,
                "key": key,
                "url": url,
                "object": chosen,
                "status": 200,
                "ms": statistics.median(s[2] for s in samples),
                "ms_all": [round(s[2], 1) for s in samples],
                "queries": samples[-1][3],
                "shape": samples[-1][5],
                "queries_all": sorted({s[3] for s in samples}),
                "bytes": samples[-1][1],
                "type": samples[-1][4].split(";")[0],
            }
            out.append(row)
            print(
                f"  {role:<17} {key:<40} {row['ms']:9.1f} ms {row['queries']:4d} q",
                file=sys.stderr,
                flush=True,
            )
    print(json.dumps(out), flush=True)


# --- the parent ----------------------------------------------------------------------------


def _child(args: list[str], url: str) -> Any:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    answer = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed (exit {answer.returncode})")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def _ensure(url: str, scale: float, reuse: bool) -> str:
    name = urlsplit(url).path.strip("/")
    if reuse and _exists(url):
        return f"{name}: reused"
    _recreate(url)
    print(f"building {name} at scale {scale} (bulk inserts) …", flush=True)
    built = _child(["--child-build", str(scale)], url)
    return f"{name}: built in {built['seconds']:.0f} s"


def _table(rows: list[dict[str, Any]], small: dict[tuple[str, str], Any]) -> list[str]:
    lines = [
        "| role | page | median ms | queries | queries at small scale | flat | size | runs (ms) |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        if r["status"] != 200:
            lines.append(
                f"| {r['role']} | {r['key']} `{r['url']}` | HTTP {r['status']} | | | | | |"
            )
            continue
        other = small.get((r["role"], r["key"]))
        q_small = other["queries"] if other and other.get("status") == 200 else None
        flat = "—" if q_small is None else ("yes" if q_small == r["queries"] else "NO")
        if flat == "yes" and other and other.get("shape") != r.get("shape"):
            flat = "NO (same count, other queries)"
        over = " **over 300 ms**" if r["ms"] > GOAL_MS else ""
        size = f"{r['bytes'] / 1024:,.0f} KB"
        if r.get("object"):  # which object a detail page shows (``_comparable``)
            small_url = f", `{other['url']}` at small scale" if other else ""
            size = f"{size}; {r['object']}{small_url}"
        lines.append(
            f"| {r['role']} | {r['key']} `{r['url']}` | {r['ms']:,.1f}{over} | {r['queries']} "
            f"| {'' if q_small is None else q_small} | {flat} | {size} "
            f"| {', '.join(f'{m:.0f}' for m in r['ms_all'])} |"
        )
    return lines


def _unmatched(measured: list[dict[str, Any]], small: dict[tuple[str, str], Any]) -> list[Any]:
    """Pages of the large database with no page of the same key (or no HTTP 200) in the
    small one: their flatness is unknown ("—" in the table), so they are counted apart
    rather than passed."""
    return [
        r
        for r in measured
        if (o := small.get((r["role"], r["key"]))) is None or o.get("status") != 200
    ]


def _machine() -> str:
    import psycopg

    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {row[0] if row else '?'} on 127.0.0.1, load average {load} at the end"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = DESIGN §9")
    parser.add_argument("--flat-scale", type=float, default=0.1, help="0 = no flatness check")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the kept databases")
    parser.add_argument("--drop", action="store_true", help="drop the bench databases")
    parser.add_argument("--build-only", action="store_true", help="build, do not measure")
    parser.add_argument("--only", default="", help="roles, comma-separated")
    parser.add_argument("--write", help="write the table to this Markdown file")
    parser.add_argument("--child-build", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build is not None:
        child_build(args.child_build)
        return
    if args.child_measure:
        child_measure(args.runs, args.only)
        return

    base = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not base.startswith("postgres"):
        raise SystemExit("bench/pages.py measures on PostgreSQL: DATABASE_URL must name one")
    big, little = _db_url(base, ""), _db_url(base, "_small")
    if args.drop:
        _drop(big)
        _drop(little)
        print("dropped")
        return
    notes = [_ensure(big, args.scale, args.reuse)]
    if args.flat_scale:
        notes.append(_ensure(little, args.flat_scale, args.reuse))
    print("; ".join(notes), flush=True)
    if args.build_only:
        return
    measure = ["--child-measure", "--runs", str(args.runs), "--only", args.only]
    began = time.perf_counter()
    rows = _child(measure, big)
    small: dict[tuple[str, str], Any] = {}
    if args.flat_scale:
        small = {(r["role"], r["key"]): r for r in _child([*measure[:1], "--runs", "1",
                                                           "--only", args.only], little)}  # fmt: skip
    lines = _table(rows, small)
    measured = [r for r in rows if r["status"] == 200]
    over = [r for r in measured if r["ms"] > GOAL_MS]
    not_flat = [
        r
        for r in measured
        if (o := small.get((r["role"], r["key"]))) and o.get("status") == 200
        and (o["queries"] != r["queries"] or o.get("shape") != r.get("shape"))
    ]  # fmt: skip
    unmatched = _unmatched(measured, small) if args.flat_scale else []
    summary = (
        f"{len(measured)} pages measured ({args.runs} runs each after a warm-up) in "
        f"{time.perf_counter() - began:.0f} s; slowest median "
        f"{max((r['ms'] for r in measured), default=0):,.1f} ms; {len(over)} over "
        f"{GOAL_MS:.0f} ms; {len(not_flat)} with a query count that differs (or other queries) at scale "
        f"{args.flat_scale}; {len(unmatched)} without that page at scale {args.flat_scale}."
    )
    print("\n".join(lines))
    print(summary)
    if args.write:
        command = "DATABASE_URL=… .venv/bin/python bench/pages.py " + " ".join(sys.argv[1:])
        target = Path(args.write)
        target.write_text(
            _document(target, command, notes, lines, summary, _machine()), encoding="utf-8"
        )
        print(f"written: {args.write}")


def _document(
    path: Path, command: str, notes: list[str], lines: list[str], summary: str, machine: str
) -> str:
    """The file at ``path`` with everything from its "## Last run" heading on replaced
    (what is above it, written by hand, is kept)."""
    from django.apps import apps

    if not apps.ready:  # the parent process measures through children: set up here
        _setup()
    from core import clock

    marker = "## Last run"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Pages at province scale\n"
    intro = old.split(marker, 1)[0].rstrip()
    return (
        f"{intro}\n\n{marker}\n\n"
        f"    {command}\n\n"
        f"* {clock.iso_datetime(clock.now())} Beijing time; {machine}.\n"
        f"* Databases: {'; '.join(notes)}.\n"
        f"* {summary}\n\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
