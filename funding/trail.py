"""The configuration trail (``ConfigChange``): how the services record a change, and how
a page shows it in words.

A service takes a ``snapshot`` of the record before and after, and ``record`` keeps the
fields that differ as raw values (codes, ISO dates, fen). Labels, choice names and
amounts in yuan are looked up when the trail is shown, so it reads in the reader's
language and never shows a code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrgUnit, User
from core import clock
from core.money import format_fen

from .facts import FACTS
from .models import Call, ConfigChange, Instrument, Programme

S = ConfigChange.Subject

_SUBJECT_MODELS = {
    S.PROGRAMME: ("funding", "Programme"),
    S.CALL: ("funding", "Call"),
    S.CATEGORY: ("funding", "Category"),
    S.RULE: ("funding", "EligibilityRule"),
    S.QUOTA: ("funding", "Quota"),
    S.QUOTA_CUT: ("funding", "QuotaCut"),
    S.STATISTIC: ("funding", "DistrictStatistic"),
    S.RUBRIC: ("reviews", "Rubric"),
}

# Fields that are not model fields, or whose model label names the stored unit (fen).
_LABELS = {
    "name": gettext_lazy("name of the record"),
    "status": gettext_lazy("status"),
    "categories": gettext_lazy("categories"),
    "criteria": gettext_lazy("criteria"),
    "rubric": gettext_lazy("rubric"),
    "budget_envelope_fen": gettext_lazy("budget envelope (yuan)"),
    "allotted_amount_fen": gettext_lazy("allotted amount (yuan, before cuts)"),
    "max_amount_fen": gettext_lazy("maximum amount (yuan)"),
    "rules": gettext_lazy("eligibility rules"),
}


def _raw(value: Any) -> Any:
    """A JSON value standing for ``value``."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _raw(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "from": before.get(name), "to": value}
        for name, value in after.items()
        if before.get(name) != value
    ]


def record(
    *,
    unit: OrgUnit,
    subject: str,
    subject_name: str,
    action: str,
    actor: User | None,
    programme: Programme | None = None,
    call: Call | None = None,
    changes: list[dict[str, Any]] | None = None,
    note: str = "",
) -> ConfigChange:
    return ConfigChange.objects.create(
        unit=unit,
        programme=programme,
        call=call,
        subject=subject,
        subject_name=subject_name[:200],
        action=action,
        changes=changes or [],
        note=note[:300],
        actor=actor,
        at=clock.now(),
    )


# --- reading ---------------------------------------------------------------------------


def _field(change: ConfigChange, name: str) -> models.Field | None:
    app_label, model_name = _SUBJECT_MODELS[ConfigChange.Subject(change.subject)]
    try:
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field(name)
    except (LookupError, FieldDoesNotExist):
        return None
    return field if isinstance(field, models.Field) else None


def _label(change: ConfigChange, name: str) -> str:
    if name in _LABELS:
        return str(_LABELS[name])
    field = _field(change, name)
    return str(field.verbose_name) if field is not None else name


def _words(change: ConfigChange, entry: dict[str, Any], value: Any) -> str:
    name = entry["field"]
    if value is None or value == "" or value == []:
        return "—"
    if name in ("quota", "quota_left") and isinstance(value, list) and len(value) == 2:
        return f"{value[0]} · {format_fen(value[1])}"
    if name == "rules" and isinstance(value, list):
        return " ".join(str(v) for v in value)
    if name == "extra_facts" and isinstance(value, list):
        return "、".join(str(FACTS[v].label) if v in FACTS else str(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    if name == "instruments" and isinstance(value, list):
        return "、".join(str(dict(Instrument.choices).get(v, v)) for v in value)
    if change.subject == S.RULE and name == "value" and entry.get("fact") in FACTS:
        fact = FACTS[entry["fact"]]
        if fact.kind == "choice":
            return "、".join(str(fact.display(v.strip())) for v in str(value).split(","))
        return f"{value} {fact.unit}".strip()
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    field = _field(change, name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _line(change: ConfigChange, entry: dict[str, Any]) -> tuple[str, str, str]:
    # a label stored with the entry is data (a district and category, a category's name)
    label = str(entry["label"]) if entry.get("label") else _label(change, entry["field"])
    old, new = _words(change, entry, entry.get("from")), _words(change, entry, entry.get("to"))
    after = entry.get("after_cuts")
    if after is not None and after != entry.get("to"):
        new = f"{new}（{_('after the cut')} {_words(change, entry, after)}）"
    return label, old, new


def change_lines(change: ConfigChange) -> list[tuple[str, str, str]]:
    """What changed, in words; a record's empty fields are left out when it is made."""
    lines = [_line(change, e) for e in change.changes or [] if isinstance(e, dict) and "field" in e]
    return [line for line in lines if not (line[1] == "—" and line[2] == "—")]
