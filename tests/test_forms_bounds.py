"""Bounded values on every form (issue 12, items 4 and 8).

Walks every Form class of the project (all its modules imported, every subclass of
``django.forms.BaseForm`` defined in them), builds each one (so the fields made at run
time are seen too) and fails for

* a text field (``CharField`` and its kinds) without ``max_length``, or longer than the
  column it is stored in;
* an ``IntegerField`` without ``min_value`` and ``max_value``, or with bounds that do
  not fit its database column (PostgreSQL's ranges: ``smallint`` 32767, ``integer``
  2147483647, ``bigint``); a field of a plain form is matched to a column of its app by
  name, or through ``COLUMN_OF`` below;
* a ``DecimalField`` without a lower bound and an upper one (``max_value`` or
  ``max_digits``), or with more digits than its column;
* any ``FloatField`` (money and measures are never floats).

Money inputs (``core.forms.YuanField``, ``ledger.forms.YuanField``) are bounded by the
money parser's domain maximum (``core.money``) and are not walked here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.urls import reverse

from core.confirm import CONFIRMED

PACKAGES = ["core", "accounts", "funding", "projects", "reviews", "ledger", "reports", "api"]
SKIP_MODULE = re.compile(r"\.(migrations|management|tests?)(\.|$)")

INT32 = BaseDatabaseOperations.integer_field_ranges["IntegerField"]

# The model a plain form writes (by default: the model of its app named like the form
# without "Form", e.g. DisbursementForm → ledger.Disbursement).
MODEL_OF: dict[str, str] = {
    "projects.forms.ApplicationStartForm": "projects.Application",
    "projects.forms.ApplicationEditForm": "projects.Application",
    "projects.forms.ObjectionHandleForm": "projects.Objection",
    "projects.contract_forms.ReportForm": "projects.ProgressReport",
    "projects.contract_forms.AwardPayForm": "ledger.Disbursement",
    "projects.contract_forms.IndicatorIssueForm": "ledger.BudgetIndicator",
    "projects.contract_forms.IndicatorSupplementForm": "ledger.IndicatorSupplement",
    "ledger.forms.AdjustmentForm": "ledger.BudgetAdjustment",
    "ledger.forms.PayForm": "ledger.Disbursement",
    "ledger.forms.FundingForm": "ledger.Entry",
    "ledger.forms.ReturnForm": "ledger.Disbursement",
    "reviews.forms.ExclusionForm": "reviews.ExclusionRequest",
    "reviews.forms.FindingForm": "reviews.SpotCheckItem",
    "reviews.forms.ScoreForm": "reviews.Assignment",
}

# Fields stored in a column of another name: (form, field name pattern) → column.
COLUMN_OF: dict[tuple[str, str], str] = {
    ("projects.contract_forms.ReportForm", r"ind_\d+"): "projects.IndicatorActual.value",
    ("projects.contract_forms.FinanceForm", "note"): "projects.Acceptance.finance_note",
    ("projects.contract_forms.ConclusionForm", "note"): "projects.Acceptance.conclusion_reason",
    ("projects.forms.ReasonForm", "reason"): "projects.TransitionLog.reason",
    ("reviews.forms.DeclareForm", "reason"): "reviews.Assignment.release_reason",
    ("reviews.forms.ReasonForm", "reason"): "reviews.Assignment.release_reason",
    ("ledger.forms.NoteForm", "note"): "ledger.Disbursement.decision_note",
    ("ledger.forms.ReasonForm", "reason"): "ledger.Disbursement.decision_note",
}

# Text fields stored after normalising (spaces and case removed), so their input may be
# longer than the column; the validators fix the stored length.
NORMALISED = {
    ("accounts.forms.OrganisationForm", "credit_code"),
    ("accounts.forms.PersonForm", "id_number"),
}


def _project_form_classes() -> list[type[forms.BaseForm]]:
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if not SKIP_MODULE.search(info.name):
                importlib.import_module(info.name)
    found: set[type[forms.BaseForm]] = set()
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES:
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _samples() -> dict[str, Any]:
    """Keyword arguments the forms' constructors take, chosen so that every field a
    form can make at run time is made."""
    from accounts.models import Organisation, OrgUnit, Person, User
    from funding.facts import FACTS
    from funding.models import Call
    from ledger.models import BankAccount, BudgetLine, Commitment
    from projects.models import AWARD_BUDGET_ITEMS, Application, ContractIndicator
    from reviews.models import Criterion, Panel, Rubric

    every_fact = SimpleNamespace(fact_keys=lambda: list(FACTS))
    application = SimpleNamespace(
        category=every_fact,
        call=SimpleNamespace(programme=SimpleNamespace(instruments=["grant", "repayable"])),
        is_award=False,
    )
    criteria = [
        Criterion(code="innovation", name="创新性", max_score=Decimal("30")),
        Criterion(code="feasibility", name="可行性", max_score=Decimal("20")),
    ]
    number_fact = next(f for f in FACTS.values() if f.kind == "int")
    category = SimpleNamespace(pk=1, name="农村科普示范基地")
    return {
        "programme": SimpleNamespace(
            categories=SimpleNamespace(exists=lambda: True, all=Call.objects.none)
        ),
        "fact": number_fact,
        "units": OrgUnit.objects.none(),
        "programmes": [("KJJH", "科技计划")],
        "categories": [category],
        "regions": OrgUnit.objects.none(),
        "organisations": Organisation.objects.none(),
        "calls": Call.objects.none(),
        "nominees": Person.objects.none(),
        "candidates": Person.objects.none(),
        "applications": Application.objects.none(),
        "application": application,
        "indicators": [ContractIndicator(pk=7, name="示范面积", unit="亩", target=Decimal(500))],
        "items": list(AWARD_BUDGET_ITEMS),
        "final": True,
        "rubric": SimpleNamespace(criteria=SimpleNamespace(all=lambda: criteria)),
        "lines": BudgetLine.objects.none(),
        "commitments": Commitment.objects.none(),
        "banks": BankAccount.objects.none(),
        "districts": OrgUnit.objects.none(),
        "years": [2025, 2026],
        "panels": Panel.objects.none(),
        "rubrics": Rubric.objects.none(),
        "allow_negative": True,
        "user": User(username="someone"),
    }


def _build(cls: type[forms.BaseForm], samples: dict[str, Any]) -> forms.BaseForm:
    wanted = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, param in inspect.signature(init).parameters.items():
            named = param.kind in (
                inspect.Parameter.KEYWORD_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            )
            if named and name != "self" and name not in wanted:
                if name in samples:
                    wanted[name] = samples[name]
                elif param.default is inspect.Parameter.empty:
                    raise AssertionError(
                        f"{cls.__module__}.{cls.__qualname__} needs {name!r}: "
                        "add a sample to tests/test_forms_bounds.py"
                    )
    return cls(**wanted)


def _column_range(field: models.Field) -> tuple[int, int] | None:
    return BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type())


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _model_of(cls: type[forms.BaseForm]) -> type[models.Model] | None:
    meta = getattr(cls, "_meta", None)
    if getattr(meta, "model", None) is not None:
        return meta.model  # type: ignore[union-attr]
    if _qualname(cls) in MODEL_OF:
        return apps.get_model(MODEL_OF[_qualname(cls)])
    try:
        return apps.get_model(cls.__module__.split(".")[0], cls.__name__.removesuffix("Form"))
    except LookupError:
        return None


def _columns_for(cls: type[forms.BaseForm], name: str, *, numeric: bool) -> list[models.Field]:
    """The model columns a form field is stored in: ``COLUMN_OF``, else the field of that
    name on the form's model; a number with neither is held to every column of that
    name in the form's app (the narrowest decides)."""
    for (form_name, pattern), target in COLUMN_OF.items():
        if form_name == _qualname(cls) and re.fullmatch(pattern, name):
            app_label, model_name, field_name = target.split(".")
            return [apps.get_model(app_label, model_name)._meta.get_field(field_name)]
    model = _model_of(cls)
    if model is not None:
        found = [f for f in model._meta.concrete_fields if f.name == name and not f.is_relation]
        if found or not numeric:
            return found
    if not numeric:
        return []
    try:
        config = apps.get_app_config(cls.__module__.split(".")[0])
    except LookupError:
        return []
    return [
        f
        for m in config.get_models()
        for f in m._meta.concrete_fields
        if f.name == name and not f.is_relation
    ]


