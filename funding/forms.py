"""Forms of the call-management pages: input shape and bounds only; the services keep
the rules (and their refusals are put back on the form by the views)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrgUnit
from core.forms import YuanField

from .facts import FACTS, Fact
from .models import (
    Call,
    Category,
    DayKind,
    EligibilityRule,
    Flow,
    Instrument,
    Programme,
    SurplusRule,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _bounded_yuan(label: Any, **kwargs: Any) -> YuanField:
    """A money field; the parser refuses more than the domain maximum (100 亿元)."""
    return YuanField(label=label, **kwargs)


class ProgrammeForm(forms.Form):
    code = forms.CharField(
        label=_("code"),
        max_length=20,
        help_text=_("Capital letters or digits, e.g. KPHN: application numbers start with it."),
    )
    name = forms.CharField(label=_("programme name"), max_length=100)
    flow = forms.ChoiceField(label=_("flow"), choices=Flow.choices)
    instruments = forms.MultipleChoiceField(
        label=_("instruments"), choices=Instrument.choices, widget=forms.CheckboxSelectMultiple
    )
    owner_unit = forms.ModelChoiceField(label=_("owning region"), queryset=OrgUnit.objects.none())
    lead_body = forms.ModelChoiceField(
        label=_("lead body"), queryset=Organisation.objects.none(), required=False
    )
    co_owner = forms.ModelChoiceField(
        label=_("co-owner (finance bureau)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    acceptance_fail_below_pct = forms.DecimalField(
        label=_("acceptance: fail below (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=80,
    )
    acceptance_rectify_below_pct = forms.DecimalField(
        label=_("acceptance: rectify below (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=90,
    )
    acceptance_overdue_fail_months = forms.IntegerField(
        label=_("acceptance: fail when overdue by (months)"), min_value=0, max_value=60, initial=6
    )
    rectification_months = forms.IntegerField(
        label=_("rectification period (months)"), min_value=1, max_value=24, initial=3
    )
    debarment_years = forms.IntegerField(
        label=_("debarment after fraud (years)"), min_value=0, max_value=10, initial=3
    )
    fraud_quota_cut_pct = forms.IntegerField(
        label=_("next year's quota cut after fraud (%)"), min_value=0, max_value=100, initial=20
    )
    budget_item_tolerance_pct = forms.IntegerField(
        label=_("allowed overspend per budget item without a change (%)"),
        min_value=0,
        max_value=100,
        initial=10,
    )
    city_panel_excludes_own_district = forms.BooleanField(
        label=_("city panels exclude experts of the applicant's district"),
        required=False,
        initial=True,
    )
    lead_required = forms.BooleanField(
        label=_("an application must name its project leader (负责人)"),
        required=False,
        initial=False,
    )
    lead_max_in_progress = forms.IntegerField(
        label=_("limit: projects one leader may hold at a time"),
        min_value=1,
        max_value=20,
        required=False,
        initial=2,
        help_text=_(
            "Projects under consideration or in progress, over all programmes; empty for no limit."
        ),
    )
    lead_blocked_by_overdue_report = forms.BooleanField(
        label=_("limit: a leader with an overdue report may not apply"),
        required=False,
        initial=True,
    )
    lead_failed_acceptance_years = forms.IntegerField(
        label=_("limit: years a failed acceptance bars its leader"),
        min_value=1,
        max_value=10,
        required=False,
        initial=3,
        help_text=_("Empty: a failed acceptance does not bar its leader."),
    )
    subsidy_share_pct = forms.DecimalField(
        label=_("interest subsidy: share of the interest paid (%)"),
        min_value=Decimal("0.01"),
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=100,
        required=False,
        help_text=_("Left empty: the whole interest paid (100 %)."),
    )
    subsidy_cap_at_benchmark = forms.BooleanField(
        label=_("interest subsidy: no more than the interest at the benchmark rate"),
        required=False,
    )
    subsidy_benchmark_rate = forms.DecimalField(
        label=_("interest subsidy: benchmark annual rate"),
        help_text=_("As a fraction of one: 0.05 is 5 % a year."),
        min_value=Decimal("0.000001"),
        max_value=1,
        max_digits=8,
        decimal_places=6,
        required=False,
    )
    surplus_rule = forms.ChoiceField(
        label=_("unspent balance at closing"),
        choices=SurplusRule.choices,
        initial=SurplusRule.RETURN,
        required=False,
        help_text=_(
            "What happens to a grant's unspent balance (结余) when the project closes; "
            "left empty: returned."
        ),
    )
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args: Any, units: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["lead_body"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["co_owner"].queryset = organisations  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean_surplus_rule(self) -> str:
        return str(self.cleaned_data.get("surplus_rule") or SurplusRule.RETURN)

    def clean_subsidy_share_pct(self) -> Decimal:
        value = self.cleaned_data.get("subsidy_share_pct")
        return Decimal(100) if value is None else value

    @staticmethod
    def initial_for(programme: Programme) -> dict[str, Any]:
        return {
            name: getattr(programme, name)
            for name in (
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
        }


class CallForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for “<year> <programme>”."),
    )
    doc_number = forms.CharField(
        label=_("document number (文号)"),
        max_length=100,
        required=False,
        help_text=_("e.g. 杭科协发〔2026〕18号"),
    )
    opens_on = forms.DateField(label=_("opens on"), widget=DATE)
    closes_on = forms.DateField(label=_("submission deadline"), widget=DATE)
    district_deadline = forms.DateField(
        label=_("district recommendation deadline"),
        widget=DATE,
        help_text=_("By this day the districts send their recommendation lists."),
    )
    publicity_days = forms.IntegerField(
        label=_("public notice length (days)"), min_value=1, max_value=60, initial=10
    )
    publicity_day_kind = forms.ChoiceField(
        label=_("counted in"), choices=DayKind.choices, initial=DayKind.CALENDAR
    )
    budget_envelope = _bounded_yuan(_("budget envelope (yuan)"))
    categories = forms.ModelMultipleChoiceField(
        label=_("categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Or leave them all and apply a ready-made set on the call's page."),
    )

    def __init__(
        self, *args: Any, programme: Programme, locked: frozenset[str] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if programme.categories.exists():
            self.fields["categories"].queryset = programme.categories.all()  # type: ignore[attr-defined]
        else:
            del self.fields["categories"]
        for name in locked:
            field_name = "budget_envelope" if name == "budget_envelope_fen" else name
            if field_name in self.fields:
                self.fields[field_name].disabled = True
        if "categories" in locked and "categories" in self.fields:
            self.fields["categories"].help_text = _("Fixed once the call has opened.")

    @staticmethod
    def initial_for(call: Call) -> dict[str, Any]:
        from core.money import fen_to_yuan

        data: dict[str, Any] = {
            name: getattr(call, name)
            for name in (
                "year",
                "title",
                "doc_number",
                "opens_on",
                "closes_on",
                "district_deadline",
                "publicity_days",
                "publicity_day_kind",
            )
        }
        data["budget_envelope"] = fen_to_yuan(call.budget_envelope_fen)
        data["categories"] = list(call.categories.all())
        return data


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("category name"), max_length=100)
    applicant_kind = forms.ChoiceField(label=_("applicant is"), choices=Category.Applicant.choices)
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    order = forms.IntegerField(label=_("order"), min_value=0, max_value=999, initial=0)
    extra_facts = forms.MultipleChoiceField(
        label=_("other facts asked"),
        required=False,
        choices=[(k, f.label) for k, f in FACTS.items() if not f.derived],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Asked on the application form besides those the rules test."),
    )


class FactChoiceForm(forms.Form):
    fact = forms.ChoiceField(
        label=_("what the rule tests"),
        choices=[(k, f.label) for k, f in FACTS.items()],
    )


_NUMBER_OPERATORS = [
    (EligibilityRule.Operator.GTE, _("at least (≥)")),
    (EligibilityRule.Operator.GT, _("more than (>)")),
    (EligibilityRule.Operator.LTE, _("at most (≤)")),
    (EligibilityRule.Operator.EQ, _("exactly (=)")),
]


class RuleForm(forms.Form):
    """One rule over one fact: the value's field fits the fact (a number, the answers of
    a choice, nothing for a yes/no fact)."""

    message = forms.CharField(
        label=_("message to the applicant"),
        max_length=300,
        required=False,
        help_text=_(
            "What the applicant reads when the rule is not met. Leave empty for one made from the rule."
        ),
    )

    def __init__(self, *args: Any, fact: Fact, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fact = fact
        if fact.kind in ("int", "decimal"):
            self.fields["operator"] = forms.ChoiceField(label=_("test"), choices=_NUMBER_OPERATORS)
            threshold = _("threshold")
            unit = f"（{fact.unit}）" if fact.unit else ""
            self.fields["number"] = forms.DecimalField(
                label=f"{threshold}{unit}",
                max_digits=14,
                decimal_places=2 if fact.kind == "decimal" else 0,
                min_value=-(10**6) if fact.derived else 0,
            )
        elif fact.kind == "choice":
            self.fields["answers"] = forms.MultipleChoiceField(
                label=_("answers that pass"),
                choices=fact.choices,
                widget=forms.CheckboxSelectMultiple,
            )
        self.order_fields(["operator", "number", "answers", "message"])
        if locked:  # a call accepts submissions under it: only the wording may change
            for name in ("operator", "number", "answers"):
                if name in self.fields:
                    self.fields[name].disabled = True
            self.fields["message"].help_text = _(
                "A call accepts submissions under this rule: only the message may change now."
            )

    def rule_fields(self) -> dict[str, Any]:
        """operator, value and message for the service."""
        data = self.cleaned_data
        kind = self.fact.kind
        if kind in ("int", "decimal"):
            operator = str(data["operator"])
            number = data["number"]
            value = str(int(number)) if kind == "int" else f"{number.normalize():f}"
            symbol = dict(EligibilityRule.Operator.choices)[operator]
            made = f"{self.fact.label} {symbol} {value}{self.fact.unit}"
        elif kind == "choice":
            operator = EligibilityRule.Operator.IN
            value = ",".join(data["answers"])
            labels = dict(self.fact.choices)
            made = f"{self.fact.label}：" + "、".join(str(labels[a]) for a in data["answers"])
        else:
            operator, value = EligibilityRule.Operator.TRUE, ""
            made = str(self.fact.label)
        message = data.get("message", "").strip() or str(_("Required: %(rule)s.") % {"rule": made})
        return {"operator": operator, "value": value, "message": message}

    @staticmethod
    def initial_for(rule: EligibilityRule) -> dict[str, Any]:
        fact = FACTS[rule.fact]
        data: dict[str, Any] = {"message": rule.message}
        if fact.kind in ("int", "decimal"):
            data["operator"] = rule.operator
            data["number"] = rule.value
        elif fact.kind == "choice":
            data["answers"] = [v.strip() for v in rule.value.split(",") if v.strip()]
        return data


class StatisticForm(forms.Form):
    district = forms.ModelChoiceField(label=_("district"), queryset=OrgUnit.objects.none())
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    farmer_avg_income = _bounded_yuan(
        _("farmer average annual net income (yuan)"), min_value=Decimal("0.01")
    )

    def __init__(self, *args: Any, districts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]


class QuotaGridForm(forms.Form):
    """The quotas of one call: a count and an amount for each district and category, and
    per category a figure for every district left empty. A cell left empty (with no
    figure for the category) sets nothing; a quota once set is changed, not removed."""

    def __init__(
        self, *args: Any, districts: list[OrgUnit], categories: list[Category], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.districts, self.categories = districts, categories
        for category in categories:
            self.fields[f"d-{category.pk}-count"] = self._count()
            self.fields[f"d-{category.pk}-amount"] = self._amount()
            for district in districts:
                self.fields[f"q-{district.pk}-{category.pk}-count"] = self._count()
                self.fields[f"q-{district.pk}-{category.pk}-amount"] = self._amount()

    @staticmethod
    def _count() -> forms.IntegerField:
        return forms.IntegerField(
            required=False,
            min_value=0,
            max_value=10000,
            widget=forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "size": 4,
                    "autocomplete": "off",
                    "placeholder": _("places"),
                    "aria-label": _("places"),
                }
            ),
        )

    @staticmethod
    def _amount() -> YuanField:
        field = _bounded_yuan("", required=False)
        field.widget.attrs.update({"size": 11, "placeholder": _("yuan"), "aria-label": _("yuan")})
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for category in self.categories:
            for district in self.districts:
                count, amount = self.cell(district, category, data)
                if (count is None) != (amount is None):
                    raise forms.ValidationError(
                        _("%(district)s · %(category)s: give both the number and the amount.")
                        % {"district": district.name, "category": category.name}
                    )
        return data

    def cell(
        self, district: OrgUnit, category: Category, data: dict[str, Any] | None = None
    ) -> tuple[int | None, Decimal | None]:
        data = self.cleaned_data if data is None else data
        count = data.get(f"q-{district.pk}-{category.pk}-count")
        amount = data.get(f"q-{district.pk}-{category.pk}-amount")
        if count is None and amount is None:
            count = data.get(f"d-{category.pk}-count")
            amount = data.get(f"d-{category.pk}-amount")
        return count, amount
