"""The forms of the expert fee pages (reviews.fee_views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
