"""Query filters of the list endpoints (django-filter). Every value is bounded: years
within 2000–2100, codes by their column's length, statuses by their choices."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

from funding.models import Call
from ledger.models import AgingBucket, BudgetLine, Disbursement, Instrument, RepayableAccount
from projects.models import Application, Contract
from reviews.models import Panel


class YearFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 2000)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("label", "year")
        super().__init__(*args, **kwargs)


class CodeFilter(filters.CharFilter):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, **kwargs)


class CallFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Call.Status.choices)
    year = YearFilter(field_name="year")
    programme = CodeFilter(field_name="programme__code", label="programme code")

    class Meta:
        model = Call
        fields = ("status", "year", "programme")


class ApplicationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Application.Status.choices)
    year = YearFilter(field_name="call__year")
    district = CodeFilter(field_name="district__code", label="district code (行政区划代码)")
    programme = CodeFilter(field_name="call__programme__code", label="programme code")

    class Meta:
        model = Application
        fields = ("status", "year", "district", "programme")


class PanelFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Panel.Status.choices)
    stage = filters.ChoiceFilter(choices=Panel.Stage.choices)
    year = YearFilter(field_name="call__year")

    class Meta:
        model = Panel
        fields = ("status", "stage", "year")


class ContractFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Contract.Status.choices)
    year = YearFilter(field_name="application__call__year")
    district = CodeFilter(field_name="application__district__code", label="district code")

    class Meta:
        model = Contract
        fields = ("status", "year", "district")


class DisbursementFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Disbursement.Status.choices)
    year = YearFilter(field_name="budget_line__year")
    budget_line = CodeFilter(field_name="budget_line__code", label="budget line code")
    project = CodeFilter(field_name="project_ref", label="project number")

    class Meta:
        model = Disbursement
        fields = ("status", "year", "budget_line", "project")


class RepayableAccountFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RepayableAccount.Status.choices)
    aging = filters.ChoiceFilter(choices=AgingBucket.choices)
    project = CodeFilter(field_name="project_ref", label="project number")

    class Meta:
        model = RepayableAccount
        fields = ("status", "aging", "project")


class BudgetLineFilter(filters.FilterSet):
    year = YearFilter(field_name="year")
    instrument = filters.ChoiceFilter(choices=Instrument.choices)
    funding_source = filters.ChoiceFilter(choices=BudgetLine.Source.choices)
    programme = CodeFilter(field_name="programme_code", label="programme code")

    class Meta:
        model = BudgetLine
        fields = ("year", "instrument", "funding_source", "programme")
