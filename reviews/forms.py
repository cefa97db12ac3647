from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funding.models import Call

from .models import ExpertProfile, Panel, Rubric

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEED_MAX = 2**63 - 1  # a draw's seed is a bigint column


class PanelForm(forms.Form):
    call = forms.ModelChoiceField(label=_("call"), queryset=Call.objects.none())
    stage = forms.ChoiceField(label=_("stage"), choices=Panel.Stage.choices)
    name = forms.CharField(label=_("panel name"), max_length=100)
    rubric = forms.ModelChoiceField(
        label=_("rubric"),
        queryset=Rubric.objects.all(),
        required=False,
        empty_label=_("the call's rubric"),
    )
    size = forms.IntegerField(label=_("experts per item"), min_value=1, max_value=15, initial=5)
    blind = forms.BooleanField(label=_("blind (experts do not see who applied)"), required=False)
    aggregation = forms.ChoiceField(label=_("aggregation"), choices=Panel.Aggregation.choices)
    calibrate = forms.BooleanField(label=_("per-expert z-score calibration"), required=False)
    spread_threshold = forms.DecimalField(
        label=_("flag when max − min exceeds"),
        initial=Decimal("20"),
        min_value=0,
        max_digits=6,
        decimal_places=2,
    )
    deadline = forms.DateField(label=_("scoring deadline"), widget=DATE)

    def __init__(self, *args: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]


class DeclareForm(forms.Form):
    conflict = forms.ChoiceField(
        label=_("declaration"),
        widget=forms.RadioSelect,
        choices=[
            ("no", _("I have no conflict of interest with this application")),
            ("yes", _("I have a conflict of interest (the assignment is released)")),
        ],
    )
    reason = forms.CharField(
        label=_("what the conflict is"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=300,  # Assignment.release_reason
    )


class ScoreForm(forms.Form):
    """The expert's scores: one text field per criterion (labelled with its range) and
    the opinion. Each value is checked as the service checks it, so a refused form comes
    back with every value as typed and the problem beside its criterion. ``submit``:
    every criterion and the opinion are required."""

    comment = forms.CharField(
        label=_("opinion"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=3000,
    )

    def __init__(self, *args: Any, rubric: Rubric, submit: bool = False, **kwargs: Any) -> None:
        from .services import plain_number

        super().__init__(*args, **kwargs)
        self.submit = submit
        self.criteria = list(rubric.criteria.all())
        for c in self.criteria:
            self.fields[f"c_{c.code}"] = forms.CharField(
                label=f"{c.name}（0–{plain_number(c.max_score)}）",
                required=False,
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )

    def clean(self) -> dict[str, Any]:
        from .services import score_problem

        cleaned = super().clean() or {}
        missing = []
        for c in self.criteria:
            name = f"c_{c.code}"
            if name not in cleaned:
                continue
            _value, problem = score_problem(c, cleaned[name])
            if problem:
                self.add_error(name, problem)
            elif self.submit and not str(cleaned[name]).strip():
                missing.append(c.name)
                self.add_error(name, _("Score it before submitting."))
        if missing:
            self.add_error(
                None,
                gettext("Score every criterion before submitting: %(c)s.")
                % {"c": "、".join(missing)},
            )
        if self.submit and not str(cleaned.get("comment", "")).strip():
            self.add_error("comment", gettext("An opinion is required."))
        return cleaned

    def criterion_fields(self) -> list[Any]:
        return [self[f"c_{c.code}"] for c in self.criteria]

    def values(self) -> dict[str, str]:
        return {c.code: self.cleaned_data.get(f"c_{c.code}", "") for c in self.criteria}


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        label=_("seed (leave empty for a fresh one)"),
        required=False,
        min_value=0,
        max_value=SEED_MAX,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=300,  # Assignment.release_reason
    )


class DecisionForm(forms.Form):
    starts_on = forms.DateField(label=_("notice starts on"), widget=DATE)
    top_n = forms.IntegerField(
        label=_("at most (leave empty: as many as the envelope allows)"),
        min_value=1,
        max_value=9999,
        required=False,
    )


class SpotCheckForm(forms.Form):
    call = forms.ModelChoiceField(label=_("call"), queryset=Call.objects.none())
    sample_size = forms.IntegerField(label=_("sample size"), min_value=1, max_value=9999)
    seed = forms.IntegerField(
        label=_("seed (leave empty for a fresh one)"),
        required=False,
        min_value=0,
        max_value=SEED_MAX,
    )

    def __init__(self, *args: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]


class FindingForm(forms.Form):
    result = forms.ChoiceField(
        label=_("result"), choices=[("passed", _("Passed")), ("fraud", _("Fraud found"))]
    )
    note = forms.CharField(
        label=_("findings"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ExclusionForm(forms.Form):
    expert = forms.ModelChoiceField(
        label=_("expert"), queryset=ExpertProfile.objects.active().select_related("person")
    )
    reason = forms.CharField(label=_("reason"), max_length=300)
