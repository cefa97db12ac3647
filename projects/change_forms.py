"""Forms of 项目变更 and 中期检查: input shape and cross-field checks only (the rules are
in ``projects.changes`` and ``projects.midterm``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import IdNumberField
from accounts.models import Organisation, Person
from funding.models import Call, Programme

from .changes import TARGET_MAX
from .models import Application, ChangeRequest, ContractIndicator, MidtermFinding, TeamMember
from .team_forms import PersonChoiceField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# the date columns' useful range: a project term or a deadline within this century
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _date(label: Any, *, required: bool = False) -> forms.DateField:
    field = forms.DateField(label=label, widget=DATE, required=required)
    field.widget.attrs.update(min=FIRST_DAY.isoformat(), max=LAST_DAY.isoformat())
    return field


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise forms.ValidationError(
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": FIRST_DAY, "last": LAST_DAY}
        )
    return value


class _OptionalIdNumberField(IdNumberField):
    def validate(self, value: Any) -> None:
        if value:
            super().validate(value)


class ChangeRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of change"), choices=ChangeRequest.Kind.choices)
    new_end_date = _date(_("new end date (延期)"))
    new_organisation = forms.ModelChoiceField(
        label=_("new undertaking organisation (承担单位)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    leader_person = PersonChoiceField(
        label=_("new project leader (负责人)"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("A person of the undertaking organisation; or record a new one below."),
    )
    leader_name = forms.CharField(
        label=_("new leader not yet recorded: name"), max_length=50, required=False
    )
    leader_id_number = _OptionalIdNumberField(
        label=_("new leader not yet recorded: ID card number"), max_length=30, required=False
    )
    leader_mobile = forms.CharField(
        label=_("new leader not yet recorded: mobile"), max_length=20, required=False
    )
    leader_title = forms.CharField(
        label=_("new leader's professional title (职称)"), max_length=50, required=False
    )
    leader_duty = forms.CharField(
        label=_("new leader's task in the project (分工)"), max_length=100, required=False
    )
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=ChangeRequest.REASON_MAX_LENGTH,
    )

    def __init__(
        self,
        *args: Any,
        indicators: list[ContractIndicator],
        organisations: Any,
        persons: Any = None,
        members: list[TeamMember] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_organisation"].queryset = organisations  # type: ignore[attr-defined]
        persons = list(persons if persons is not None else [])
        self.fields["leader_person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in persons]
        ).order_by("name", "pk")
        # 成员: one tick, title and task per person of the organisation (the members now
        # ticked, in their order first)
        self.persons = persons
        current = {m.person_id: m for m in members or []}
        for person in persons:
            place = current.get(person.pk)
            self.fields[f"member_{person.pk}"] = forms.BooleanField(
                label=_("member (成员): %(name)s") % {"name": person.name},
                required=False,
                initial=place is not None,
            )
            self.fields[f"member_title_{person.pk}"] = forms.CharField(
                label=_("%(name)s: professional title (职称)") % {"name": person.name},
                max_length=50,
                required=False,
                initial=place.title if place else "",
            )
            self.fields[f"member_duty_{person.pk}"] = forms.CharField(
                label=_("%(name)s: task in the project (分工)") % {"name": person.name},
                max_length=100,
                required=False,
                initial=place.duty if place else "",
            )
        self.member_order = {pk: (0, m.order) for pk, m in current.items()}
        self.indicators = indicators
        for indicator in indicators:
            self.fields[f"target_{indicator.pk}"] = forms.DecimalField(
                label=_("new target (指标) of %(name)s, in %(unit)s")
                % {"name": indicator.name, "unit": indicator.unit},
                required=False,
                min_value=Decimal("0.01"),
                max_value=TARGET_MAX,
                max_digits=14,
                decimal_places=2,
                help_text=_("now %(target)s") % {"target": indicator.target},
            )

    def clean_new_end_date(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("new_end_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == ChangeRequest.Kind.EXTENSION and not data.get("new_end_date"):
            self.add_error("new_end_date", _("State the new end date."))
        if kind == ChangeRequest.Kind.ORGANISATION and not data.get("new_organisation"):
            self.add_error("new_organisation", _("Choose the new undertaking organisation."))
        if kind == ChangeRequest.Kind.INDICATORS and not self.targets():
            self.add_error(None, _("Enter at least one new target."))
        if kind == ChangeRequest.Kind.LEADER:
            if not data.get("leader_person") and not (
                data.get("leader_name") and data.get("leader_id_number")
            ):
                self.add_error(
                    "leader_person",
                    _("Choose the new leader, or give the name and ID card number of one."),
                )
            if not data.get("leader_title"):
                self.add_error("leader_title", _("State the person's professional title (职称)."))
        if kind == ChangeRequest.Kind.MEMBERS:
            for person in self.persons:
                if data.get(f"member_{person.pk}") and not data.get(f"member_title_{person.pk}"):
                    self.add_error(
                        f"member_title_{person.pk}",
                        _("State the person's professional title (职称)."),
                    )
        return data

    def leader(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("kind") != ChangeRequest.Kind.LEADER:
            return None
        entry = {"title": data.get("leader_title", ""), "duty": data.get("leader_duty", "")}
        if data.get("leader_person"):
            return entry | {"person": data["leader_person"]}
        return entry | {
            "name": data.get("leader_name", ""),
            "id_number": data.get("leader_id_number", ""),
            "mobile": data.get("leader_mobile", ""),
        }

    def members(self) -> list[dict[str, Any]] | None:
        """The member list asked for: the present members in their order, then the others
        ticked, by name."""
        data = self.cleaned_data
        if data.get("kind") != ChangeRequest.Kind.MEMBERS:
            return None
        ticked = [p for p in self.persons if data.get(f"member_{p.pk}")]
        ticked.sort(key=lambda p: self.member_order.get(p.pk, (1, 0)))
        return [
            {
                "person": p,
                "title": data.get(f"member_title_{p.pk}", ""),
                "duty": data.get(f"member_duty_{p.pk}", ""),
            }
            for p in ticked
        ]

    def targets(self) -> dict[int, Decimal]:
        return {
            i.pk: self.cleaned_data[f"target_{i.pk}"]
            for i in self.indicators
            if self.cleaned_data.get(f"target_{i.pk}") is not None
        }


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("Approve the change")), ("reject", _("Reject the change"))],
    )
    reason = forms.CharField(
        label=_("reason for the decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=ChangeRequest.REASON_MAX_LENGTH,
    )


class MidtermCheckForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("programme"), queryset=Programme.objects.none())
    year = forms.IntegerField(label=_("call year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("title"), max_length=100, required=False)
    check_date = _date(_("check date"), required=True)

    def __init__(self, *args: Any, programme_queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if programme_queryset is not None:
            self.fields["programme"].queryset = programme_queryset  # type: ignore[attr-defined]

    def clean_check_date(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("check_date"))


class FindingForm(forms.Form):
    application = forms.ModelChoiceField(label=_("project"), queryset=Application.objects.none())
    result = forms.ChoiceField(label=_("finding"), choices=MidtermFinding.Result.choices)
    note = forms.CharField(
        label=_("remarks"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MidtermFinding.TEXT_MAX_LENGTH,
        required=False,
        help_text=_("Required for a failed finding: the project is then terminated."),
    )
    to_fix = forms.CharField(
        label=_("what to fix (整改)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MidtermFinding.TEXT_MAX_LENGTH,
        required=False,
    )
    rectify_due = _date(_("rectification due"))

    def __init__(self, *args: Any, applications: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications  # type: ignore[attr-defined]

    def clean_rectify_due(self) -> dt.date | None:
        return _in_range(self.cleaned_data.get("rectify_due"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == MidtermFinding.Result.RECTIFY:
            if not data.get("to_fix"):
                self.add_error("to_fix", _("Say what is to be fixed."))
            if not data.get("rectify_due"):
                self.add_error("rectify_due", _("State the rectification deadline."))
        if data.get("result") == MidtermFinding.Result.FAIL and not data.get("note"):
            self.add_error("note", _("Give the reasons for the failed finding."))
        return data


class RectificationForm(forms.Form):
    text = forms.CharField(
        label=_("what was rectified"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MidtermFinding.TEXT_MAX_LENGTH,
    )


class ExtensionRuleForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("programme"), queryset=Programme.objects.none())
    call = forms.ModelChoiceField(
        label=_("call"),
        queryset=Call.objects.none(),
        required=False,
        help_text=_("Empty: every call of the programme."),
    )
    max_extensions = forms.IntegerField(
        label=_("extensions allowed per project"), min_value=0, max_value=5, initial=1
    )
    max_months = forms.IntegerField(
        label=_("longest extension in total (months)"), min_value=1, max_value=36, initial=12
    )

    def __init__(self, *args: Any, programme_queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if programme_queryset is not None:
            self.fields["programme"].queryset = programme_queryset  # type: ignore[attr-defined]
            self.fields["call"].queryset = Call.objects.filter(  # type: ignore[attr-defined]
                programme__in=programme_queryset
            ).order_by("-year", "pk")
