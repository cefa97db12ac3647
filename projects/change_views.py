"""Pages of 项目变更 (request, list, decision, the 任务书 versions) and 中期检查 (check
rounds, findings, rectification). Thin: authorise, bind, call one service, redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.http import actor_of
from core.confirm import confirmation_needed
from core.http import download, run_service
from core.pdf import PDF_CONTENT_TYPE
from funding.models import Programme

from . import changes, documents, midterm, team
from .change_forms import (
    ChangeDecisionForm,
    ChangeRequestForm,
    ExtensionRuleForm,
    FindingForm,
    MidtermCheckForm,
    RectificationForm,
)
from .models import (
    Application,
    ChangeRequest,
    Contract,
    ContractVersion,
    ExtensionRule,
    MidtermCheck,
    MidtermFinding,
)
from .services import ApplicationError

PAGE_SIZE = 50


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    return run_service(request, action, success, refusals=(ApplicationError,))


def _ask(request: HttpRequest, action: str, subject: str, back: str) -> HttpResponse | None:
    """The confirmation page, asked before the form is checked: a form sent as it stands
    (without script) gets it too, and the confirmed one is then checked."""
    return confirmation_needed(request, action=str(action), subject=subject, back=back)


def _contract(request: HttpRequest, pk: int) -> Contract:
    if not request.user.is_authenticated:
        raise Http404
    contract = get_object_or_404(
        Contract.objects.visible_to(request.user).select_related(
            "application__call__programme", "application__district", "application__organisation"
        ),
        pk=pk,
    )
    if not request.user.has_perm("projects.view_application", contract.application):
        raise Http404
    return contract


# --- 项目变更 ------------------------------------------------------------------------------


def change_new(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    application = contract.application
    if not request.user.has_perm("projects.request_change", application):
        raise PermissionDenied
    form = ChangeRequestForm(
        request.POST or None,
        indicators=list(contract.indicators.all()),
        organisations=changes.eligible_organisations(application),
        persons=team.team_candidates(application=application),
        members=list(application.team.filter(kind="member").order_by("order", "pk")),
    )
    if request.method == "POST":
        kind = dict(ChangeRequest.Kind.choices).get(request.POST.get("kind", ""), "")
        asked = _ask(
            request,
            _("Ask for the change"),
            f"{contract.number} {application.title} · {kind}",
            reverse("contract_detail", args=[contract.pk]),
        )
        if asked is not None:
            return asked
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(
            request,
            lambda: changes.change_request(
                contract=contract,
                kind=data["kind"],
                reason=data["reason"],
                new_end_date=data.get("new_end_date"),
                new_organisation=data.get("new_organisation"),
                targets=form.targets(),
                leader=form.leader(),
                members=form.members(),
                actor=actor_of(request),
            ),
            _("Change requested: the city officer decides on it."),
        )
        if done:
            return redirect("change_detail", pk=done.pk)
    allowed, months = changes.extension_limits(application)
    return render(
        request,
        "projects/change_form.html",
        {
            "contract": contract,
            "application": application,
            "form": form,
            "allowed": allowed,
            "months": months,
            "latest": changes.add_months(changes.signed_end_date(contract), months),
        },
    )


def change_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    visible = Application.objects.visible_to(request.user)
    rows = (
        ChangeRequest.objects.filter(contract__application__in=visible)
        .select_related("contract__application", "requested_by", "decided_by")
        .order_by("status", "-requested_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/change_list.html",
        {
            "page_obj": page,
            "object_list": page.object_list,
            "can_see_rules": request.user.has_perm("projects.view_application", None),
        },
    )


def _change(request: HttpRequest, pk: int) -> ChangeRequest:
    if not request.user.is_authenticated:
        raise Http404
    change = get_object_or_404(
        ChangeRequest.objects.select_related(
            "contract__application__call__programme",
            "contract__application__district",
            "new_organisation",
            "old_organisation",
            "requested_by",
            "decided_by",
            "version",
        ),
        pk=pk,
    )
    if not request.user.has_perm("projects.view_application", change.contract.application):
        raise Http404
    return change


def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk)
    application = change.contract.application
    can_decide = change.status == ChangeRequest.Status.REQUESTED and request.user.has_perm(
        "projects.decide_change", application
    )
    form = ChangeDecisionForm(request.POST or None)
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        asked = _ask(
            request,
            _("Approve the change")
            if request.POST.get("decision") == "approve"
            else _("Reject the change"),
            f"{application.number} · {change.get_kind_display()}",
            reverse("change_detail", args=[change.pk]),
        )
        if asked is not None:
            return asked
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            done = _run(
                request,
                lambda: changes.change_decide(
                    change=change,
                    approve=approve,
                    reason=form.cleaned_data["reason"],
                    actor=actor_of(request),
                ),
                _("Change approved: the contract has a new version.")
                if approve
                else _("Change rejected."),
            )
            if done:
                return redirect("change_detail", pk=change.pk)
    return render(
        request,
        "projects/change_detail.html",
        {
            "change": change,
            "contract": change.contract,
            "application": application,
            "summary": changes.describe(change),
            "form": form if can_decide else None,
            # a new leader's 限项 as of today, for the officer about to decide
            "problem": changes.leader_refusal(application, change.new_leader)
            if can_decide and change.new_leader is not None
            else None,
        },
    )


def contract_version_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = _contract(request, pk)
    version = get_object_or_404(ContractVersion, contract=contract, number=number)
    return download(
        documents.contract_pdf(contract, version),
        f"任务书-{contract.number}-第{version.number}版.pdf",
        fallback=f"{contract.number}-v{version.number}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )


def extension_rules(request: HttpRequest) -> HttpResponse:
    """延期规则: the limits of each programme (or call) the user's region owns."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("projects.view_application", None):
        raise PermissionDenied
    programmes = Programme.objects.visible_to(request.user).exclude(flow="award").order_by("code")
    can_set = request.user.has_perm("projects.set_extension_rule", None) and programmes.exists()
    form = ExtensionRuleForm(request.POST or None, programme_queryset=programmes)
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        asked = _ask(request, _("Set the extension rule"), "", reverse("extension_rules"))
        if asked is not None:
            return asked
        if form.is_valid():
            data = form.cleaned_data
            done = _run(
                request,
                lambda: changes.extension_rule_set(
                    programme=data["programme"],
                    call=data["call"],
                    max_extensions=data["max_extensions"],
                    max_months=data["max_months"],
                    actor=actor_of(request),
                ),
                _("Extension rule saved."),
            )
            if done:
                return redirect("extension_rules")
    rows = ExtensionRule.objects.filter(programme__in=programmes).select_related(
        "programme", "call"
    )
    return render(
        request,
        "projects/extension_rules.html",
        {
            "rules": rows.order_by("programme__code", "call__year", "pk"),
            "form": form if can_set else None,
        },
    )