def _problems(cls: type[forms.BaseForm], form: forms.BaseForm) -> list[str]:
    from core.forms import YuanField as CoreYuan
    from ledger.forms import YuanField as LedgerYuan

    where = f"{cls.__module__}.{cls.__qualname__}"
    out = []
    for name, field in form.fields.items():
        label = f"{where}.{name}"
        numeric = isinstance(field, forms.IntegerField | forms.DecimalField)
        columns = _columns_for(cls, name, numeric=numeric)
        if isinstance(field, CoreYuan | LedgerYuan):
            continue
        if isinstance(field, forms.FloatField):  # (Django's FloatField is an IntegerField)
            out.append(f"{label}: a FloatField")
        elif isinstance(field, forms.CharField):
            if field.max_length is None:
                out.append(f"{label}: text without max_length")
                continue
            if (_qualname(cls), name) in NORMALISED:
                continue
            for column in columns:
                limit = getattr(column, "max_length", None)
                if limit is not None and field.max_length > limit:
                    out.append(
                        f"{label}: max_length {field.max_length} > column "
                        f"{column.model.__name__}.{column.name} ({limit})"
                    )
        elif isinstance(field, forms.IntegerField) and not isinstance(
            field, forms.DecimalField | forms.FloatField
        ):
            low, high = field.min_value, field.max_value
            if low is None or high is None:
                out.append(f"{label}: integer without min_value and max_value")
                continue
            ranges = [r for r in (_column_range(c) for c in columns) if r] or [INT32]
            for column_low, column_high in ranges:
                if low < column_low or high > column_high:
                    out.append(
                        f"{label}: {low}..{high} does not fit the column "
                        f"({column_low}..{column_high})"
                    )
        elif isinstance(field, forms.DecimalField):
            if field.min_value is None:
                out.append(f"{label}: decimal without min_value")
            if field.max_value is None and field.max_digits is None:
                out.append(f"{label}: decimal without max_value or max_digits")
            for column in columns:
                if not isinstance(column, models.DecimalField):
                    continue
                if field.max_digits is None or field.decimal_places is None:
                    out.append(f"{label}: decimal without max_digits for its column")
                    continue
                whole = field.max_digits - field.decimal_places
                column_whole = column.max_digits - column.decimal_places
                if whole > column_whole or field.decimal_places > column.decimal_places:
                    out.append(
                        f"{label}: ({field.max_digits},{field.decimal_places}) does not fit "
                        f"{column.model.__name__}.{column.name} "
                        f"({column.max_digits},{column.decimal_places})"
                    )
    return out


