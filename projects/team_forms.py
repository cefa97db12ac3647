"""Forms of the team page: input shape and bounds only (projects.team keeps the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import IdNumberField
from accounts.models import Person

from .team_models import TeamMember


class PersonChoiceField(forms.ModelChoiceField):
    """A person by name and masked ID number (the full number is never shown here)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.id_number_masked}）"


class _PlaceFields(forms.Form):
    kind = forms.ChoiceField(label=_("place in the team"), choices=TeamMember.Kind.choices)
    title = forms.CharField(label=_("professional title (职称)"), max_length=50)
    duty = forms.CharField(label=_("task in the project (分工)"), max_length=100, required=False)


class TeamPickForm(_PlaceFields):
    person = PersonChoiceField(label=_("person"), queryset=Person.objects.none())
    field_order = ["person", "kind", "title", "duty"]

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = candidates  # type: ignore[attr-defined]


class TeamNewPersonForm(_PlaceFields):
    name = forms.CharField(label=_("name"), max_length=50)
    id_number = IdNumberField(label=_("ID card number"), max_length=30)
    mobile = forms.CharField(label=_("mobile"), max_length=20, required=False)
    field_order = ["name", "id_number", "mobile", "kind", "title", "duty"]