# --- 中期检查 ------------------------------------------------------------------------------


def midterm_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("projects.view_application", None):
        raise PermissionDenied
    programmes = Programme.objects.visible_to(request.user).exclude(flow="award").order_by("code")
    can_create = request.user.has_perm("projects.manage_midterm", None) and programmes.exists()
    form = MidtermCheckForm(request.POST or None, programme_queryset=programmes)
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied
        asked = _ask(
            request,
            _("Open the check"),
            request.POST.get("title", "")[:100] or _("Mid-term checks"),
            reverse("midterm_list"),
        )
        if asked is not None:
            return asked
        if form.is_valid():
            data = form.cleaned_data
            done = _run(
                request,
                lambda: midterm.midterm_check_create(
                    programme=data["programme"],
                    year=data["year"],
                    title=data["title"],
                    check_date=data["check_date"],
                    actor=actor_of(request),
                ),
                _("Mid-term check opened: record a finding for each project."),
            )
            if done:
                return redirect("midterm_detail", pk=done.pk)
    rounds = MidtermCheck.objects.visible_to(request.user).select_related("programme")
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/midterm_list.html",
        {
            "page_obj": page,
            "object_list": page.object_list,
            "form": form if can_create else None,
        },
    )


def _round(request: HttpRequest, pk: int) -> MidtermCheck:
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(
        MidtermCheck.objects.visible_to(request.user).select_related("programme__owner_unit"),
        pk=pk,
    )


