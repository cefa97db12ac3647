"""The forms of the expert fee pages (reviews.fee_views)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import YuanField
from ledger.models import BankAccount, BudgetLine

from .fee_models import MAX_HALF_DAYS, FeeBasis

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExpertFeeSheetForm(forms.Form):
    """Preparing the fee sheet of a closed panel."""

    budget_line = forms.ModelChoiceField(label=_("budget line"), queryset=BudgetLine.objects.none())
    basis = forms.ChoiceField(label=_("fee basis"), choices=FeeBasis.choices)
    half_days = forms.IntegerField(
        label=_("half-day sessions"),
        required=False,
        min_value=1,
        max_value=MAX_HALF_DAYS,
        help_text=_("Only for the per-half-day basis."),
    )

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = lines  # type: ignore[attr-defined]


class ExpertFeeDecisionForm(forms.Form):
    decision_note = forms.CharField(
        label=_("note"), max_length=300, required=False, widget=forms.TextInput()
    )


class ExpertFeePayForm(forms.Form):
    bank_account = forms.ModelChoiceField(label=_("paid from"), queryset=BankAccount.objects.none())
    paid_on = forms.DateField(label=_("paid on"), widget=DATE)
    bank_reference = forms.CharField(label=_("bank reference (流水号)"), max_length=60)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = banks  # type: ignore[attr-defined]


class ExpertFeeLineForm(forms.Form):
    payee_account = forms.CharField(label=_("bank account"), max_length=40, required=False)


class ExpertFeeRateForm(forms.Form):
    """Setting a programme's rate (专家劳务费标准); the service checks the bounds."""

    basis = forms.ChoiceField(label=_("fee basis"), choices=FeeBasis.choices)
    amount = YuanField(label=_("rate per unit (yuan)"), min_value=Decimal("0"))
    note = forms.CharField(
        label=_("basis document"),
        max_length=200,
        required=False,
        help_text=_("The document that fixes the rate, e.g. 杭科计〔2026〕3号."),
    )
