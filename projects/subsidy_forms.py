"""Forms of 贷款贴息 and 核减: the loan, the cut, the re-spread, the interest certificate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import YuanField
from funding.models import Instrument

from .funding_models import MAX_LOAN_MONTHS
from .models import BudgetItem


class LoanForm(forms.Form):
    bank = forms.CharField(label=_("lending bank"), max_length=100)
    contract_no = forms.CharField(label=_("loan contract number"), max_length=60)
    principal = YuanField(label=_("loan principal (yuan)"), min_value=Decimal("0.01"))
    annual_rate_pct = forms.DecimalField(
        label=_("annual interest rate (%)"),
        help_text=_("As a percentage, e.g. 4.35."),
        min_value=Decimal("0.0001"),
        max_value=100,
        max_digits=8,
        decimal_places=4,
    )
    start_date = forms.DateField(
        label=_("loan start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    term_months = forms.IntegerField(
        label=_("loan term (months)"), min_value=1, max_value=MAX_LOAN_MONTHS
    )


class ApprovalCutForm(forms.Form):
    """核减: the amount granted per instrument (blank: as asked), and why."""

    reason = forms.CharField(
        label=_("reason for the cut"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, application: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = [
            i for i in application.call.programme.instruments if i != Instrument.AWARD
        ]
        for code in self.instruments:
            self.fields[f"amount_{code}"] = YuanField(
                label=_("%(i)s approved (yuan)") % {"i": Instrument(code).label},
                required=False,
            )
        self.order_fields([f"amount_{c}" for c in self.instruments] + ["reason"])

    def amounts(self) -> dict[str, Decimal]:
        return {
            c: self.cleaned_data[f"amount_{c}"]
            for c in self.instruments
            if self.cleaned_data.get(f"amount_{c}") is not None
        }


class RespreadForm(forms.Form):
    """The 任务书's budget items spread over the approved amount."""

    def __init__(self, *args: Any, items: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item}"] = YuanField(label=BudgetItem(item).label, required=False)

    def spread(self) -> dict[str, Decimal]:
        return {
            i: self.cleaned_data[f"item_{i}"]
            for i in self.items
            if self.cleaned_data.get(f"item_{i}") is not None
        }


class InterestCertificateForm(forms.Form):
    number = forms.CharField(label=_("certificate number"), max_length=60)
    period_from = forms.DateField(
        label=_("interest period from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label=_("interest period to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    interest_paid = YuanField(label=_("interest paid (yuan)"), min_value=Decimal("0.01"))
    amount = YuanField(
        label=_("subsidy asked (yuan)"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to pay what the programme's rule allows."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("period_to", _("The interest period ends before it starts."))
        return data
