"""Funding: what money is offered, when, to whom, and how much each district may put forward.

* ``Programme`` (计划): a flow (``project`` 科技计划项目 or ``award`` 科普惠农兴村), the
  instruments it may use, and its rule settings (acceptance thresholds, debarment years,
  quota cut after fraud, publicity defaults) — settings of the programme, not constants.
* ``Category`` (类别) with ``EligibilityRule`` rows: structured rules over the facts of
  ``funding.facts``, each with the message an applicant sees when it fails.
* ``Call`` (年度批次): the window, the district deadline, the 公示 length, the budget
  envelope; its own small state machine (draft → open → closed → reviewing → decided →
  archived).
* ``Quota`` (推荐名额): count and amount per call × district × category: the allotment
  the officer typed and, beside it, what is left after the registered ``QuotaCut`` rows
  (the service ``quota_set`` keeps the two in step; nothing else writes quotas).
* ``Debarment`` (取消资格): blocks an organisation or a person (exactly one of the two)
  until its end date; a debarred person may neither apply nor lead nor join a project team.
* ``DistrictStatistic``: the district farmer average income per year (eligibility).
* ``ConfigChange`` (配置变更记录): the trail of every change made to the above through the
  services — who, when, what changed from what to what (append-only).
* ``CalendarDay``: holidays and make-up workdays that override and extend the
  ``chinesecalendar`` package (see ``funding.calendar``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from accounts.models import Organisation, OrgUnit
from core.money import amount_checks

from .facts import FACTS


class Flow(models.TextChoices):
    PROJECT = "project", _("Sci-tech project (科技计划项目)")
    AWARD = "award", _("Award in lieu of subsidy (科普惠农兴村)")


class Instrument(models.TextChoices):
    GRANT = "grant", _("Grant (无偿资助)")
    INTEREST_SUBSIDY = "interest_subsidy", _("Loan-interest subsidy (贷款贴息)")
    REPAYABLE = "repayable", _("Repayable funding (有偿使用)")
    AWARD = "award", _("Award in lieu of subsidy (以奖代补)")


class SurplusRule(models.TextChoices):
    """What happens at closing to a grant's 结余 (paid to the unit, not spent)."""

    RETURN = "return", _("Returned to the programme (结余收回)")
    KEEP = "keep", _("Kept by the unit (结余留用)")


class DayKind(models.TextChoices):
    CALENDAR = "calendar", _("calendar days")
    WORKING = "working", _("working days")


def validate_instruments(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one instrument."))
    unknown = [v for v in value if v not in Instrument.values]
    if unknown:
        raise ValidationError(_("Unknown instrument: %(v)s") % {"v": ", ".join(map(str, unknown))})


class ProgrammeQuerySet(models.QuerySet["Programme"]):
    def visible_to(self, user: Any) -> ProgrammeQuerySet:
        """Programmes owned by a region the user reads (their own city's, for a city
        officer; district users hold a smaller subtree and see none)."""
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="owner_unit"))