def midterm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check_round = _round(request, pk)
    can_record = request.user.has_perm("projects.manage_midterm", check_round)
    to_check = midterm.projects_to_check(check_round)
    form = FindingForm(
        request.POST or None,
        applications=Application.objects.filter(pk__in=[a.pk for a in to_check]).order_by("number"),
    )
    form.fields["application"].label_from_instance = lambda a: f"{a.number} {a.title}"  # type: ignore[attr-defined]
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        result = dict(MidtermFinding.Result.choices).get(request.POST.get("result", ""), "")
        asked = _ask(
            request,
            _("Record the finding"),
            f"{check_round.title} · {result}",
            reverse("midterm_detail", args=[check_round.pk]),
        )
        if asked is not None:
            return asked
        if form.is_valid():
            data = form.cleaned_data
            done = _run(
                request,
                lambda: midterm.midterm_finding_record(
                    check_round=check_round,
                    application=data["application"],
                    result=data["result"],
                    note=data["note"],
                    to_fix=data["to_fix"],
                    rectify_due=data["rectify_due"],
                    actor=actor_of(request),
                ),
                _("Finding recorded."),
            )
            if done:
                return redirect("midterm_detail", pk=check_round.pk)
    visible = Application.objects.visible_to(request.user)
    findings = (
        check_round.findings.filter(application__in=visible)
        .select_related("application")
        .order_by("application__number")
    )
    return render(
        request,
        "projects/midterm_detail.html",
        {
            "check_round": check_round,
            "findings": findings,
            "form": form if can_record and to_check else None,
        },
    )


def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    finding = get_object_or_404(
        MidtermFinding.objects.select_related(
            "check_round__programme__owner_unit",
            "application__district",
            "recorded_by",
            "rectified_by",
            "resolved_by",
        ),
        pk=pk,
    )
    application = finding.application
    if not request.user.has_perm("projects.view_application", application):
        raise Http404
    user = request.user
    can_report = finding.is_holding and user.has_perm("projects.rectify_midterm", application)
    can_accept = (
        finding.is_holding
        and finding.rectified_at is not None
        and user.has_perm("projects.manage_midterm", finding.check_round)
    )
    form = RectificationForm(request.POST or None) if can_report else None
    if request.method == "POST":
        actor = actor_of(request)
        if "accept" in request.POST:
            if not can_accept:
                raise PermissionDenied
            asked = confirmation_needed(
                request,
                action=_("Accept the rectification"),
                subject=f"{application.number} · {finding.check_round.title}",
                back=reverse("finding_detail", args=[finding.pk]),
            )
            if asked is not None:
                return asked
            _run(
                request,
                lambda: midterm.midterm_rectification_accept(finding=finding, actor=actor),
                _("Rectification accepted: payments may resume."),
            )
            return redirect("finding_detail", pk=finding.pk)
        if form is None:
            raise PermissionDenied
        asked = _ask(
            request,
            _("Report the rectification"),
            f"{application.number} · {finding.check_round.title}",
            reverse("finding_detail", args=[finding.pk]),
        )
        if asked is not None:
            return asked
        if form.is_valid():
            done = _run(
                request,
                lambda: midterm.midterm_rectification_report(
                    finding=finding, text=form.cleaned_data["text"], actor=actor
                ),
                _("Rectification reported: the city officer checks it."),
            )
            if done:
                return redirect("finding_detail", pk=finding.pk)
    return render(
        request,
        "projects/finding_detail.html",
        {
            "finding": finding,
            "application": application,
            "form": form,
            "can_accept": can_accept,
        },
    )
