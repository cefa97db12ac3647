"""The facts an application states and eligibility rules test.

A rule names a fact by key; the application form asks for the facts its category's
rules need. Adding a fact is adding an entry here; rules themselves are data (admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.numbers import format_count, format_quantity


@dataclass(frozen=True)
class Fact:
    key: str
    label: str | Promise
    kind: str  # "int", "decimal", "bool", "choice"
    unit: str | Promise = ""
    choices: tuple[tuple[str, str | Promise], ...] = ()
    derived: bool = False  # computed from other facts, never typed in
    places: int | None = None  # decimals always shown (money, percentages); else as entered

    def parse(self, raw: Any) -> Any:
        """The typed value of ``raw`` (from a form or a stored JSON), or None."""
        if raw is None or raw == "":
            return None
        if self.kind == "int":
            return int(raw)
        if self.kind == "decimal":
            try:
                return Decimal(str(raw))
            except InvalidOperation:
                return None
        if self.kind == "bool":
            return raw in (True, "true", "True", "1", 1, "on")
        return str(raw)

    def display(self, raw: Any) -> Any:
        """What a person reads: the label of a choice (never its code), a count as an
        integer, an amount with its two decimals, a quantity without trailing zeros."""
        if self.kind == "choice":
            return dict(self.choices).get(str(raw), raw)
        if self.kind == "bool":
            return _("yes") if self.parse(raw) else _("no")
        value = self.parse(raw)
        if value is None:
            return raw
        if self.kind == "int":
            return format_count(value)
        if self.places is not None:
            return f"{value:,.{self.places}f}"
        return format_quantity(value)


TITLE_CHOICES = (
    ("senior", _("Senior title (正高级)")),
    ("associate", _("Associate senior title (副高级)")),
    ("intermediate", _("Intermediate title (中级)")),
    ("none", _("No title")),
)
NAMED_BASE_CHOICES = (
    ("city", _("Named by the city association")),
    ("district", _("Named by the district association")),
    ("none", _("Not named")),
)

FACTS: dict[str, Fact] = {
    f.key: f
    for f in (
        Fact(
            "registered_and_inspected",
            _("Formally registered and passed the annual inspection"),
            "bool",
        ),
        Fact("member_households", _("Member households"), "int", _("households")),
        Fact(
            "member_avg_income",
            _("Average annual net income of members"),
            "decimal",
            _("yuan"),
            places=2,
        ),
        Fact(
            "member_income_above_district_pct",
            _("Member income above the district farmer average"),
            "decimal",
            "%",
            derived=True,
            places=2,
        ),
        Fact("named_base", _("Named demonstration base"), "choice", choices=NAMED_BASE_CHOICES),
        Fact("beneficiary_person_times", _("Beneficiaries per year"), "int", _("person-times")),
        Fact(
            "years_rural_popsci",
            _("Consecutive years of rural science popularisation"),
            "int",
            _("years"),
        ),
        Fact(
            "years_serving_agri",
            _("Consecutive years serving agriculture and rural areas"),
            "int",
            _("years"),
        ),
        Fact("title_level", _("Professional title"), "choice", choices=TITLE_CHOICES),
        Fact(
            "years_grassroots_service",
            _("Years of grassroots technical service"),
            "int",
            _("years"),
        ),
        Fact("trainings_held", _("Trainings and lectures held last year"), "int", _("sessions")),
    )
}


def derive(facts: dict[str, Any], *, district_avg_income: Decimal | None) -> dict[str, Any]:
    """Typed facts plus the derived ones. The member income comparison needs the
    district's farmer average for the year (funding.DistrictStatistic)."""
    typed = {k: FACTS[k].parse(v) for k, v in facts.items() if k in FACTS}
    income = typed.get("member_avg_income")
    if income is not None and district_avg_income:
        # Exact (no rounding): 19.999 % must not pass a "≥ 20 %" rule.
        typed["member_income_above_district_pct"] = (
            (income - district_avg_income) * 100 / district_avg_income
        )
    return typed
