"""The dashboard of each role: which panels a role sees, and the figures and charts of
each panel (read through ``reports.selectors``, a fixed number of queries per panel).

* applications — the year's applications by district (or by city, when the scope spans
  more than one city and many districts) and by where they stand;
* funding — amount approved and amount paid, by district (or city);
* budget — execution of the year's budget lines: committed, paid, issued to districts,
  available;
* aging — overdue repayable funding by age (1–30, 31–90, 91–180, 181–365, >365 days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.roles import Role
from core.money import fen_to_yuan

from . import selectors
from .charts import Number, Series, bar_chart
from .scope import ReportScope

S = selectors.S

PANELS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_OFFICER: ("applications", "funding"),
    Role.DISTRICT_FINANCE: ("funding", "budget", "aging"),
    Role.CITY_OFFICER: ("applications", "funding", "budget", "aging"),
    Role.FINANCE: ("budget", "aging", "funding"),
    Role.FINANCE_CHECKER: ("budget", "aging", "funding"),
    Role.AUDITOR: ("applications", "funding", "budget", "aging"),
    Role.ADMIN: ("applications", "funding", "budget", "aging"),
}

# Where an application stands, in four groups a chart can show.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "under_way",
        (
            S.SUBMITTED,
            S.RETURNED,
            S.DISTRICT_PUBLICITY,
            S.RECOMMENDED,
            S.UNDER_REVIEW,
            S.REVIEWED,
            S.PUBLICITY,
        ),
    ),
    (
        "funded",
        (
            S.APPROVED,
            S.CONTRACTED,
            S.IN_PROGRESS,
            S.ACCEPTANCE_REQUESTED,
            S.ACCEPTANCE_REVIEW,
            S.RECTIFYING,
        ),
    ),
    ("finished", (S.ACCEPTED, S.FAILED, S.CLOSED, S.TERMINATED)),
    ("not_funded", (S.REJECTED, S.WITHDRAWN, S.DISQUALIFIED)),
)
BUDGET_LINES_SHOWN = 30
GROUP_BY_CITY_ABOVE = 20


def stage_labels() -> dict[str, str]:
    return {
        "under_way": _("Under consideration"),
        "funded": _("Funded, under way"),
        "finished": _("Finished"),
        "not_funded": _("Not funded"),
    }


def panels_for(roles: Iterable[str]) -> list[str]:
    wanted = {p for role in roles for p in PANELS_BY_ROLE.get(role, ())}
    return [p for p in ("applications", "funding", "budget", "aging") if p in wanted]


def yuan_text(value: Number) -> str:
    amount = fen_to_yuan(int(value)) if isinstance(value, int) else value
    return f"{amount:,.2f}"


def _yuan(fen: int | None) -> Decimal | None:
    return fen_to_yuan(fen) if fen is not None else None


@dataclass
class Panel:
    key: str
    title: str
    chart: SafeString
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


class _Regions:
    """Rows of the district charts: districts, or their cities when there are many."""

    def __init__(self, scope: ReportScope, rows: Iterable[dict[str, Any]]) -> None:
        self.rows = list(rows)
        districts = {r["district__path"] for r in self.rows}
        cities = {self.city_of(p) for p in districts}
        self.by_city = len(districts) > GROUP_BY_CITY_ABOVE and len(cities) > 1
        wanted = cities if self.by_city else set()
        self.names = dict(OrgUnit.objects.filter(path__in=wanted).values_list("path", "name"))

    @staticmethod
    def city_of(path: str) -> str:
        parts = [p for p in path.split("/") if p]
        return "/" + "/".join(parts[:2]) + "/" if len(parts) > 2 else path

    def key(self, row: dict[str, Any]) -> tuple[str, str]:
        path = row["district__path"]
        if self.by_city:
            city = self.city_of(path)
            return city, self.names.get(city, city)
        return path, row["district__name"]


def applications_panel(*, scope: ReportScope, year: int) -> tuple[Panel, Panel]:
    """Applications by district and stage, and funding (approved, paid) by district."""
    rows = selectors.applications_by_district(scope=scope, year=year)
    paid = selectors.paid_by_district(scope=scope, year=year)
    regions = _Regions(scope, rows)
    stage_of = {status: stage for stage, statuses in STAGES for status in statuses}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    money: dict[tuple[str, str], dict[str, int]] = {}
    seen_district: set[int] = set()
    for row in rows:
        key = regions.key(row)
        stage = stage_of.get(row["status"], "under_way")
        counts.setdefault(key, {s: 0 for s, _x in STAGES})[stage] += row["n"]
        figures = money.setdefault(key, {"approved": 0, "paid": 0})
        figures["approved"] += row["approved_fen"] or 0
        if row["district_id"] not in seen_district:
            seen_district.add(row["district_id"])
            figures["paid"] += paid.get(row["district_id"], 0)
    keys = sorted(counts)
    names = [name for _path, name in keys]
    labels = stage_labels()
    level = _("City") if regions.by_city else _("District")
    if regions.by_city:
        title = _("Applications of %(year)s by city and stage") % {"year": year}
    else:
        title = _("Applications of %(year)s by district and stage") % {"year": year}
    applications = Panel(
        key="applications",
        title=title,
        chart=bar_chart(
            title=title,
            categories=names,
            series=[
                Series(labels[stage], [counts[k][stage] for k in keys]) for stage, _x in STAGES
            ],
            stacked=True,
        ),
        headers=[str(level), *[labels[s] for s, _x in STAGES], _("Total")],
        rows=[
            [name, *[counts[k][s] for s, _x in STAGES], sum(counts[k].values())]
            for k, name in zip(keys, names, strict=True)
        ],
    )
    if regions.by_city:
        title = _("Funding of the projects of %(year)s by city (yuan)") % {"year": year}
    else:
        title = _("Funding of the projects of %(year)s by district (yuan)") % {"year": year}
    funding = Panel(
        key="funding",
        title=title,
        chart=bar_chart(
            title=title,
            categories=names,
            series=[
                Series(_("Amount approved"), [_yuan(money[k]["approved"]) for k in keys]),
                Series(_("Amount paid"), [_yuan(money[k]["paid"]) for k in keys]),
            ],
            value_text=yuan_text,
        ),
        headers=[str(level), _("Amount approved (yuan)"), _("Amount paid (yuan)")],
        rows=[
            [name, yuan_text(money[k]["approved"]), yuan_text(money[k]["paid"])]
            for k, name in zip(keys, names, strict=True)
        ],
    )
    return applications, funding


def budget_panel(*, scope: ReportScope, year: int) -> Panel:
    lines, total = selectors.budget_lines_for_chart(
        scope=scope, year=year, limit=BUDGET_LINES_SHOWN
    )
    lines.sort(key=lambda line: (line.scope_path, line.code))
    figures = [
        {
            "name": line.name,
            "committed": line.committed_fen + line.approved_fen,  # type: ignore[attr-defined]
            "disbursed": line.disbursed_fen,  # type: ignore[attr-defined]
            "transferred": line.transferred_fen,  # type: ignore[attr-defined]
            "available": line.available_fen,  # type: ignore[attr-defined]
            "appropriation": line.appropriation_fen,  # type: ignore[attr-defined]
        }
        for line in lines
    ]
    title = _("Budget execution %(year)s (yuan)") % {"year": year}
    parts = [
        ("committed", _("Committed, not paid")),
        ("disbursed", _("Amount paid")),
        ("transferred", _("Issued to districts")),
        ("available", _("Available balance")),
    ]
    note = ""
    if total > len(lines):
        note = _("The %(shown)s largest of %(total)s budget lines.") % {
            "shown": len(lines),
            "total": total,
        }
    return Panel(
        key="budget",
        title=title,
        chart=bar_chart(
            title=title,
            categories=[f["name"] for f in figures],
            series=[Series(label, [_yuan(f[key]) for f in figures]) for key, label in parts],
            stacked=True,
            value_text=yuan_text,
        ),
        headers=[_("Budget line"), _("Budget amount"), *[label for _k, label in parts]],
        rows=[
            [f["name"], yuan_text(f["appropriation"]), *[yuan_text(f[k]) for k, _x in parts]]
            for f in figures
        ],
        note=note,
    )


def aging_panel(*, scope: ReportScope) -> Panel:
    buckets = selectors.aging_summary(scope=scope)
    title = _("Overdue repayable funding by age (principal outstanding, yuan)")
    return Panel(
        key="aging",
        title=title,
        chart=bar_chart(
            title=title,
            categories=[str(b["label"]) for b in buckets],
            series=[Series(_("Principal outstanding"), [_yuan(b["owed_fen"]) for b in buckets])],
            value_text=yuan_text,
        ),
        headers=[_("Days overdue"), _("Number of accounts"), _("Principal outstanding (yuan)")],
        rows=[[str(b["label"]), b["n"], yuan_text(b["owed_fen"])] for b in buckets],
    )


def dashboard_panels(*, scope: ReportScope, year: int, panels: list[str]) -> list[Panel]:
    out: dict[str, Panel] = {}
    if "applications" in panels or "funding" in panels:
        applications, funding = applications_panel(scope=scope, year=year)
        out["applications"], out["funding"] = applications, funding
    if "budget" in panels:
        out["budget"] = budget_panel(scope=scope, year=year)
    if "aging" in panels:
        out["aging"] = aging_panel(scope=scope)
    return [out[p] for p in panels]
