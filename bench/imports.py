"""Imports bench (issue 7, acceptance 6).

10 000 organisations (``--rows``) imported three ways in the same run, on a fresh
throw-away database of the server that DATABASE_URL names (SQLite by default, in a
temporary file), which is created for the run and dropped after it — a developer's
data is never touched:

1. the floor: ``bulk_create`` of rows already parsed into Python values;
2. django-import-export's default import: a ``ModelResource`` for Organisation, the
   file loaded by tablib, ``import_data`` row by row (one transaction, no bulk);
3. ours: ``core.importing`` with the ``organisations`` kind — the .xlsx read, every
   cell parsed (traditional district names, Chinese type labels), every row checked
   through the accounts services' rules, then one bulk write in one transaction;
   also its dry run and a second import of the same file (everything unchanged).

Then the hostile files (issue 12, item 7; ``--section hostile`` for these alone): the
workbooks of ``tests/imports/hostile.py`` at full size — a row of 5 million cells, a
cell and a shared string of 400 MB, 5 million shared strings, 5 million declared rows,
3 million real rows, 200 000 zip members, a member of 1 GB (its size stated truly, and
stated as 100 MB) — then an ordinary file of 10 000 organisations and the largest one
the caps let through (49 999 rows). Each goes through the organisations dry run (the
largest through ``Importer.read`` only: its dry run is the import, rolled back) in a
fresh subprocess, so that one file's peak cannot hide another's. Peak memory is the
subprocess's resident-set high-water mark: everything the process held — Python
objects, zlib's and expat's buffers, the interpreter and Django themselves — which is
what the machine has to find (``tracemalloc`` sees Python's own allocations only, and
slows the code it measures several times). The subprocess reads it from
``/proc/self/status`` (``VmHWM``): its ``ru_maxrss`` would not do, as Linux carries
the peak of the process that forked it across ``exec`` (the bench itself holds the
datasets it writes). Time is the dry run's wall-clock time and, as the machine is
shared, also its CPU time. The baseline is the same subprocess reading nothing. Each
subprocess runs under a 3 GB address-space limit and 120 s of CPU, so a regression
cannot take the shared machine down.

    .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py --section hostile
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjfund_bench .venv/bin/python bench/imports.py
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

CITIES = [
    (
        "330100",
        "杭州市",
        [
            "上城区",
            "拱墅区",
            "西湖区",
            "滨江区",
            "萧山区",
            "余杭区",
            "临平区",
            "钱塘区",
            "富阳区",
            "临安区",
            "桐庐县",
            "淳安县",
            "建德市",
        ],
    ),
    (
        "330200",
        "宁波市",
        [
            "海曙区",
            "江北区",
            "北仑区",
            "镇海区",
            "鄞州区",
            "奉化区",
            "象山县",
            "宁海县",
            "余姚市",
            "慈溪市",
        ],
    ),
    ("330500", "湖州市", ["吴兴区", "南浔区", "德清县", "长兴县", "安吉县"]),
]
TYPES = ["企业", "事业单位", "社会团体", "农民专业合作社", "机关", "高等院校", "科研院所", "其他"]
TYPE_CODES = {
    "企业": "enterprise",
    "事业单位": "institution",
    "社会团体": "social",
    "农民专业合作社": "cooperative",
    "机关": "government",
    "高等院校": "university",
    "科研院所": "research",
    "其他": "other",
}


REPEAT = 3


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def _regions() -> list[Any]:
    from accounts import services

    province = services.org_unit_create(code="330000", name="浙江省", level="province")
    districts = []
    for city_code, city_name, names in CITIES:
        city = services.org_unit_create(
            code=city_code, name=city_name, level="city", parent=province
        )
        for index, name in enumerate(names, start=1):
            districts.append(
                services.org_unit_create(
                    code=f"{city_code[:4]}{index:02d}", name=name, level="district", parent=city
                )
            )
    return districts


def _dataset(n: int, districts: list[Any]) -> list[dict[str, Any]]:
    """n organisations as a user would type them: a third of the districts in
    traditional characters, a third as 6-digit codes, a few stray spaces."""
    import zhconv

    from demo.codes import credit_code

    rows, seen = [], set()
    i = 0
    while len(rows) < n:
        i += 1
        district = districts[i % len(districts)]
        code = credit_code(authority="91", division=district.code, seed=f"bench-{i}")
        if code in seen:
            continue
        seen.add(code)
        kind = TYPES[i % len(TYPES)]
        if i % 3 == 0:
            written = zhconv.convert(district.name, "zh-hant")
        elif i % 3 == 1:
            written = district.code
        else:
            written = f" {district.name}\u3000"
        rows.append(
            {
                "credit_code": code,
                "name": f"{district.name}第{i}号科技有限公司",
                "type_label": kind,
                "org_type": TYPE_CODES[kind],
                "district_written": written,
                "region": district,
                "contact_name": f"联系人{i % 997}",
                "contact_phone": f"0571-{87000000 + i}",
            }
        )
    return rows


def _our_file(rows: list[dict[str, Any]]) -> bytes:
    from core.xlsx import table_to_xlsx

    return table_to_xlsx(
        "单位",
        ["统一社会信用代码", "单位名称", "单位类型", "所属区县", "联系人", "联系电话"],
        (
            (
                r["credit_code"],
                r["name"],
                r["type_label"],
                r["district_written"],
                r["contact_name"],
                r["contact_phone"],
            )
            for r in rows
        ),
    )


def _import_export_file(rows: list[dict[str, Any]]) -> bytes:
    """The same rows in the shape django-import-export reads without custom code:
    code-name headers, stored values (type codes, region codes)."""
    from core.xlsx import table_to_xlsx

    return table_to_xlsx(
        "Organisation",
        ["credit_code", "name", "org_type", "region", "contact_name", "contact_phone"],
        (
            (
                r["credit_code"],
                r["name"],
                r["org_type"],
                r["region"].code,
                r["contact_name"],
                r["contact_phone"],
            )
            for r in rows
        ),
    )


def _resource() -> Any:
    from import_export import fields, resources, widgets

    from accounts.models import Organisation, OrgUnit

    class OrganisationResource(resources.ModelResource):
        region = fields.Field(
            attribute="region",
            column_name="region",
            widget=widgets.ForeignKeyWidget(OrgUnit, "code"),
        )

        class Meta:
            model = Organisation
            fields = ("credit_code", "name", "org_type", "region", "contact_name", "contact_phone")
            import_id_fields = ("credit_code",)

    return OrganisationResource()


def _clear() -> None:
    from accounts.models import Organisation

    Organisation.objects.all().delete()


def run(n: int) -> list[tuple[str, float, str]]:
    """Every method once per round, ``REPEAT`` rounds, the best figure of each kept:
    the machine is shared, and interleaving spreads any disturbance evenly."""
    from django.db import connection, transaction
    from openpyxl import load_workbook
    from tablib import Dataset

    from accounts.models import Organisation
    from core import importing

    districts = _regions()
    rows = _dataset(n, districts)
    ours = _our_file(rows)
    theirs = _import_export_file(rows)
    resource = _resource()
    importer = importing.get_importer("organisations")

    def read_only() -> None:
        book = load_workbook(io.BytesIO(ours), read_only=True, data_only=True)
        assert sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) == n + 1
        book.close()

    def bulk() -> None:
        with transaction.atomic():
            Organisation.objects.bulk_create(
                [
                    Organisation(
                        credit_code=r["credit_code"],
                        name=r["name"],
                        org_type=r["org_type"],
                        region=r["region"],
                        contact_name=r["contact_name"],
                        contact_phone=r["contact_phone"],
                    )
                    for r in rows
                ],
                batch_size=500,
            )
        assert Organisation.objects.count() == n

    def import_export() -> None:
        dataset = Dataset().load(io.BytesIO(theirs), format="xlsx")
        result = resource.import_data(dataset, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        assert Organisation.objects.count() == n

    def our_dry_run() -> None:
        outcome = importing.dry_run(importer, io.BytesIO(ours), actor=None)
        assert outcome.result.ok, outcome.errors[:5]
        assert Organisation.objects.count() == 0

    def our_import() -> None:
        outcome = importing.import_file(importer, io.BytesIO(ours), actor=None)
        assert outcome.summary is not None and outcome.summary.created == n, outcome.errors[:5]
        assert Organisation.objects.count() == n

    def our_import_again() -> None:
        outcome = importing.import_file(importer, io.BytesIO(ours), actor=None)
        assert outcome.summary is not None and outcome.summary.unchanged == n
        assert Organisation.objects.count() == n

    # (key, work, whether the table must be empty first)
    cases: list[tuple[str, Callable[[], None], bool]] = [
        ("read", read_only, False),
        ("bulk", bulk, True),
        ("import_export", import_export, True),
        ("dry_run", our_dry_run, True),
        ("import", our_import, True),
        ("again", our_import_again, False),
    ]
    # Warm up (connection, caches, first INSERT) so that no method pays for it.
    Organisation.objects.bulk_create(
        [
            Organisation(
                credit_code=r["credit_code"], name="w", org_type="other", region=r["region"]
            )
            for r in rows[:50]
        ]
    )
    best: dict[str, float] = {}
    for _round in range(REPEAT):
        for key, work, empty_first in cases:
            if empty_first:
                _clear()
            seconds, _ = _timed(work)
            best[key] = min(best.get(key, seconds), seconds)
    _clear()

    floor = best["bulk"]
    end_to_end = best["read"] + floor
    return [
        (f"database: {connection.vendor} {_server_version(connection)}", 0, ""),
        ("reading the .xlsx alone (openpyxl, no checks)", best["read"], ""),
        ("floor: bulk_create of parsed rows", floor, "1.0×"),
        ("floor end to end: reading the .xlsx + bulk_create", end_to_end, ""),
        (
            "django-import-export: tablib load + import_data (row by row)",
            best["import_export"],
            f"{best['import_export'] / floor:.1f}×",
        ),
        (
            "kjfund dry run: the import, rolled back",
            best["dry_run"],
            f"{best['dry_run'] / floor:.1f}×",
        ),
        (
            "kjfund import: read + parse + check + bulk write",
            best["import"],
            f"{best['import'] / floor:.1f}× (end-to-end floor: {best['import'] / end_to_end:.1f}×)",
        ),
        ("kjfund import of the same file again (all unchanged)", best["again"], ""),
        (
            "kjfund import vs django-import-export",
            best["import"],
            f"{best['import_export'] / best['import']:.1f}× faster",
        ),
    ]


def _server_version(connection: Any) -> str:
    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        return f"{version // 10000}.{version % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    return ""


# --- hostile files -----------------------------------------------------------------

MEMORY_CAP_MB = 400
TIME_CAP_S = 20
CHILD_ADDRESS_SPACE = 3 * 1024**3
CHILD_CPU_SECONDS = 120


def _hostile_cases(folder: Path, districts: list[Any]) -> list[tuple[str, str, Path, str]]:
    """(name, description, file, mode): mode "dry_run" or "read"."""
    from tests.imports import hostile

    cases = []
    for name, label, full, _small in hostile.HOSTILE:
        cases.append((name, label, hostile.build(folder / f"{name}.xlsx", full), "dry_run"))
    ordinary = folder / "ordinary.xlsx"
    ordinary.write_bytes(_our_file(_dataset(10_000, districts)))
    cases.append(("ordinary", "普通文件：1 万个单位", ordinary, "dry_run"))
    largest = folder / "largest.xlsx"
    largest.write_bytes(_our_file(_dataset(49_999, districts)))
    cases.append(("largest", "上限内最大的文件：49 999 行（只读取）", largest, "read"))
    return cases


def _child(path: str, mode: str) -> None:
    """In the subprocess: one dry run (or read) of ``path``; prints a JSON line."""
    import json

    import django

    django.setup()
    from django.db import connection
    from django.utils import translation

    if os.environ.get("KJFUND_BENCH_DB"):
        connection.settings_dict["NAME"] = os.environ["KJFUND_BENCH_DB"]
    translation.activate("zh-hans")
    import openpyxl  # noqa: F401  (in the baseline too)

    from core import importing

    importer = importing.get_importer("organisations")
    start, cpu = time.perf_counter(), time.process_time()
    errors: list[str] = []
    rows = 0
    if mode == "read":
        with open(path, "rb") as handle:
            result = importer.read(handle)
        errors, rows = [e.reason for e in result.errors], len(result.rows)
    elif mode == "dry_run":
        with open(path, "rb") as handle:
            outcome = importing.dry_run(importer, handle, actor=None)
        errors, rows = [e.reason for e in outcome.errors], len(outcome.result.rows)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    status = Path("/proc/self/status").read_text()
    peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak // 1024,
                "errors": errors[:2],
                "rows": rows,
            }
        )
    )


def _run_child(path: Path | None, mode: str, database: str) -> dict[str, Any]:
    """A fresh interpreter per file; its peak RSS from ``os.wait4``."""
    import json
    import resource
    import subprocess

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
        resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))

    command = [sys.executable, __file__, "--child", str(path or ""), "--mode", mode]
    env = {**os.environ, "KJFUND_BENCH_DB": database}
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=limits
    )
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read() if process.stderr else b""
    process.wait()
    wall = time.perf_counter() - started
    try:
        figures = json.loads(out.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        figures = {"seconds": wall, "cpu": 0, "peak_mb": 0, "rows": 0, "failed": True}
        figures["errors"] = [err.decode(errors="replace")[-300:]]
    figures["exit"] = process.returncode
    return figures


def run_hostile(districts: list[Any], database: str) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="kjfund-hostile-") as folder:
        cases = _hostile_cases(Path(folder), districts)
        baseline = _run_child(None, "baseline", database)
        lines.append(
            f"baseline (the same subprocess reading nothing): {baseline['peak_mb']} MB; "
            f"caps: {MEMORY_CAP_MB} MB, {TIME_CAP_S} s"
        )
        lines.append(
            f"  {'file':<20} {'size':>9} {'time':>8} {'CPU':>8} {'peak':>7}  {'':<4} what it says"
        )
        for name, label, path, mode in cases:
            figures = _run_child(path, mode, database)
            ok = (
                not figures.get("failed")
                and figures["exit"] == 0
                and figures["seconds"] < TIME_CAP_S
                and figures["peak_mb"] < MEMORY_CAP_MB
            )
            said = "; ".join(figures["errors"]) or f"{figures['rows']} rows read, no problem"
            lines.append(
                f"  {name:<20} {path.stat().st_size / 1024:>7,.0f} K {figures['seconds']:>6.2f} s "
                f"{figures['cpu']:>6.2f} s {figures['peak_mb']:>4} MB  {'ok' if ok else 'OVER':<4} "
                f"{label}: {said[:110]}"
            )
    return lines


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds (best figure kept)")
    parser.add_argument("--section", choices=("all", "speed", "hostile"), default="all")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="dry_run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    REPEAT = max(args.repeat, 1)
    if args.child is not None:
        _child(args.child, args.mode)
        return

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    tmp = None
    if connection.vendor == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="kjfund-bench-")
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(tmp.name) / "bench.sqlite3"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    figures: list[tuple[str, float, str]] = []
    hostile: list[str] = []
    try:
        if args.section in ("all", "speed"):
            figures = run(args.rows)
        if args.section in ("all", "hostile"):
            from accounts.models import OrgUnit

            districts = list(OrgUnit.objects.filter(level="district")) or _regions()
            connection.close()  # the subprocesses use the database; SQLite wants it free
            hostile = run_hostile(districts, str(connection.settings_dict["NAME"]))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()
        if tmp is not None:
            tmp.cleanup()
    if figures:
        print(f"{args.rows} organisations, best of {REPEAT} interleaved rounds")
        for label, seconds, note in figures:
            if seconds:
                print(f"  {label:<62} {seconds:8.2f} s  {note}")
            else:
                print(f"  {label}")
    if hostile:
        print("hostile files: the organisations dry run, one fresh subprocess per file")
        for line in hostile:
            print(f"  {line}")


if __name__ == "__main__":
    main()