class Programme(models.Model):
    """计划: e.g. 科普惠农兴村计划 (award) or 科技计划项目 (project)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    flow = models.CharField(_("flow"), max_length=10, choices=Flow.choices)
    instruments = models.JSONField(_("instruments"), validators=[validate_instruments])
    owner_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning region"), on_delete=models.PROTECT, related_name="+"
    )
    lead_body = models.ForeignKey(
        Organisation,
        verbose_name=_("lead body"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    co_owner = models.ForeignKey(
        Organisation,
        verbose_name=_("co-owner (finance bureau)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Acceptance (DESIGN §3): below fail % → fail; below rectify % → rectification.
    acceptance_fail_below_pct = models.DecimalField(
        _("acceptance: fail below (%)"), max_digits=5, decimal_places=2, default=80
    )
    acceptance_rectify_below_pct = models.DecimalField(
        _("acceptance: rectify below (%)"), max_digits=5, decimal_places=2, default=90
    )
    acceptance_overdue_fail_months = models.PositiveSmallIntegerField(
        _("acceptance: fail when overdue by (months)"), default=6
    )
    rectification_months = models.PositiveSmallIntegerField(
        _("rectification period (months)"), default=3
    )
    debarment_years = models.PositiveSmallIntegerField(
        _("debarment after fraud (years)"), default=3
    )
    fraud_quota_cut_pct = models.PositiveSmallIntegerField(
        _("next year's quota cut after fraud (%)"),
        default=20,
        validators=[MaxValueValidator(100)],
    )
    budget_item_tolerance_pct = models.PositiveSmallIntegerField(
        _("allowed overspend per budget item without a change (%)"), default=10
    )
    city_panel_excludes_own_district = models.BooleanField(
        _("city panels exclude experts of the applicant's district"), default=True
    )
    # 限项 (checked on submit, projects.limits): empty means "no such rule".
    lead_required = models.BooleanField(
        _("an application must name its project leader (负责人)"), default=False
    )
    lead_max_in_progress = models.PositiveSmallIntegerField(
        _("limit: projects one leader may hold at a time"),
        null=True,
        blank=True,
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    lead_blocked_by_overdue_report = models.BooleanField(
        _("limit: a leader with an overdue report may not apply"), default=True
    )
    lead_failed_acceptance_years = models.PositiveSmallIntegerField(
        _("limit: years a failed acceptance bars its leader"),
        null=True,
        blank=True,
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    # 贷款贴息: subsidy = interest paid × share, capped (when the programme says so) by the
    # interest at the benchmark rate for the same period (projects.subsidy).
    subsidy_share_pct = models.DecimalField(
        _("interest subsidy: share of the interest paid (%)"),
        max_digits=5,
        decimal_places=2,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    subsidy_cap_at_benchmark = models.BooleanField(
        _("interest subsidy: no more than the interest at the benchmark rate"), default=False
    )
    subsidy_benchmark_rate = models.DecimalField(
        _("interest subsidy: benchmark annual rate"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # 结余 at closing (projects.surplus): returned (a receivable, matched to the bank
    # receipt) or kept by the unit (recorded, nothing posted). Awards keep it always.
    surplus_rule = models.CharField(
        _("unspent balance at closing"),
        max_length=10,
        choices=SurplusRule.choices,
        default=SurplusRule.RETURN,
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    acceptance_fail_below_pct__lte=models.F("acceptance_rectify_below_pct")
                ),
                name="programme_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(surplus_rule__in=["return", "keep"]),
                name="programme_surplus_rule_valid",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_share_pct__gt=0) & Q(subsidy_share_pct__lte=100),
                name="programme_subsidy_share_range",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_cap_at_benchmark=False)
                | (
                    Q(subsidy_benchmark_rate__isnull=False)
                    & Q(subsidy_benchmark_rate__gt=0)
                    & Q(subsidy_benchmark_rate__lte=1)
                ),
                name="programme_subsidy_benchmark_set",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_award(self) -> bool:
        return self.flow == Flow.AWARD

    @property
    def scope_path(self) -> str:
        return self.owner_unit.path


class Category(models.Model):
    """类别: an award category (农民专业合作组织 …) or a project domain (工业 …)."""

    class Applicant(models.TextChoices):
        ORGANISATION = "organisation", _("an organisation")
        PERSON = "person", _("a person")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    applicant_kind = models.CharField(
        _("applicant is"), max_length=12, choices=Applicant.choices, default=Applicant.ORGANISATION
    )
    extra_facts = models.JSONField(
        _("other facts asked"),
        default=list,
        blank=True,
        help_text=_("Fact keys asked on the form besides those the rules test."),
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["programme", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="category_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.programme.owner_unit.path

    @property
    def is_individual(self) -> bool:
        return self.applicant_kind == self.Applicant.PERSON

    def fact_keys(self) -> list[str]:
        """The facts the form asks for: those the rules test, then the extra ones.
        A derived fact is asked through its inputs."""
        keys: list[str] = []
        for rule in self.rules.all():
            for key in DERIVED_INPUTS.get(rule.fact, (rule.fact,)):
                if key not in keys:
                    keys.append(key)
        for key in self.extra_facts or []:
            if key in FACTS and key not in keys:
                keys.append(key)
        return keys


DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "member_income_above_district_pct": ("member_avg_income",),
}


class EligibilityRule(models.Model):
    """One condition of a category, evaluated on submit."""

    class Operator(models.TextChoices):
        GTE = "gte", "≥"
        GT = "gt", ">"
        LTE = "lte", "≤"
        EQ = "eq", "="
        IN = "in", _("one of")
        TRUE = "true", _("is yes")

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="rules"
    )
    fact = models.CharField(
        _("fact"), max_length=50, choices=[(k, f.label) for k, f in FACTS.items()]
    )
    operator = models.CharField(_("operator"), max_length=5, choices=Operator.choices)
    value = models.CharField(
        _("value"),
        max_length=100,
        blank=True,
        help_text=_("For 'one of': codes separated by commas."),
    )
    message = models.CharField(_("message to the applicant"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["category", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_fact_display()} {self.get_operator_display()} {self.value_display}"

    @property
    def scope_path(self) -> str:
        return self.category.scope_path

    @property
    def value_display(self) -> str:
        """The value as a person reads it: the labels of choice codes, the unit of a
        number, nothing for a yes/no test."""
        fact = FACTS.get(self.fact)
        if fact is None or self.operator == self.Operator.TRUE:
            return ""
        if fact.kind == "choice":
            return "、".join(
                str(fact.display(v.strip())) for v in self.value.split(",") if v.strip()
            )
        return f"{self.value} {fact.unit}".strip()

    def clean(self) -> None:
        fact = FACTS.get(self.fact)
        if fact is None:
            raise ValidationError({"fact": _("Unknown fact.")})
        if self.operator in {self.Operator.GTE, self.Operator.GT, self.Operator.LTE}:
            if fact.kind not in {"int", "decimal"}:
                raise ValidationError({"operator": _("Only numbers can be compared.")})
            try:
                fact.parse(self.value)
            except (ValueError, TypeError) as exc:
                raise ValidationError({"value": _("Not a number.")}) from exc
            if fact.parse(self.value) is None:
                raise ValidationError({"value": _("Not a number.")})
        if self.operator == self.Operator.TRUE and fact.kind != "bool":
            raise ValidationError({"operator": _("Only yes/no facts can be tested for yes.")})
        if fact.kind == "bool" and self.operator != self.Operator.TRUE:
            raise ValidationError({"operator": _("A yes/no fact is tested for yes.")})
        if fact.kind == "choice":
            if self.operator not in {self.Operator.IN, self.Operator.EQ}:
                raise ValidationError({"operator": _("A choice is tested for one of its answers.")})
            known = {code for code, _label in fact.choices}
            codes = [v.strip() for v in self.value.split(",") if v.strip()]
            if not codes or any(code not in known for code in codes):
                raise ValidationError({"value": _("Choose the answers that pass.")})
        elif self.operator == self.Operator.IN:
            raise ValidationError({"operator": _("“One of” is for choices.")})
        if self.operator == self.Operator.EQ and fact.kind in {"int", "decimal"}:
            try:
                number = fact.parse(self.value)
            except (ValueError, TypeError):
                number = None
            if number is None:
                raise ValidationError({"value": _("Not a number.")})

    def passes(self, facts: dict[str, Any]) -> bool:
        fact = FACTS[self.fact]
        actual = facts.get(self.fact)
        if self.operator == self.Operator.TRUE:
            return actual is True
        if actual is None:
            return False
        if self.operator == self.Operator.IN:
            return str(actual) in {v.strip() for v in self.value.split(",")}
        expected = fact.parse(self.value)
        if self.operator == self.Operator.GTE:
            return bool(actual >= expected)
        if self.operator == self.Operator.GT:
            return bool(actual > expected)
        if self.operator == self.Operator.LTE:
            return bool(actual <= expected)
        return bool(str(actual) == str(expected))


class DistrictStatistic(models.Model):
    """区县农民年均纯收入 for a year, used by the cooperative income rule."""

    district = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    farmer_avg_income = models.DecimalField(
        _("farmer average annual net income (yuan)"), max_digits=12, decimal_places=2
    )

    class Meta:
        verbose_name = _("district statistic")
        verbose_name_plural = _("district statistics")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="districtstatistic_unique"),
            models.CheckConstraint(
                condition=Q(farmer_avg_income__gt=0), name="districtstatistic_income_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.year}"


class CallQuerySet(models.QuerySet["Call"]):
    def open_on(self, day: dt.date) -> CallQuerySet:
        return self.filter(status=Call.Status.OPEN, opens_on__lte=day, closes_on__gte=day)

    def visible_to(self, user: Any) -> CallQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="programme__owner_unit"))


class Call(models.Model):
    """年度批次: one year's call of a programme."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        REVIEWING = "reviewing", _("Under review")
        DECIDED = "decided", _("Decided")
        ARCHIVED = "archived", _("Archived")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="calls"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    doc_number = models.CharField(_("document number (文号)"), max_length=100, blank=True)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("submission deadline"))
    district_deadline = models.DateField(_("district recommendation deadline"))
    publicity_days = models.PositiveSmallIntegerField(_("public notice length"), default=10)
    publicity_day_kind = models.CharField(
        _("counted in"), max_length=10, choices=DayKind.choices, default=DayKind.CALENDAR
    )
    budget_envelope_fen = models.BigIntegerField(_("budget envelope (fen)"), default=0)
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), related_name="calls"
    )
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-year", "programme"]
        constraints = [
            *amount_checks("funding_call", "budget_envelope_fen"),
            models.UniqueConstraint(
                fields=["programme", "year"], name="call_unique_programme_year"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="call_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(district_deadline__gte=models.F("opens_on")),
                name="call_district_deadline_after_open",
            ),
            models.CheckConstraint(
                condition=Q(budget_envelope_fen__gte=0), name="call_envelope_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(publicity_days__gte=1), name="call_publicity_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.programme.owner_unit.path

    def accepts_submissions_on(self, day: dt.date) -> bool:
        return self.status == self.Status.OPEN and self.opens_on <= day <= self.closes_on

    @transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def open(self) -> None:
        """Published: applicants may submit within the window."""

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self) -> None:
        """No more submissions; districts finish their lists."""

    @transition(field=status, source=Status.CLOSED, target=Status.REVIEWING)
    def start_review(self) -> None:
        """City-level expert review under way."""

    @transition(field=status, source=Status.REVIEWING, target=Status.DECIDED)
    def decide(self) -> None:
        """The funded list is final."""

    @transition(field=status, source=Status.DECIDED, target=Status.ARCHIVED)
    def archive(self) -> None:
        """Nothing more happens in this call."""


class QuotaQuerySet(models.QuerySet["Quota"]):
    def visible_to(self, user: Any) -> QuotaQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="district"))


