"""Programmes, their categories and the categories' eligibility rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User

from .. import trail
from ..models import (
    Call,
    Category,
    ConfigChange,
    EligibilityRule,
    Flow,
    Instrument,
    Programme,
)
from .common import FundingError, authorise

S = ConfigChange.Subject
A = ConfigChange.Action


# --- programmes ------------------------------------------------------------------------

PROGRAMME_FIELDS = (
    "code",
    "name",
    "flow",
    "instruments",
    "owner_unit",
    "lead_body",
    "co_owner",
    "acceptance_fail_below_pct",
    "acceptance_rectify_below_pct",
    "acceptance_overdue_fail_months",
    "rectification_months",
    "debarment_years",
    "fraud_quota_cut_pct",
    "budget_item_tolerance_pct",
    "city_panel_excludes_own_district",
    "lead_required",
    "lead_max_in_progress",
    "lead_blocked_by_overdue_report",
    "lead_failed_acceptance_years",
    "subsidy_share_pct",
    "subsidy_cap_at_benchmark",
    "subsidy_benchmark_rate",
    "surplus_rule",
    "active",
)
# Application numbers are made of the code (KPHN-2026-0001), and calls, applications and
# panels were made under the flow and the owner: none of them moves once a call exists.
_PROGRAMME_FIXED_ONCE_USED = ("code", "flow", "owner_unit")
_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,19}$")


def _check_programme(programme: Programme) -> None:
    errors: dict[str, str] = {}
    if not _CODE.match(programme.code or ""):
        errors["code"] = _(
            "Use 2 to 20 capital letters or digits, starting with a letter (e.g. KPHN): "
            "application numbers are made of it."
        )
    elif Programme.objects.filter(code=programme.code).exclude(pk=programme.pk).exists():
        errors["code"] = _("Another programme already uses the code %(code)s.") % {
            "code": programme.code
        }
    instruments = programme.instruments if isinstance(programme.instruments, list) else []
    if programme.flow == Flow.AWARD and instruments != [Instrument.AWARD]:
        errors["instruments"] = _("An award programme uses the award instrument (以奖代补) only.")
    if programme.flow == Flow.PROJECT and Instrument.AWARD in instruments:
        errors["instruments"] = _(
            "A project programme uses grants, interest subsidies or repayable funding, "
            "not the award instrument."
        )
    fail, rectify = programme.acceptance_fail_below_pct, programme.acceptance_rectify_below_pct
    if fail is not None and rectify is not None and fail > rectify:
        errors["acceptance_rectify_below_pct"] = _(
            "Rectification starts at or above the failing line (%(fail)s %%)."
        ) % {"fail": fail}
    if programme.subsidy_cap_at_benchmark and not programme.subsidy_benchmark_rate:
        errors["subsidy_benchmark_rate"] = _(
            "State the benchmark rate, or do not cap the subsidy at it."
        )
    unit = programme.owner_unit if programme.owner_unit_id else None
    if unit is not None and unit.level not in (OrgUnit.Level.CITY, OrgUnit.Level.PROVINCE):
        errors["owner_unit"] = _("A programme is owned by a city or a province.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_create(*, actor: User | None = None, **fields: Any) -> Programme:
    programme = Programme(**fields)
    programme.code = (programme.code or "").strip().upper()
    authorise(actor, "funding.create_programme", None, _("You may not create programmes."))
    if programme.owner_unit_id:
        authorise(
            actor,
            "funding.manage_programme",
            programme,
            _("You may not create programmes for %(unit)s.") % {"unit": programme.owner_unit},
        )
    _check_programme(programme)
    programme.full_clean()
    programme.save()
    trail.record(
        unit=programme.owner_unit,
        programme=programme,
        subject=S.PROGRAMME,
        subject_name=programme.name,
        action=A.CREATE,
        actor=actor,
        changes=trail.diff({}, trail.snapshot(programme, PROGRAMME_FIELDS)),
    )
    return programme


@transaction.atomic
def programme_update(
    *, programme: Programme, actor: User | None = None, **fields: Any
) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    refusal = _("You may not change %(p)s.") % {"p": programme}
    authorise(actor, "funding.manage_programme", programme, refusal)
    before = trail.snapshot(programme, PROGRAMME_FIELDS)
    for name, value in fields.items():
        if name not in PROGRAMME_FIELDS:
            raise ValueError(name)
        setattr(programme, name, value)
    programme.code = (programme.code or "").strip().upper()
    after = trail.snapshot(programme, PROGRAMME_FIELDS)
    changes = trail.diff(before, after)
    if programme.calls.exists():
        fixed = [c["field"] for c in changes if c["field"] in _PROGRAMME_FIXED_ONCE_USED]
        if fixed:
            raise ValidationError(
                {name: _("The programme has calls: this can no longer change.") for name in fixed}
            )
    authorise(actor, "funding.manage_programme", programme, refusal)  # the new owner too
    _check_programme(programme)
    programme.full_clean()
    programme.save()
    if changes:
        trail.record(
            unit=programme.owner_unit,
            programme=programme,
            subject=S.PROGRAMME,
            subject_name=programme.name,
            action=A.UPDATE,
            actor=actor,
            changes=changes,
        )
    return programme


# --- categories and eligibility rules ----------------------------------------------------

CATEGORY_FIELDS = ("name", "applicant_kind", "description", "order", "extra_facts")
RULE_FIELDS = ("fact", "operator", "value", "message")


def _open_call_using(category: Category) -> Call | None:
    """A call accepting submissions under this category: its rules are what applicants
    are measured against, so they stay as published until it closes."""
    return category.calls.filter(status=Call.Status.OPEN).order_by("pk").first()


def _refuse_while_open(category: Category, what: str) -> None:
    call = _open_call_using(category)
    if call is not None:
        raise FundingError(
            _(
                "%(what)s of “%(category)s” cannot change while “%(call)s” accepts "
                "submissions under it: applicants are measured against the rules as "
                "published. Change them before the call opens, or after it closes."
            )
            % {"what": what, "category": category.name, "call": call.title}
        )


def _next_code(programme: Programme) -> str:
    taken = set(Category.objects.filter(programme=programme).values_list("code", flat=True))
    n = len(taken) + 1
    while f"c{n}" in taken:
        n += 1
    return f"c{n}"


def _rule_record(
    rule: EligibilityRule, action: str, actor: User | None, changes: list[Any]
) -> None:
    category = rule.category
    for change in changes:
        if change["field"] == "value":
            change["fact"] = rule.fact
    trail.record(
        unit=category.programme.owner_unit,
        programme=category.programme,
        subject=S.RULE,
        subject_name=category.name,
        action=action,
        actor=actor,
        changes=changes,
    )


@transaction.atomic
def category_create(
    *,
    programme: Programme,
    name: str,
    code: str = "",
    rules: Iterable[dict[str, Any]] = (),
    actor: User | None = None,
    call: Call | None = None,
    record: bool = True,
    **fields: Any,
) -> Category:
    """A category of ``programme`` with its rules; with ``call`` (a draft call of the
    programme) it is put on that call too. ``record=False``: the caller writes the
    trail row (a template applied)."""
    authorise(
        actor,
        "funding.manage_programme",
        programme,
        _("You may not change %(p)s.") % {"p": programme},
    )
    code = code.strip() or _next_code(programme)
    if Category.objects.filter(programme=programme, code=code).exists():
        raise ValidationError({"code": _("The programme already has this category.")})
    if Category.objects.filter(programme=programme, name=name.strip()).exists():
        raise ValidationError(
            {"name": _("The programme already has a category named %(n)s.") % {"n": name}}
        )
    category = Category(programme=programme, code=code, name=name.strip(), **fields)
    category.full_clean()
    category.save()
    if record:
        trail.record(
            unit=programme.owner_unit,
            programme=programme,
            subject=S.CATEGORY,
            subject_name=category.name,
            action=A.CREATE,
            actor=actor,
            changes=trail.diff({}, trail.snapshot(category, CATEGORY_FIELDS)),
        )
    for order, rule_fields in enumerate(rules):
        rule_add(category=category, actor=actor, order=order, record=record, **rule_fields)
    if call is not None:
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.programme_id != programme.pk or call.status != Call.Status.DRAFT:
            raise FundingError(
                _("Categories are added to a call of the programme before it opens.")
            )
        before = sorted(call.categories.values_list("name", flat=True))
        call.categories.add(category)
        trail.record(
            unit=programme.owner_unit,
            programme=programme,
            call=call,
            subject=S.CALL,
            subject_name=call.title,
            action=A.UPDATE,
            actor=actor,
            changes=[
                {"field": "categories", "from": before, "to": sorted([*before, category.name])}
            ],
        )
    return category


@transaction.atomic
def category_update(*, category: Category, actor: User | None = None, **fields: Any) -> Category:
    category = Category.objects.select_for_update().select_related("programme").get(pk=category.pk)
    authorise(
        actor,
        "funding.manage_programme",
        category.programme,
        _("You may not change %(p)s.") % {"p": category.programme},
    )
    before = trail.snapshot(category, CATEGORY_FIELDS)
    for name, value in fields.items():
        if name not in CATEGORY_FIELDS:
            raise ValueError(name)
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    changes = trail.diff(before, trail.snapshot(category, CATEGORY_FIELDS))
    if any(c["field"] == "applicant_kind" for c in changes):
        _refuse_while_open(category, _("Who may apply"))
    if (
        Category.objects.filter(programme=category.programme, name=category.name)
        .exclude(pk=category.pk)
        .exists()
    ):
        raise ValidationError(
            {"name": _("The programme already has a category named %(n)s.") % {"n": category.name}}
        )
    category.full_clean()
    category.save()
    if changes:
        trail.record(
            unit=category.programme.owner_unit,
            programme=category.programme,
            subject=S.CATEGORY,
            subject_name=category.name,
            action=A.UPDATE,
            actor=actor,
            changes=changes,
        )
    return category


def _manage_category(category: Category, actor: User | None) -> None:
    authorise(
        actor,
        "funding.manage_programme",
        category.programme,
        _("You may not change %(p)s.") % {"p": category.programme},
    )


@transaction.atomic
def rule_add(
    *,
    category: Category,
    fact: str,
    operator: str,
    value: str = "",
    message: str = "",
    order: int | None = None,
    actor: User | None = None,
    record: bool = True,
) -> EligibilityRule:
    category = Category.objects.select_for_update().select_related("programme").get(pk=category.pk)
    _manage_category(category, actor)
    _refuse_while_open(category, _("The eligibility rules"))
    if order is None:
        order = category.rules.count()
    rule = EligibilityRule(
        category=category,
        fact=fact,
        operator=operator,
        value=value.strip(),
        message=message.strip(),
        order=order,
    )
    rule.full_clean()
    rule.save()
    if record:
        _rule_record(rule, A.CREATE, actor, trail.diff({}, trail.snapshot(rule, RULE_FIELDS)))
    return rule


@transaction.atomic
def rule_update(
    *,
    rule: EligibilityRule,
    actor: User | None = None,
    operator: str | None = None,
    value: str | None = None,
    message: str | None = None,
) -> EligibilityRule:
    """Change a rule's test or its message. A rule tests one fact: testing another fact
    is another rule (delete this one, add that one)."""
    rule = (
        EligibilityRule.objects.select_for_update()
        .select_related("category__programme")
        .get(pk=rule.pk)
    )
    _manage_category(rule.category, actor)
    before = trail.snapshot(rule, RULE_FIELDS)
    if operator is not None:
        rule.operator = operator
    if value is not None:
        rule.value = value.strip()
    if message is not None:
        rule.message = message.strip()
    changes = trail.diff(before, trail.snapshot(rule, RULE_FIELDS))
    if any(c["field"] in ("operator", "value") for c in changes):
        _refuse_while_open(rule.category, _("The eligibility rules"))
    rule.full_clean()
    rule.save()
    if changes:
        _rule_record(rule, A.UPDATE, actor, changes)
    return rule


@transaction.atomic
def rule_delete(*, rule: EligibilityRule, actor: User | None = None) -> None:
    rule = (
        EligibilityRule.objects.select_for_update()
        .select_related("category__programme")
        .get(pk=rule.pk)
    )
    _manage_category(rule.category, actor)
    _refuse_while_open(rule.category, _("The eligibility rules"))
    _rule_record(rule, A.DELETE, actor, trail.diff(trail.snapshot(rule, RULE_FIELDS), {}))
    rule.delete()
