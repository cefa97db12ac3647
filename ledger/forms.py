"""Input shapes of the ledger's pages; the rules live in ``services``."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import MoneyError
from .models import (
    BankAccount,
    BudgetLine,
    Commitment,
    DunningStep,
    Instrument,
    LegalCase,
    RepayableAccount,
    WriteOffBasis,
)
from .money import parse_yuan


class YuanField(forms.Field):
    """An amount in yuan, read strictly (``ledger.money``): "1,234.50", "1234.5元"."""

    widget = forms.TextInput(attrs={"maxlength": 30, "inputmode": "decimal"})

    def __init__(self, *args: Any, allow_negative: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            amount = parse_yuan(text)
        except MoneyError as error:
            raise forms.ValidationError(error.message) from error
        if amount < 0 and not self.allow_negative:
            raise forms.ValidationError(_("The amount must not be negative."))
        return amount


class DateInput(forms.DateInput):
    input_type = "date"


class DisbursementForm(forms.Form):
    budget_line = forms.ModelChoiceField(label=_("budget line"), queryset=BudgetLine.objects.none())
    commitment = forms.ModelChoiceField(
        label=_("commitment"), queryset=Commitment.objects.none(), required=False
    )
    amount = YuanField(label=_("amount (yuan)"))
    payee_name = forms.CharField(label=_("payee"), max_length=200)
    payee_account = forms.CharField(label=_("payee bank account"), max_length=40)
    payee_bank = forms.CharField(label=_("payee bank"), max_length=200, required=False)
    project_ref = forms.CharField(label=_("project reference"), max_length=64, required=False)
    # a smallint column; a 任务书 pays in a few tranches
    tranche_no = forms.IntegerField(label=_("tranche"), min_value=1, max_value=99, initial=1)
    purpose = forms.CharField(label=_("purpose"), max_length=300, required=False)

    def __init__(self, *args: Any, lines: Any, commitments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = lines  # type: ignore[attr-defined]
        self.fields["commitment"].queryset = commitments  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class PayForm(forms.Form):
    bank_account = forms.ModelChoiceField(label=_("paid from"), queryset=BankAccount.objects.none())
    paid_on = forms.DateField(label=_("paid on"), widget=DateInput)
    bank_reference = forms.CharField(label=_("bank reference"), max_length=60)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = banks  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    value_date = forms.DateField(label=_("returned on"), widget=DateInput)
    reason = forms.CharField(label=_("reason"), max_length=300)


class AdjustmentForm(forms.Form):
    amount = YuanField(
        label=_("change (yuan)"),
        allow_negative=True,
        help_text=_("Negative to reduce the line."),
    )
    reason = forms.CharField(label=_("reason"), max_length=300)
    document_no = forms.CharField(label=_("document number"), max_length=60, required=False)


class RepaymentForm(forms.Form):
    amount = YuanField(label=_("amount (yuan)"))
    value_date = forms.DateField(label=_("repayment date"), widget=DateInput)
    bank_account = forms.ModelChoiceField(
        label=_("received in"), queryset=BankAccount.objects.none()
    )
    bank_reference = forms.CharField(label=_("bank reference"), max_length=60, required=False)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = banks  # type: ignore[attr-defined]


class RescheduleForm(forms.Form):
    effective_date = forms.DateField(label=_("effective date"), widget=DateInput)
    term_months = forms.IntegerField(label=_("new term (months)"), min_value=1, max_value=240)
    grace_months = forms.IntegerField(
        label=_("new grace period (months)"), min_value=0, max_value=120, initial=0
    )
    method = forms.ChoiceField(label=_("repayment method"), choices=RepayableAccount.Method.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)


class WriteOffForm(forms.Form):
    value_date = forms.DateField(label=_("write-off date"), widget=DateInput)
    document_no = forms.CharField(label=_("document number"), max_length=60, required=False)
    basis = forms.ChoiceField(label=_("basis of the write-off"), choices=WriteOffBasis.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)


_ACCOUNT_SEPARATORS = re.compile(r"[\s-]+")


class BankAccountField(forms.ModelChoiceField):
    """A bank account chosen on the page (its pk), or named by its account number
    (spaces and hyphens ignored) on the command line: ``--option bank_account=…``."""

    def to_python(self, value: Any) -> Any:
        wanted = _ACCOUNT_SEPARATORS.sub("", str(value or ""))
        if len(wanted) > 9:  # longer than any pk: an account number
            for bank in self.queryset:  # type: ignore[union-attr]
                if _ACCOUNT_SEPARATORS.sub("", bank.account_number) == wanted:
                    return bank
        return super().to_python(value)


class BankAccountOptionsForm(forms.Form):
    """What a 还款 file needs besides its rows: the bank account the money arrived in."""

    bank_account = BankAccountField(label=_("received in"), queryset=BankAccount.objects.none())

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = banks  # type: ignore[attr-defined]


class StatementOptionsForm(BankAccountOptionsForm):
    """What a 银行流水 file needs besides its rows: whose statement it is, its period
    (by default from its first to its last transaction) and its balances."""

    period_start = forms.DateField(label=_("period start"), widget=DateInput, required=False)
    period_end = forms.DateField(label=_("period end"), widget=DateInput, required=False)
    opening_balance = YuanField(label=_("opening balance (yuan)"), allow_negative=True)
    closing_balance = YuanField(label=_("closing balance (yuan)"), allow_negative=True)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, banks=banks, **kwargs)
        self.fields["bank_account"].label = _("bank account")
        self.fields["period_start"].help_text = _(
            "Leave the dates empty to take those of the first and the last transaction."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise forms.ValidationError(_("The statement period ends before it starts."))
        return data


# --- the year's set-up: budget lines, bank accounts, funds received ------------------


class BudgetLineForm(forms.Form):
    """预算科目: a line of a region's budget for a programme, instrument and source."""

    scope_path = forms.ChoiceField(label=_("region"))
    programme_code = forms.ChoiceField(label=_("programme"))
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    funding_source = forms.ChoiceField(label=_("funding source"), choices=BudgetLine.Source.choices)
    instrument = forms.ChoiceField(label=_("instrument"), choices=Instrument.choices)
    name = forms.CharField(
        label=_("name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for one made of the year, programme, instrument and region."),
    )
    amount = YuanField(label=_("budget issued (yuan)"))
    value_date = forms.DateField(label=_("issue date"), widget=DateInput)
    document_no = forms.CharField(label=_("document number"), max_length=60, required=False)

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]],
        programmes: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope_path"].choices = regions  # type: ignore[attr-defined]
        self.fields["programme_code"].choices = programmes  # type: ignore[attr-defined]


