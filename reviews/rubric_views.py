"""Rubric pages (评分标准) and the rubric a call is reviewed by: for the city officer of
the region (shared rubrics are the administrator's). Thin views over reviews.rubrics."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from accounts.models import OrgUnit
from accounts.permissions import scope_of
from accounts.roles import Role
from funding.models import Call

from . import rubrics
from .models import Rubric
from .rubric_forms import (
    CallRubricForm,
    CriterionFormSet,
    RubricForm,
    criterion_rows,
    criterion_specs,
)
from .services import ReviewError


def _call(request: HttpRequest, raw: Any) -> Call | None:
    if not str(raw or "").isdigit():
        return None
    return (
        Call.objects.visible_to(request.user)
        .select_related("programme__owner_unit")
        .filter(pk=int(raw))
        .first()
    )


def _rubric(request: HttpRequest, pk: int) -> Rubric:
    rubric = (
        Rubric.objects.visible_to(request.user).select_related("owner_unit").filter(pk=pk).first()
    )
    if rubric is None:
        raise Http404
    return rubric


def _home_unit(user: Any) -> OrgUnit | None:
    """The region a new rubric belongs to: the city the officer runs; none (shared) for
    the administrator."""
    paths = scope_of(user).paths_for((Role.CITY_OFFICER,))
    if not paths:
        return None
    return OrgUnit.objects.filter(path__in=paths).order_by("path").first()


@login_required
def rubric_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    listed = (
        Rubric.objects.visible_to(user).select_related("owner_unit").prefetch_related("criteria")
    )
    return render(
        request,
        "reviews/rubric_list.html",
        {
            "rows": [
                {"r": r, "can_manage": user.has_perm("reviews.manage_rubric", r)} for r in listed
            ],
            "can_create": user.has_perm("reviews.create_rubric"),
        },
    )


def _save(
    request: HttpRequest, form: RubricForm, formset: Any, *, rubric: Rubric | None, owner: Any
) -> Rubric | None:
    try:
        with transaction.atomic(durable=True):
            return rubrics.rubric_save(
                rubric=rubric,
                owner_unit=owner,
                name=form.cleaned_data["name"],
                total_threshold=form.cleaned_data["total_threshold"],
                criteria=criterion_specs(formset),
                actor=actor_of(request),
            )
    except ReviewError as error:
        for reason in error.reasons:
            form.add_error(None, reason)
        return None


@login_required
def rubric_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("reviews.create_rubric"):
        raise PermissionDenied
    call = _call(request, request.GET.get("call") or request.POST.get("call"))
    form = RubricForm(request.POST or None)
    formset = CriterionFormSet(request.POST or None, prefix="c")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rubric = _save(request, form, formset, rubric=None, owner=_home_unit(request.user))
        if rubric is not None:
            messages.success(request, _("Rubric %(r)s saved.") % {"r": rubric})
            if call is not None:
                return redirect(f"{_call_rubric_url(call)}?rubric={rubric.pk}")
            return redirect("reviews:rubric_list")
    return render(
        request, "reviews/rubric_form.html", {"form": form, "formset": formset, "call": call}
    )


def _call_rubric_url(call: Call) -> str:
    from django.urls import reverse

    return reverse("reviews:call_rubric", args=[call.pk])


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    if not request.user.has_perm("reviews.manage_rubric", rubric):
        raise PermissionDenied
    if rubric.is_frozen:
        messages.error(
            request,
            _("%(r)s is already used by scores: make its next version and change that.")
            % {"r": rubric},
        )
        return redirect("reviews:rubric_list")
    initial = {"name": rubric.name, "total_threshold": rubric.total_threshold}
    form = RubricForm(request.POST or None, initial=initial)
    formset = CriterionFormSet(request.POST or None, prefix="c", initial=criterion_rows(rubric))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save(request, form, formset, rubric=rubric, owner=rubric.owner_unit)
        if saved is not None:
            messages.success(request, _("Rubric %(r)s saved.") % {"r": saved})
            return redirect("reviews:rubric_list")
    return render(
        request, "reviews/rubric_form.html", {"form": form, "formset": formset, "rubric": rubric}
    )


@login_required
@require_POST
def rubric_next_version(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    if not request.user.has_perm("reviews.manage_rubric", rubric):
        raise PermissionDenied
    try:
        with transaction.atomic(durable=True):
            copy = rubrics.rubric_next_version(rubric=rubric, actor=actor_of(request))
    except ReviewError as error:
        messages.error(request, str(error))
        return redirect("reviews:rubric_list")
    messages.success(request, _("%(r)s made: change it as needed.") % {"r": copy})
    return redirect("reviews:rubric_edit", pk=copy.pk)


@login_required
def call_rubric(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    if call is None:
        raise Http404
    if not request.user.has_perm("funding.manage_call", call):
        raise PermissionDenied
    fitting = [
        r.pk
        for r in Rubric.objects.visible_to(request.user).select_related("owner_unit")
        if rubrics.rubric_fits_call(r, call)
    ]
    choices = Rubric.objects.filter(pk__in=fitting).order_by("name", "-version")
    current = rubrics.call_rubric(call)
    preselected = request.GET.get("rubric") or ""
    initial = {"rubric": int(preselected) if preselected.isdigit() else current}
    form = CallRubricForm(request.POST or None, rubrics=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                rubrics.call_rubric_set(
                    call=call, rubric=form.cleaned_data["rubric"], actor=actor_of(request)
                )
        except ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The call's rubric is set."))
            return redirect("funding:call_detail", pk=call.pk)
    return render(
        request,
        "reviews/call_rubric.html",
        {
            "form": form,
            "call": call,
            "current": current,
            "rubrics": choices.prefetch_related("criteria"),
        },
    )