@pytest.mark.django_db
def test_every_form_field_is_bounded_to_its_column():
    classes = _project_form_classes()
    # the walk finds the project's forms, including those made at run time
    names = {c.__name__ for c in classes}
    assert {"DisbursementForm", "ObjectionForm", "ApplicationEditForm", "ScoreForm"} <= names
    samples = _samples()
    problems = [p for cls in classes for p in _problems(cls, _build(cls, samples))]
    assert problems == []


@pytest.mark.django_db
def test_every_list_filter_is_bounded(demo_world):
    """The search boxes of the list pages (django-filter) are forms too."""
    import django_filters

    from accounts.models import User

    _project_form_classes()  # imports every module
    found = []
    pending = [django_filters.FilterSet]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES and sub._meta.model is not None:
                found.append(sub)
    assert {c.__name__ for c in found} >= {"OrganisationFilter", "ApplicationFilter"}
    admin = User.objects.get(username="admin")
    problems = []
    for cls in found:
        # the pages' filter sets take the user; the API's (api/filters.py) do not
        takes_user = "user" in inspect.signature(cls.__init__).parameters
        extra = {"user": admin} if takes_user else {}
        form = cls(None, queryset=cls._meta.model.objects.none(), **extra).form
        problems += _problems(type(form), form)
    assert problems == []


@pytest.mark.django_db
def test_the_maps_name_real_forms_and_columns():
    forms_by_name = {_qualname(c) for c in _project_form_classes()}
    for form_name, model in MODEL_OF.items():
        assert form_name in forms_by_name
        apps.get_model(model)
    for (form_name, _pattern), column in COLUMN_OF.items():
        assert form_name in forms_by_name
        app_label, model_name, field_name = column.split(".")
        apps.get_model(app_label, model_name)._meta.get_field(field_name)


def test_the_walk_catches_what_it_is_for(monkeypatch):
    """The rules themselves fail on the kinds of field the issue names."""

    class Loose(forms.Form):
        text = forms.CharField(widget=forms.Textarea)
        count = forms.IntegerField(min_value=1)
        ratio = forms.DecimalField()
        real = forms.FloatField(min_value=0, max_value=1)

    class TooWide(forms.Form):
        tranche_no = forms.IntegerField(min_value=1, max_value=40000)
        payee_name = forms.CharField(max_length=5000)
        amount_fen = forms.IntegerField(min_value=0, max_value=2**40)

    monkeypatch.setitem(MODEL_OF, _qualname(TooWide), "ledger.Disbursement")

    assert len(_problems(Loose, Loose())) == 5
    problems = _problems(TooWide, TooWide())
    assert len(problems) == 2
    assert "1..40000 does not fit the column (0..32767)" in problems[0]
    assert "max_length 5000 > column Disbursement.payee_name" in problems[1]
    # (amount_fen fits its bigint column)


# --- through the web ------------------------------------------------------------------------


