"""Call management (计划与批次) for the city officer of a programme's region: programmes,
calls, categories and their eligibility rules, quotas, district statistics.

Each view: authorise (what the user cannot read is 404, what they read but may not
change is 403) → bind the form → call one service → put its refusal back on the form
→ redirect. The services check the same rules again and write the trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import apply_validation_error
from accounts.http import actor_of
from accounts.models import Organisation, OrgUnit
from accounts.permissions import scope_of
from accounts.roles import Role
from core import clock
from core.confirm import confirmation_needed
from core.money import yuan_to_fen

from . import selectors, services
from .callpage import call_sections
from .category_templates import templates_for
from .facts import FACTS
from .forms import (
    CallForm,
    CategoryForm,
    FactChoiceForm,
    ProgrammeForm,
    QuotaGridForm,
    RuleForm,
    StatisticForm,
)
from .models import Call, Category, EligibilityRule, Instrument, Programme
from .services import FundingError

TRAIL_ROWS = 50


def _run(request: HttpRequest, form: Any, action: Any, success: str) -> Any:
    """``action()`` in the request's outermost transaction; a refusal goes back on the
    form (a field's error next to the field) and gives None."""
    try:
        with transaction.atomic(durable=True):
            result = action()
    except ValidationError as error:
        apply_validation_error(form, error)
        return None
    except FundingError as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, success)
    return True if result is None else result


def _need(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _programme(request: HttpRequest, pk: int) -> Programme:
    try:
        return selectors.programme_detail(user=request.user, pk=pk)
    except Programme.DoesNotExist as exc:
        raise Http404 from exc


def _call(request: HttpRequest, pk: int) -> Call:
    try:
        return selectors.call_detail(user=request.user, pk=pk)
    except Call.DoesNotExist as exc:
        raise Http404 from exc


def _back_call(request: HttpRequest, programme: Programme) -> Call | None:
    """The call page the officer came from (``?call=``), if it is one of the programme's
    calls they read."""
    raw = request.GET.get("call") or request.POST.get("call") or ""
    if not raw.isdigit():
        return None
    return Call.objects.visible_to(request.user).filter(pk=int(raw), programme=programme).first()


def _locked_categories() -> set[int]:
    """Categories under which a call accepts submissions: their rules stay as published."""
    return set(Category.objects.filter(calls__status=Call.Status.OPEN).values_list("pk", flat=True))


def _back(call: Call | None, programme: Programme) -> HttpResponse:
    if call is not None:
        return redirect("funding:call_detail", pk=call.pk)
    return redirect("funding:programme_detail", pk=programme.pk)


# --- programmes -------------------------------------------------------------------------


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    _need(request, "funding.read_call")
    user = request.user
    programmes = list(selectors.programme_list(user=user))
    rows = [
        {"programme": p, "can_manage": user.has_perm("funding.manage_programme", p)}
        for p in programmes
    ]
    return render(
        request,
        "funding/call_list.html",
        {
            "rows": rows,
            "can_create": user.has_perm("funding.create_programme"),
            "reads_statistics": user.has_perm("funding.read_statistics"),
            "reads_quotas": scope_of(user).has_any({Role.DISTRICT_OFFICER, Role.DISTRICT_FINANCE}),
        },
    )


def _owner_units(user: Any) -> Any:
    """Regions the user may own programmes for: cities and provinces they run."""
    paths = scope_of(user).paths_for((Role.CITY_OFFICER, Role.ADMIN))
    units = OrgUnit.objects.filter(level__in=[OrgUnit.Level.CITY, OrgUnit.Level.PROVINCE])
    return units.filter(pk__in=[u.pk for u in units if any(u.path.startswith(p) for p in paths)])


def _programme_form(request: HttpRequest, **kwargs: Any) -> ProgrammeForm:
    return ProgrammeForm(
        request.POST or None,
        units=_owner_units(request.user),
        organisations=Organisation.objects.visible_to(request.user).order_by("name"),  # type: ignore[arg-type]
        **kwargs,
    )


@login_required
def programme_create(request: HttpRequest) -> HttpResponse:
    _need(request, "funding.create_programme")
    form = _programme_form(request)
    if request.method == "POST" and form.is_valid():
        programme = _run(
            request,
            form,
            lambda: services.programme_create(actor=actor_of(request), **form.cleaned_data),
            _("Programme saved."),
        )
        if programme:
            return redirect("funding:programme_detail", pk=programme.pk)
    return render(request, "funding/programme_form.html", {"form": form})


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    return render(
        request,
        "funding/programme_detail.html",
        {
            "programme": programme,
            "instrument_labels": [
                Instrument(v).label for v in programme.instruments if v in Instrument.values
            ],
            "can_manage": request.user.has_perm("funding.manage_programme", programme),
            # The page of reviews.fee_views, linked by name (funding imports no reviews).
            "can_see_fee_rates": request.user.has_perm("reviews.view_expertfeerate", programme),
            "locked": _locked_categories(),
            "trail": selectors.programme_trail(programme)[:TRAIL_ROWS],
        },
    )


@login_required
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    _need(request, "funding.manage_programme", programme)
    form = _programme_form(request, initial=ProgrammeForm.initial_for(programme))
    form.fields["active"].help_text = _("An inactive programme takes no new calls.")
    if programme.calls.exists():
        for name in ("code", "flow", "owner_unit"):
            form.fields[name].disabled = True
            form.fields[name].help_text = _("Fixed once the programme has calls.")
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            form,
            lambda: services.programme_update(
                programme=programme, actor=actor_of(request), **form.cleaned_data
            ),
            _("Programme saved."),
        )
        if done:
            return redirect("funding:programme_detail", pk=programme.pk)
    return render(request, "funding/programme_form.html", {"form": form, "programme": programme})


