from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .identifiers import normalise, validate_credit_code, validate_id_number
from .models import Organisation, OrgUnit


class CreditCodeField(forms.CharField):
    """Accepts lower case and spaces; normalises before the check digit is validated."""

    def to_python(self, value: Any) -> str:
        return normalise(super().to_python(value) or "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        validate_credit_code(value)


class IdNumberField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return normalise(super().to_python(value) or "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        validate_id_number(value)


class OrganisationForm(forms.Form):
    credit_code = CreditCodeField(label=_("unified social credit code"), max_length=30)
    name = forms.CharField(label=_("organisation name"), max_length=200)
    org_type = forms.ChoiceField(label=_("organisation type"), choices=Organisation.Type.choices)
    region = forms.ModelChoiceField(label=_("district"), queryset=OrgUnit.objects.none())
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=30, required=False)
    licence = forms.FileField(label=_("licence scan"), required=False)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class PersonForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    id_number = IdNumberField(label=_("ID card number"), max_length=30)
    region = forms.ModelChoiceField(label=_("district"), queryset=OrgUnit.objects.none())
    organisation = forms.ModelChoiceField(
        label=_("employer"), queryset=Organisation.objects.none(), required=False
    )
    mobile = forms.CharField(label=_("mobile"), max_length=20, required=False)
    email = forms.EmailField(label=_("email"), max_length=254, required=False)

    def __init__(self, *args: Any, regions: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Map a service's ValidationError onto the form (unknown fields → non-field errors)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