class Quota(models.Model):
    """推荐名额: how many applications, and how much money, a district may recommend."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="quotas"
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    allotted_count = models.PositiveIntegerField(_("allotted number (before cuts)"))
    allotted_amount_fen = models.BigIntegerField(_("allotted amount (fen, before cuts)"))
    # What the district may use: the allotment less the registered cuts (quota_set).
    max_count = models.PositiveIntegerField(_("maximum number"))
    max_amount_fen = models.BigIntegerField(_("maximum amount (fen)"))
    cut_note = models.CharField(_("reduction note"), max_length=200, blank=True)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["call", "district", "category"]
        constraints = [
            *amount_checks("funding_quota", "max_amount_fen", "allotted_amount_fen"),
            models.UniqueConstraint(fields=["call", "district", "category"], name="quota_unique"),
            models.CheckConstraint(
                condition=Q(max_amount_fen__gte=0), name="quota_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_count__lte=models.F("allotted_count"))
                & Q(max_amount_fen__lte=models.F("allotted_amount_fen")),
                name="quota_within_allotment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} · {self.category}"

    @property
    def is_cut(self) -> bool:
        return (self.max_count, self.max_amount_fen) != (
            self.allotted_count,
            self.allotted_amount_fen,
        )

    @property
    def scope_path(self) -> str:
        return self.district.path


class QuotaCut(models.Model):
    """A reduction of a district's quotas in a later year's call of a programme
    (after fraud was found in a spot check). Applied when that call's quotas are set,
    and at once to quotas that already exist."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year of the call cut"))
    pct = models.PositiveSmallIntegerField(_("cut (%)"), validators=[MaxValueValidator(100)])
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(_("source"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quota cut")
        verbose_name_plural = _("quota cuts")
        ordering = ["-year", "district"]

    def __str__(self) -> str:
        return f"{self.district} {self.year} −{self.pct}%"


# 取消资格, the working-day calendar and the trail of configuration changes live in
# their own modules (this one was over 800 lines); imported here so that Django and
# every caller find them as before.
from .calendar_models import CalendarDay, CalendarYear  # noqa: E402,F401
from .config_models import ConfigChange, ConfigChangeQuerySet  # noqa: E402,F401
from .debarment_models import Debarment, DebarmentQuerySet  # noqa: E402,F401