# --- calls ---------------------------------------------------------------------------------


def _call_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k not in ("budget_envelope", "categories")}
    if "budget_envelope" in data:
        fields["budget_envelope_fen"] = yuan_to_fen(data["budget_envelope"] or 0)
    return fields


@login_required
def call_create(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    _need(request, "funding.manage_programme", programme)
    today = clock.today()
    form = CallForm(
        request.POST or None,
        programme=programme,
        initial={"year": today.year, "publicity_days": 10},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = _run(
            request,
            form,
            lambda: services.call_create(
                programme=programme,
                categories=list(data.get("categories") or []),
                actor=actor_of(request),
                **_call_fields(data),
            ),
            _("Call saved as a draft."),
        )
        if call:
            return redirect("funding:call_detail", pk=call.pk)
    return render(request, "funding/call_form.html", {"form": form, "programme": programme})


ACTION_BUTTONS = {
    Call.Status.DRAFT: ("open", services.CALL_TRANSITIONS["open"]),
    Call.Status.OPEN: ("close", services.CALL_TRANSITIONS["close"]),
    Call.Status.CLOSED: ("start_review", services.CALL_TRANSITIONS["start_review"]),
    Call.Status.REVIEWING: ("decide", services.CALL_TRANSITIONS["decide"]),
    Call.Status.DECIDED: ("archive", services.CALL_TRANSITIONS["archive"]),
}


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    can_manage = request.user.has_perm("funding.manage_call", call)
    categories = list(call.categories.all())
    action = ACTION_BUTTONS.get(call.status)
    return render(
        request,
        "funding/call_detail.html",
        {
            "call": call,
            "programme": call.programme,
            "categories": categories,
            "grid": selectors.quota_grid(call),
            "can_manage": can_manage,
            "is_draft": call.status == Call.Status.DRAFT,
            "templates": templates_for(call.programme.flow)
            if call.status == Call.Status.DRAFT
            else [],
            "open_problems": services.call_open_problems(call, day=clock.today())
            if call.status == Call.Status.DRAFT
            else [],
            "action": {"name": action[0], "label": action[1].label} if action else None,
            "sections": call_sections(request.user, call),
            "locked": _locked_categories(),
            "trail": selectors.call_trail(call)[:TRAIL_ROWS],
        },
    )


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    _need(request, "funding.manage_call", call)
    editable = services.CALL_EDITABLE[call.status]
    locked = (frozenset(services.CALL_FIELDS) | {"categories"}) - editable
    form = CallForm(
        request.POST or None,
        programme=call.programme,
        locked=locked,
        initial=CallForm.initial_for(call),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: v for k, v in _call_fields(data).items() if k in editable}
        done = _run(
            request,
            form,
            lambda: services.call_update(
                call=call,
                actor=actor_of(request),
                categories=list(data.get("categories") or [])
                if "categories" in editable and "categories" in form.fields
                else None,
                **fields,
            ),
            _("Call saved."),
        )
        if done:
            return redirect("funding:call_detail", pk=call.pk)
    return render(
        request,
        "funding/call_form.html",
        {"form": form, "programme": call.programme, "call": call},
    )


@login_required
@require_POST
def call_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    call = _call(request, pk)
    _need(request, "funding.manage_call", call)
    if name not in services.CALL_TRANSITIONS:
        raise Http404
    label = services.CALL_TRANSITIONS[name].label
    # a call once opened, closed or decided does not go back
    asked = confirmation_needed(
        request,
        action=str(label),
        subject=call.title,
        back=reverse("funding:call_detail", args=[call.pk]),
    )
    if asked is not None:
        return asked
    try:
        with transaction.atomic(durable=True):
            services.call_advance(call=call, name=name, actor=actor_of(request))
    except FundingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(call)s: %(action)s.") % {"call": call.title, "action": label}
        )
    return redirect("funding:call_detail", pk=call.pk)


@login_required
@require_POST
def call_apply_template(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    _need(request, "funding.manage_call", call)
    try:
        with transaction.atomic(durable=True):
            added = services.call_apply_template(
                call=call, key=request.POST.get("template", ""), actor=actor_of(request)
            )
    except FundingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The call now has %(n)s categories of the template, with their rules.")
            % {"n": len(added)},
        )
    return redirect("funding:call_detail", pk=call.pk)


# --- categories and rules --------------------------------------------------------------------


@login_required
def category_create(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    _need(request, "funding.manage_programme", programme)
    call = _back_call(request, programme)
    form = CategoryForm(request.POST or None, initial={"order": programme.categories.count() + 1})
    if request.method == "POST" and form.is_valid():
        category = _run(
            request,
            form,
            lambda: services.category_create(
                programme=programme,
                actor=actor_of(request),
                call=call if call is not None and call.status == Call.Status.DRAFT else None,
                **form.cleaned_data,
            ),
            _("Category saved. Add its eligibility rules."),
        )
        if category:
            return _back(call, programme)
    return render(
        request,
        "funding/category_form.html",
        {"form": form, "programme": programme, "call": call},
    )


def _category(request: HttpRequest, pk: int) -> Category:
    category = get_object_or_404(
        Category.objects.select_related("programme__owner_unit"),
        pk=pk,
        programme__in=selectors.programme_list(user=request.user),
    )
    _need(request, "funding.manage_programme", category.programme)
    return category


@login_required
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = _category(request, pk)
    call = _back_call(request, category.programme)
    initial = {
        "name": category.name,
        "applicant_kind": category.applicant_kind,
        "description": category.description,
        "order": category.order,
        "extra_facts": category.extra_facts,
    }
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            form,
            lambda: services.category_update(
                category=category, actor=actor_of(request), **form.cleaned_data
            ),
            _("Category saved."),
        )
        if done:
            return _back(call, category.programme)
    return render(
        request,
        "funding/category_form.html",
        {"form": form, "programme": category.programme, "call": call, "category": category},
    )


@login_required
def rule_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 chooses the fact; step 2 (``?fact=``) asks what fits it."""
    category = _category(request, pk)
    call = _back_call(request, category.programme)
    key = request.POST.get("fact") or request.GET.get("fact") or ""
    context: dict[str, Any] = {"category": category, "programme": category.programme, "call": call}
    if key not in FACTS:
        context["fact_form"] = FactChoiceForm()
        return render(request, "funding/rule_form.html", context)
    fact = FACTS[key]
    form = RuleForm(request.POST or None, fact=fact)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            form,
            lambda: services.rule_add(
                category=category, fact=key, actor=actor_of(request), **form.rule_fields()
            ),
            _("Rule added to %(c)s.") % {"c": category.name},
        )
        if done:
            return _back(call, category.programme)
    context |= {"form": form, "fact": fact, "fact_key": key}
    return render(request, "funding/rule_form.html", context)


def _rule(request: HttpRequest, pk: int) -> EligibilityRule:
    rule = get_object_or_404(
        EligibilityRule.objects.select_related("category__programme__owner_unit"),
        pk=pk,
        category__programme__in=selectors.programme_list(user=request.user),
    )
    _need(request, "funding.manage_programme", rule.category.programme)
    return rule


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    programme = rule.category.programme
    call = _back_call(request, programme)
    fact = FACTS[rule.fact]
    form = RuleForm(
        request.POST or None,
        fact=fact,
        initial=RuleForm.initial_for(rule),
        locked=rule.category_id in _locked_categories(),
    )
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            form,
            lambda: services.rule_update(rule=rule, actor=actor_of(request), **form.rule_fields()),
            _("Rule saved."),
        )
        if done:
            return _back(call, programme)
    return render(
        request,
        "funding/rule_form.html",
        {
            "form": form,
            "fact": fact,
            "fact_key": rule.fact,
            "rule": rule,
            "category": rule.category,
            "programme": programme,
            "call": call,
        },
    )


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    programme = rule.category.programme
    call = _back_call(request, programme)
    try:
        with transaction.atomic(durable=True):
            services.rule_delete(rule=rule, actor=actor_of(request))
    except FundingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Rule removed."))
    return _back(call, programme)


# --- quotas ------------------------------------------------------------------------------------


@login_required
def call_quotas(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    _need(request, "funding.manage_call", call)
    categories = list(call.categories.all())
    districts = selectors.districts_of(call)
    grid = selectors.quota_grid(call)
    initial: dict[str, Any] = {}
    from core.money import fen_to_yuan

    for row in grid:
        for category, quota in zip(categories, row.cells, strict=True):
            if quota is not None:
                initial[f"q-{row.district.pk}-{category.pk}-count"] = quota.allotted_count
                initial[f"q-{row.district.pk}-{category.pk}-amount"] = fen_to_yuan(
                    quota.allotted_amount_fen
                )
    form = QuotaGridForm(
        request.POST or None, districts=districts, categories=categories, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        rows = []
        for district in districts:
            for category in categories:
                count, amount = form.cell(district, category)
                if count is not None and amount is not None:
                    rows.append(
                        services.QuotaRow(
                            district=district,
                            category=category,
                            count=count,
                            amount_fen=yuan_to_fen(amount),
                        )
                    )
        done = _run(
            request,
            form,
            lambda: services.quotas_set(call=call, rows=rows, actor=actor_of(request)),
            _("Quotas saved; registered cuts are applied."),
        )
        if done:
            return redirect("funding:call_detail", pk=call.pk)
    table = [
        {
            "district": row.district,
            "cuts": row.cuts,
            "cells": [
                {
                    "category": category,
                    "count": form[f"q-{row.district.pk}-{category.pk}-count"],
                    "amount": form[f"q-{row.district.pk}-{category.pk}-amount"],
                    "quota": quota,
                }
                for category, quota in zip(categories, row.cells, strict=True)
            ],
        }
        for row in grid
    ]
    defaults = [
        {
            "category": c,
            "count": form[f"d-{c.pk}-count"],
            "amount": form[f"d-{c.pk}-amount"],
        }
        for c in categories
    ]
    return render(
        request,
        "funding/quota_grid.html",
        {"call": call, "form": form, "table": table, "defaults": defaults},
    )


@login_required
def quota_list(request: HttpRequest) -> HttpResponse:
    _need(request, "funding.read_quota")
    return render(
        request,
        "funding/quota_list.html",
        {"quotas": selectors.quota_list(user=request.user)[:500]},
    )


# --- district statistics ----------------------------------------------------------------------


@login_required
def statistic_list(request: HttpRequest) -> HttpResponse:
    _need(request, "funding.read_statistics")
    districts = selectors.statistic_districts(
        user=request.user, roles=(Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.ADMIN)
    )
    can_set = districts.exists()
    form = StatisticForm(
        request.POST or None,
        districts=districts,
        initial={"year": clock.today().year - 1},
    )
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            done = _run(
                request,
                form,
                lambda: services.district_statistic_set(
                    district=data["district"],
                    year=data["year"],
                    farmer_avg_income=data["farmer_avg_income"],
                    actor=actor_of(request),
                ),
                _("Figure saved."),
            )
            if done:
                return redirect(reverse("funding:statistic_list"))
    return render(
        request,
        "funding/statistic_list.html",
        {
            "statistics": selectors.statistic_list(user=request.user)[:300],
            "form": form,
            "can_set": can_set,
        },
    )
