"""No code shows the UTC date of a moment (issue 13, item 1).

Datetimes come back from the database in UTC. ``.date()``, ``strftime``, an f-string
date format or ``replace(tzinfo=None)`` of one gives UTC's date and time, which before
08:00 is yesterday in Beijing. Every date a person reads goes through ``core.clock``
(``local_date``, ``cn_date``, ``iso_date``, ``naive_local`` …) or a template's ``|date``
filter, which Django applies on the local clock. This test reads the source: Python by
its syntax tree, templates by pattern. It is stricter than the stop hook's grep
(``_(at|on_time)\\.date\\(\\)|(timezone\\.now|datetime\\.now)\\(\\)\\.(date|strftime)``):
any ``.date()`` and any ``strftime`` outside core/clock.py fails, whatever it is called on.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "core", "accounts", "funding", "projects", "reviews", "ledger", "reports"]
PACKAGES += ["demo", "bench"]
CLOCK = Path("core/clock.py")

# Each exception is (file, the exact source line, why it is right there).
ALLOWED: list[tuple[str, str, str]] = [
    (
        "ledger/chain.py",
        'return recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")',
        "UTC on purpose: the hash chain's canonical text of the recorded time, never shown",
    ),
    (
        "ledger/checkpoint.py",
        "sealed_text = sealed_at.astimezone(dt.UTC).strftime(_TIME_FORMAT)",
        "UTC on purpose: the sealed time inside the checkpoint file, under its HMAC, never shown",
    ),
    (
        "demo/contracts_world.py",
        'return f"DEMO2025{day:%m%d}{self.n:04d}"',
        "a date (not a moment) in a made-up bank reference of the demo",
    ),
    (
        "demo/contracts_world.py",
        'reviews.panel_draw(panel=panel, actor=officer, seed=int(clock.today().strftime("%Y%m%d")))',
        "clock.today() is already Beijing's date; the digits are the demo draw's seed",
    ),
    (
        "demo/ledger_world.py",
        'return f"ICBC{day:%Y%m%d}{self.bank_refs:04d}"',
        "a date (not a moment) in a made-up bank reference of the demo",
    ),
    (
        "demo/ledger_world.py",
        'bank_reference=f"HK{day:%Y%m%d}{account.pk:04d}",',
        "a date (not a moment) in a made-up bank reference of the demo",
    ),
]


def _python_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                files.append(path.relative_to(ROOT))
    return files


def _names_a_moment(node: ast.AST) -> bool:
    """``x.created_at``, ``at``, ``moment``: by the project's naming, a datetime."""
    name = (
        node.attr
        if isinstance(node, ast.Attribute)
        else node.id
        if isinstance(node, ast.Name)
        else None
    )
    return name is not None and (name in ("at", "moment") or name.endswith("_at"))


def _is_now_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("now", "utcnow")
    )


class _Finder(ast.NodeVisitor):
    def __init__(self, tree: ast.AST) -> None:
        self.found: list[tuple[int, str]] = []
        # ``importing.date()`` calls a module's function, not a datetime's method.
        self.modules = {
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }

    def _flag(self, node: ast.AST, why: str) -> None:
        self.found.append((node.lineno, why))  # type: ignore[attr-defined]

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            on_module = isinstance(func.value, ast.Name) and func.value.id in self.modules
            if func.attr == "date" and not node.args and not node.keywords and not on_module:
                self._flag(node, ".date() of a datetime: clock.local_date(moment)")
            elif func.attr == "strftime":
                self._flag(node, "strftime: clock.cn_date / iso_date / cn_datetime")
            elif func.attr == "astimezone":
                self._flag(node, "astimezone: clock.local(moment)")
            elif func.attr == "replace" and any(
                k.arg == "tzinfo" and isinstance(k.value, ast.Constant) and k.value.value is None
                for k in node.keywords
            ):
                self._flag(node, "replace(tzinfo=None) keeps UTC's clock: clock.naive_local")
            elif func.attr in ("now", "today", "utcnow") and (
                (isinstance(func.value, ast.Name) and func.value.id in ("datetime", "date"))
                or (
                    isinstance(func.value, ast.Attribute)
                    and func.value.attr in ("datetime", "date")
                )
            ):
                self._flag(node, "the machine's clock: clock.now() / clock.today()")
            elif (
                func.attr == "format"
                and isinstance(func.value, ast.Constant)
                and re.search(r"\{[^{}]*:[^{}]*%", str(func.value.value))
            ):
                self._flag(node, "a date format in str.format: clock.cn_date / iso_date")
        elif isinstance(func, ast.Name):
            if func.id == "format" and len(node.args) == 2:
                spec = node.args[1]
                if isinstance(spec, ast.Constant) and "%" in str(spec.value):
                    self._flag(node, "format(value, '%…'): clock.cn_date / iso_date")
            if func.id == "str" and node.args and _names_a_moment(node.args[0]):
                self._flag(node, "str() of a datetime is UTC's: clock.cn_datetime")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None and any(
            isinstance(part, ast.Constant) and "%" in str(part.value) for part in ast.walk(spec)
        ):
            self._flag(node, "an f-string date format: clock.cn_date / iso_date / cn_datetime")
        elif spec is None and (_names_a_moment(node.value) or _is_now_call(node.value)):
            self._flag(node, "a datetime in an f-string prints UTC: clock.cn_datetime")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        # "… %(date)s" % {"date": x.submitted_at}: the datetime printed as UTC.
        if isinstance(node.op, ast.Mod):
            values = (
                node.right.values
                if isinstance(node.right, ast.Dict)
                else node.right.elts
                if isinstance(node.right, ast.Tuple)
                else [node.right]
            )
            for value in values:
                if value is not None and (_names_a_moment(value) or _is_now_call(value)):
                    self._flag(value, "a datetime in a %-format prints UTC: clock.cn_datetime")
        self.generic_visit(node)