def _disbursement_post(client: Any, **overrides: Any) -> Any:
    from ledger.models import BudgetLine

    line = BudgetLine.objects.get(code__startswith="2026-KJJH-grant")
    data = {
        "budget_line": line.pk,
        "amount": "1000.00",
        "payee_name": "杭州西湖智慧农业科技有限公司",
        "payee_account": "6222000011112222",
        "tranche_no": "1",
        **overrides,
    }
    return client.post(reverse("ledger:disbursement_create"), data)


@pytest.mark.django_db
@pytest.mark.parametrize("tranche", ["40000", "32768", "-1", "0", "99999999999999999999"])
def test_a_tranche_number_beyond_its_column_is_a_form_error_not_a_500(books, as_user, tranche):
    from ledger.models import Disbursement

    before = Disbursement.objects.count()
    response = _disbursement_post(as_user("finance"), tranche_no=tranche)
    assert response.status_code == 200
    assert response.context["form"].errors["tranche_no"]
    assert Disbursement.objects.count() == before


@pytest.mark.django_db
def test_a_tranche_number_within_bounds_is_saved(books, as_user):
    from ledger.models import Disbursement

    response = _disbursement_post(as_user("finance"), tranche_no="3")
    assert response.status_code == 302
    assert Disbursement.objects.latest("pk").tranche_no == 3


@pytest.mark.django_db
def test_an_overlong_reason_is_refused_with_its_limit_and_changes_nothing(as_user):
    from core import clock
    from projects.forms import REASON_MAX_LENGTH
    from projects.models import Application
    from tests.projects.conftest import TODAY, submitted

    with clock.frozen(TODAY):
        application = submitted()
        client = as_user("district_officer")
        url = reverse("application_action", args=[application.pk, "return_for_revision"])
        refused = client.post(url, {"reason": "退" * (REASON_MAX_LENGTH + 1)}, follow=True)
        assert str(REASON_MAX_LENGTH) in refused.content.decode()
        assert Application.objects.get(pk=application.pk).status == "submitted"
        client.post(url, {"reason": "材料不全", CONFIRMED: "1"})
        assert Application.objects.get(pk=application.pk).status == "returned"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "cancel"])
def test_an_overlong_disbursement_note_is_refused(books, as_user, action):
    from accounts.models import User
    from ledger import services
    from ledger.models import BudgetLine, Disbursement

    maker = User.objects.get(username="finance")
    line = BudgetLine.objects.get(code__startswith="2026-KJJH-grant")
    d = services.disbursement_create(
        budget_line=line, amount=Decimal("10"), payee_name="某单位", payee_account="1", actor=maker
    )
    services.disbursement_submit(disbursement=d, actor=maker)
    who = "finance_checker" if action == "approve" else "finance"
    response = as_user(who).post(
        reverse("ledger:disbursement_detail", args=[d.pk]),
        {"action": action, "note": "注" * 301},
        follow=True,
    )
    assert response.status_code == 200
    assert "300" in response.content.decode()
    assert Disbursement.objects.get(pk=d.pk).status == Disbursement.Status.SUBMITTED


@pytest.mark.parametrize(
    "line",
    [
        "示范面积 | 亩 | NaN",
        "示范面积 | 亩 | Infinity",
        "示范面积 | 亩 | 1E+30",
        "示范面积 | 亩 | 1000000000000",
        "示范面积 | 亩 | 0.001",
        "示" * 101 + " | 亩 | 5",
        "示范面积 | " + "亩" * 21 + " | 5",
    ],
)
def test_contract_indicator_lines_beyond_their_columns_are_form_errors(line):
    from projects.contract_forms import ContractForm

    form = ContractForm(
        {
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "payee_account": "6222000011112222",
            "indicators": line,
        }
    )
    assert not form.is_valid()
    assert "第 1 行" in str(form.errors["indicators"]) or "Line 1" in str(form.errors["indicators"])


def test_a_contract_indicator_at_its_bounds_is_read():
    from projects.contract_forms import ContractForm

    line = "示" * 100 + " | " + "亩" * 20 + " | 999,999,999,999.99"
    form = ContractForm(
        {
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "payee_account": "6222000011112222",
            "indicators": line,
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["indicators"][0]["target"] == Decimal("999999999999.99")


@pytest.fixture
def books(demo_world: None) -> None:
    from demo import ledger_world
    from demo.log import Log

    ledger_world.build(Log())


def test_no_view_reads_free_text_or_numbers_past_a_form():
    """Free text and numbers typed by a user reach services only through a bounded form
    field: no view reads them straight from ``request.POST``."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    typed = "reason|note|comment|content|resolution|text|summary|memo|seed|amount|name"
    pattern = re.compile(rf"""request\.(POST|GET)(\.get\(|\[)\s*["']({typed})["']""")
    offenders = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert offenders == []
