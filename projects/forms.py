from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from core import clock
from core.forms import YuanField
from funding.facts import FACTS
from funding.models import Call, Category, Instrument

from .models import (
    AWARD_BUDGET_ITEMS,
    PROJECT_BUDGET_ITEMS,
    Application,
    Attachment,
    BudgetItem,
    Objection,
)

# Bounds of the free text (stored in TextFields, which have none of their own).
SUMMARY_MAX_LENGTH = 3000  # an application's summary: a page and a half of Chinese
REASON_MAX_LENGTH = 1000  # a reason for returning, rejecting, withdrawing: one paragraph
# Counts and years an application states (members, person-times, years of service).
FACT_INT_MAX = 99_999_999


class ApplicationStartForm(forms.Form):
    call = forms.ModelChoiceField(label=_("call"), queryset=Call.objects.none())
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.none())
    title = forms.CharField(label=_("title"), max_length=200)
    nominee = forms.ModelChoiceField(
        label=_("nominee"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("For categories that nominate a person."),
    )

    def __init__(self, *args: Any, calls: Any, nominees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(calls__in=calls).distinct()  # type: ignore[attr-defined]
        self.fields["nominee"].queryset = nominees  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        call, category = data.get("call"), data.get("category")
        if call and category and not call.categories.filter(pk=category.pk).exists():
            self.add_error("category", _("This category is not part of the chosen call."))
        if category and category.is_individual and not data.get("nominee"):
            self.add_error("nominee", _("Choose the person nominated."))
        return data


def _fact_field(key: str) -> forms.Field:
    fact = FACTS[key]
    label = f"{fact.label}（{fact.unit}）" if fact.unit else str(fact.label)
    if fact.kind == "int":
        return forms.IntegerField(label=label, required=False, min_value=0, max_value=FACT_INT_MAX)
    if fact.kind == "decimal":
        return forms.DecimalField(
            label=label, required=False, min_value=0, max_digits=14, decimal_places=2
        )
    if fact.kind == "bool":
        return forms.BooleanField(label=label, required=False)
    return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *fact.choices])


class ApplicationEditForm(forms.Form):
    """The form of one application: text, the facts its category needs, the amount per
    instrument the programme offers and per budget item of the flow."""

    title = forms.CharField(label=_("title"), max_length=200)
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=30, required=False)
    summary = forms.CharField(
        label=_("summary"), widget=forms.Textarea, required=False, max_length=SUMMARY_MAX_LENGTH
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.fact_keys = application.category.fact_keys()
        for key in self.fact_keys:
            self.fields[f"fact_{key}"] = _fact_field(key)
        self.instruments = list(application.call.programme.instruments)
        for code in self.instruments:
            self.fields[f"fund_{code}"] = YuanField(
                label=_("%(i)s, yuan") % {"i": Instrument(code).label}, required=False
            )
        self.items = AWARD_BUDGET_ITEMS if application.is_award else PROJECT_BUDGET_ITEMS
        for code in self.items:
            self.fields[f"item_{code}"] = YuanField(
                label=_("%(i)s, yuan") % {"i": BudgetItem(code).label}, required=False
            )

    @classmethod
    def initial_for(cls, application: Application) -> dict[str, Any]:
        from core.money import fen_to_yuan

        initial: dict[str, Any] = {
            "title": application.title,
            "contact_name": application.contact_name,
            "contact_phone": application.contact_phone,
            "summary": application.summary,
        }
        for key, value in (application.facts or {}).items():
            initial[f"fact_{key}"] = value
        for f in application.funding.all():
            initial[f"fund_{f.instrument}"] = fen_to_yuan(f.amount_fen)
        for i in application.budget_items.all():
            initial[f"item_{i.item}"] = fen_to_yuan(i.amount_fen)
        return initial

    def fact_fields(self) -> list[Any]:
        return [self[f"fact_{k}"] for k in self.fact_keys]

    def funding_fields(self) -> list[Any]:
        return [self[f"fund_{c}"] for c in self.instruments]

    def item_fields(self) -> list[Any]:
        return [self[f"item_{c}"] for c in self.items]

    def facts(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(f"fact_{k}") for k in self.fact_keys}

    def funding(self) -> dict[str, Any]:
        return {c: self.cleaned_data.get(f"fund_{c}") for c in self.instruments}

    def budget_items(self) -> dict[str, Any]:
        return {c: self.cleaned_data.get(f"item_{c}") for c in self.items}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=REASON_MAX_LENGTH,
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Attachment.Kind.choices)
    file = forms.FileField(label=_("file"))


class NoticeForm(forms.Form):
    starts_on = forms.DateField(
        label=_("notice starts on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_starts_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["starts_on"]
        if day < clock.today():
            raise forms.ValidationError(_("A notice cannot start in the past."))
        return day


class ObjectionForm(forms.Form):
    application = forms.ModelChoiceField(
        label=_("about"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("the whole list"),
    )
    name = forms.CharField(label=_("your name"), max_length=50)
    contact = forms.CharField(label=_("phone or email"), max_length=100)
    content = forms.CharField(
        label=_("objection"),
        widget=forms.Textarea,
        max_length=Objection.CONTENT_MAX_LENGTH,
    )

    def __init__(self, *args: Any, applications: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications  # type: ignore[attr-defined]
        self.fields["application"].label_from_instance = lambda a: f"{a.number}"  # type: ignore[attr-defined]
        self.fields["content"].help_text = gettext(
            "At most %(max)d characters; send longer material in writing to the publishing office."
        ) % {"max": Objection.CONTENT_MAX_LENGTH}


class ObjectionHandleForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"), choices=[("dismiss", _("Dismiss")), ("uphold", _("Uphold"))]
    )
    outcome = forms.ChoiceField(
        label=_("if upheld, the application is"),
        choices=[("", "—"), *Objection.Outcome.choices],
        required=False,
    )
    resolution = forms.CharField(
        label=_("handling note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=Objection.RESOLUTION_MAX_LENGTH,
    )