def _python_findings() -> list[str]:
    allowed = {(path, line) for path, line, _why in ALLOWED}
    findings = []
    for path in _python_files():
        if path == CLOCK:
            continue
        source = (ROOT / path).read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, filename=str(path))
        finder = _Finder(tree)
        finder.visit(tree)
        for lineno, why in finder.found:
            line = lines[lineno - 1].strip()
            if (str(path), line) not in allowed:
                findings.append(f"{path}:{lineno}: {why}\n    {line}")
    return findings


# In a template, ``|date`` is applied on the local clock (Django converts an aware
# datetime to the current time zone first); these are the ways around it.
TEMPLATE_PATTERNS = [
    (re.compile(r"\|\s*utc\b"), "|utc shows UTC"),
    (re.compile(r"\{%\s*localtime\s+off"), "{% localtime off %} shows UTC"),
    (re.compile(r"\{%\s*timezone\b"), "{% timezone %} changes the zone"),
    (
        re.compile(r"\{[{%][^}]*\.(date|time|timetz)\b(?![_\w])[^}]*[}%]\}"),
        ".date / .time of a datetime in a template is UTC's: use |date",
    ),
]


def _template_files() -> list[Path]:
    roots = [ROOT / "templates"] + [ROOT / p / "templates" for p in PACKAGES]
    return [p for root in roots if root.exists() for p in sorted(root.rglob("*.html"))]


def test_no_python_code_takes_the_utc_date_of_a_moment():
    findings = _python_findings()
    assert findings == [], "\n".join(findings)


def test_no_template_shows_a_moment_on_utcs_clock():
    findings = []
    for path in _template_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, why in TEMPLATE_PATTERNS:
                if pattern.search(line):
                    findings.append(f"{path.relative_to(ROOT)}:{n}: {why}")
    assert findings == [], "\n".join(findings)


def test_the_local_clock_is_beijings_and_nothing_switches_it():
    # given the settings and every Python file
    sources = {p: (ROOT / p).read_text(encoding="utf-8") for p in _python_files()}
    # then pages are rendered on Beijing's clock, and no code activates another zone
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    switching = [
        str(p) for p, s in sources.items() if re.search(r"timezone\.(activate|override)\(", s)
    ]
    assert switching == []


def test_the_check_finds_each_way_of_taking_the_utc_date():
    # given code that takes the UTC date in each way the check names
    source = "\n".join(
        [
            "a = x.submitted_at.date()",
            "b = timezone.now().strftime('%Y-%m-%d')",
            "c = f'{x.published_at:%Y年%m月%d日}'",
            "d = f'{x.signed_at}'",
            "e = _('submitted %(date)s') % {'date': x.submitted_at}",
            "f = dt.datetime.now()",
            "g = x.created_at.replace(tzinfo=None)",
            "h = '{:%Y-%m-%d}'.format(x.created_at)",
            "i = format(x.created_at, '%Y')",
            "j = x.created_at.astimezone(tz)",
            "k = date.today()",
            "l = str(x.paid_at)",
        ]
    )
    # when the check reads it
    tree = ast.parse(source)
    finder = _Finder(tree)
    finder.visit(tree)
    # then every line is found, and nothing else
    assert sorted({line for line, _why in finder.found}) == list(range(1, 13))
    clean = "\n".join(
        [
            "a = clock.local_date(x.submitted_at)",
            "b = clock.cn_date(x.published_at)",
            "c = f'{amount:,.2f}'",
            "d = x.value_date.isoformat()",
            "from core import importing",
            "e = importing.date()",
        ]
    )
    tree = ast.parse(clean)
    finder = _Finder(tree)
    finder.visit(tree)
    assert finder.found == []
