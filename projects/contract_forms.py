from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import YuanField
from core.numbers import format_quantity

from .models import BudgetItem, Contract, ContractIndicator

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.Form):
    start_date = forms.DateField(label=_("start date"), widget=DATE)
    end_date = forms.DateField(label=_("end date"), widget=DATE)
    payee_account = forms.CharField(label=_("payee bank account"), max_length=40)
    payee_bank = forms.CharField(label=_("payee bank"), max_length=200, required=False)
    indicators = forms.CharField(
        label=_("indicators"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("One per line: name | unit | target, e.g. 示范面积 | 亩 | 500"),
    )
    # the same bounds as a 展期 (ledger.forms.RescheduleForm)
    repay_term_months = forms.IntegerField(
        label=_("repayment term (months)"), required=False, min_value=1, max_value=240
    )
    repay_grace_months = forms.IntegerField(
        label=_("grace period (months)"), required=False, min_value=0, max_value=120, initial=0
    )
    repay_period_months = forms.IntegerField(
        label=_("months between instalments"),
        required=False,
        min_value=1,
        max_value=120,
        initial=6,
    )
    repay_method = forms.ChoiceField(
        label=_("repayment method"), choices=Contract.RepayMethod.choices, required=False
    )
    fee_rate = forms.DecimalField(
        label=_("usage fee rate (per year, e.g. 0.02)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=6,
    )
    overdue_rate = forms.DecimalField(
        label=_("overdue rate (per day, e.g. 0.0005)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=6,
    )

    def clean_indicators(self) -> list[dict[str, Any]]:
        rows = []
        for n, line in enumerate(self.cleaned_data["indicators"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) != 3 or not parts[0]:
                raise forms.ValidationError(_("Line %(n)d: write name | unit | target.") % {"n": n})
            name_max = ContractIndicator._meta.get_field("name").max_length or 0
            unit_max = ContractIndicator._meta.get_field("unit").max_length or 0
            if len(parts[0]) > name_max or len(parts[1]) > unit_max:
                raise forms.ValidationError(
                    _(
                        "Line %(n)d: the name may have at most %(name)d characters and the "
                        "unit at most %(unit)d."
                    )
                    % {"n": n, "name": name_max, "unit": unit_max}
                )
            try:
                target = Decimal(parts[2].replace(",", ""))
            except InvalidOperation as exc:
                raise forms.ValidationError(
                    _("Line %(n)d: the target is not a number.") % {"n": n}
                ) from exc
            # the column is numeric(14, 2)
            if (
                not target.is_finite()
                or abs(target) >= Decimal(10) ** 12
                or target != target.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            ):
                raise forms.ValidationError(
                    _(
                        "Line %(n)d: the target may have at most 12 digits before the "
                        "point and 2 after it."
                    )
                    % {"n": n}
                )
            if target <= 0:
                raise forms.ValidationError(
                    _("Line %(n)d: the target must be positive.") % {"n": n}
                )
            rows.append({"name": parts[0], "unit": parts[1], "target": target})
        if not rows:
            raise forms.ValidationError(_("Give at least one indicator."))
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("start_date")
            and data.get("end_date")
            and data["end_date"] <= data["start_date"]
        ):
            self.add_error("end_date", _("The end date must be after the start date."))
        return data


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("report"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000
    )

    def __init__(
        self,
        *args: Any,
        indicators: list[ContractIndicator],
        items: list[str],
        final: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.items = items
        for i in indicators:
            self.fields[f"ind_{i.pk}"] = forms.DecimalField(
                label=_("%(name)s (target %(target)s %(unit)s)")
                % {"name": i.name, "target": format_quantity(i.target), "unit": i.unit},
                min_value=0,
                max_digits=14,
                decimal_places=2,
                required=final,
            )
        for item in items:
            # the final report's spending is the 经费决算: every item is stated
            label = (
                _("%(i)s spent in all (final account), yuan")
                if final
                else _("%(i)s spent to date, yuan")
            )
            self.fields[f"spent_{item}"] = YuanField(
                label=label % {"i": BudgetItem(item).label}, required=final
            )
        if final:
            self.fields["fund_usage"] = forms.CharField(
                label=_("fund-usage statement"),
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=5000,
            )

    def actuals(self) -> dict[int, Decimal]:
        return {
            i.pk: self.cleaned_data[f"ind_{i.pk}"]
            for i in self.indicators
            if self.cleaned_data.get(f"ind_{i.pk}") is not None
        }

    def spending(self) -> dict[str, Decimal]:
        return {
            item: self.cleaned_data[f"spent_{item}"]
            for item in self.items
            if self.cleaned_data.get(f"spent_{item}") is not None
        }

    def indicator_fields(self) -> list[Any]:
        return [self[f"ind_{i.pk}"] for i in self.indicators]

    def spending_fields(self) -> list[Any]:
        return [self[f"spent_{item}"] for item in self.items]


class BudgetChangeForm(forms.Form):
    item = forms.ChoiceField(label=_("budget item"), choices=BudgetItem.choices)
    new_amount = YuanField(label=_("new amount, yuan"))
    reason = forms.CharField(label=_("reason"), max_length=300)


class FinanceForm(forms.Form):
    result = forms.ChoiceField(
        label=_("financial acceptance"),
        choices=[("passed", _("Passed")), ("problems", _("Problems found"))],
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class ConclusionForm(forms.Form):
    false_data = forms.BooleanField(label=_("false data found"), required=False)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class AwardPayForm(forms.Form):
    payee_account = forms.CharField(label=_("payee bank account"), max_length=40)
    payee_bank = forms.CharField(label=_("payee bank"), max_length=200, required=False)


class IndicatorIssueForm(forms.Form):
    document_no = forms.CharField(label=_("document number (文号)"), max_length=60)
    value_date = forms.DateField(label=_("issue date"), widget=DATE)


class IndicatorSupplementForm(IndicatorIssueForm):
    reason = forms.CharField(label=_("reason"), max_length=300)
