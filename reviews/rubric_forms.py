"""Forms of the rubric pages: a rubric and its criteria as rows (no script needed: a few
empty rows are offered, an empty row is ignored)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Rubric
from .rubrics import MAX_SCORE, MAX_WEIGHT, CriterionSpec


class RubricForm(forms.Form):
    name = forms.CharField(label=_("rubric name"), max_length=100)
    total_threshold = forms.DecimalField(
        label=_("passing total"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        initial=Decimal("60"),
        help_text=_("An item whose total (Σ weight × score) is below it does not pass."),
    )


class CriterionForm(forms.Form):
    code = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    name = forms.CharField(label=_("criterion"), max_length=100, required=False)
    weight = forms.DecimalField(
        label=_("weight"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=MAX_WEIGHT,
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    max_score = forms.DecimalField(
        label=_("maximum"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=MAX_SCORE,
        max_digits=6,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    min_score = forms.DecimalField(
        label=_("minimum to pass"),
        required=False,
        min_value=0,
        max_value=MAX_SCORE,
        max_digits=6,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) not in (None, "") for k in ("name", "max_score", "min_score"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.is_blank():
            if not data.get("name"):
                self.add_error("name", _("Name the criterion."))
            if data.get("max_score") is None:
                self.add_error("max_score", _("Give the maximum."))
        return data


CriterionFormSet = forms.formset_factory(CriterionForm, extra=5, max_num=30, absolute_max=30)


def criterion_rows(rubric: Rubric | None) -> list[dict[str, Any]]:
    if rubric is None:
        return []
    return [
        {
            "code": c.code,
            "name": c.name,
            "weight": c.weight,
            "max_score": c.max_score,
            "min_score": c.min_score,
        }
        for c in rubric.criteria.all()
    ]


def criterion_specs(formset: Any) -> list[CriterionSpec]:
    return [
        CriterionSpec(
            code=f.cleaned_data.get("code") or "",
            name=f.cleaned_data["name"],
            weight=f.cleaned_data.get("weight") or Decimal("1"),
            max_score=f.cleaned_data["max_score"],
            min_score=f.cleaned_data.get("min_score"),
        )
        for f in formset.forms
        if f.cleaned_data and not f.is_blank()
    ]


class CallRubricForm(forms.Form):
    rubric = forms.ModelChoiceField(label=_("rubric"), queryset=Rubric.objects.none())

    def __init__(self, *args: Any, rubrics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = rubrics  # type: ignore[attr-defined]