class BankAccountForm(forms.Form):
    scope_path = forms.ChoiceField(label=_("region"))
    name = forms.CharField(label=_("account name"), max_length=200)
    bank_name = forms.CharField(label=_("bank"), max_length=200)
    account_number = forms.CharField(label=_("account number"), max_length=40)

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope_path"].choices = regions  # type: ignore[attr-defined]


class FundingForm(forms.Form):
    """资金到账: fiscal money arriving in one of the region's bank accounts."""

    bank_account = forms.ModelChoiceField(
        label=_("received in"), queryset=BankAccount.objects.none()
    )
    amount = YuanField(label=_("amount (yuan)"))
    value_date = forms.DateField(label=_("date received"), widget=DateInput)
    memo = forms.CharField(label=_("document number or memo"), max_length=200, required=False)
    # one per form shown: a second press of the button posts nothing more
    token = forms.CharField(min_length=32, max_length=36, widget=forms.HiddenInput)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = banks  # type: ignore[attr-defined]


# --- recovery: 催收 and the legal case --------------------------------------------------


class DunningForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(k, label) for k, label in DunningStep.Kind.choices if k != "notice"],
    )
    date = forms.DateField(label=_("date"), widget=DateInput)
    text = forms.CharField(
        label=_("what was said or written"), max_length=1000, required=False, widget=forms.Textarea
    )
    promised_amount = YuanField(label=_("amount promised (yuan)"), required=False)
    promised_date = forms.DateField(label=_("promised by"), widget=DateInput, required=False)
    letter_no = forms.CharField(label=_("letter number"), max_length=40, required=False)


class DunningNoticeForm(forms.Form):
    date = forms.DateField(label=_("date of the notice"), widget=DateInput)
    pay_by = forms.DateField(label=_("pay by"), widget=DateInput)
    office = forms.CharField(label=_("issuing office"), max_length=100)
    text = forms.CharField(
        label=_("further text of the letter"),
        max_length=1000,
        required=False,
        widget=forms.Textarea,
    )


class LegalReferForm(forms.Form):
    court = forms.CharField(label=_("court"), max_length=100)
    referred_on = forms.DateField(label=_("referred on"), widget=DateInput)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class LegalAdvanceForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("stage reached"),
        choices=[(k, label) for k, label in LegalCase.Stage.choices if k != "referred"],
    )
    date = forms.DateField(label=_("date"), widget=DateInput)
    case_number = forms.CharField(label=_("case number"), max_length=60, required=False)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


def recovery_forms() -> dict[str, Any]:
    """The empty recovery forms the account page shows."""
    return {
        "dunning_form": DunningForm(prefix="dunning"),
        "notice_form": DunningNoticeForm(prefix="notice"),
        "refer_form": LegalReferForm(prefix="refer"),
        "advance_form": LegalAdvanceForm(prefix="advance"),
    }
