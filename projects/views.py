from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from django_filters.views import FilterView
from django_fsm import can_proceed, has_transition_perm

from accounts.http import actor_of
from accounts.models import Person
from accounts.permissions import scope_of
from core import clock
from core.confirm import confirmation_needed
from core.http import attach, download, form_errors_to_messages, posted_pk, run_service, safe_next
from core.net import client_ip
from core.xlsx import XLSX_CONTENT_TYPE
from funding.facts import FACTS

from . import guidance, selectors, services
from .filters import STAGE_CHOICES, ApplicationFilter
from .forms import (
    ApplicationEditForm,
    ApplicationStartForm,
    AttachmentForm,
    NoticeForm,
    ObjectionForm,
    ObjectionHandleForm,
    ReasonForm,
)
from .models import Application, Attachment, Notice, Objection, RecommendationList
from .services import ApplicationError
from .xlsx import recommendation_list_xlsx

# Transitions offered as buttons on the application page, and whether they need a reason.
DETAIL_ACTIONS: dict[str, bool] = {
    "submit": False,
    "withdraw": False,
    "return_for_revision": True,
    "reject": True,
}


def _run(request: HttpRequest, action: Any, success: str) -> bool:
    """Run one service in the request's outermost transaction; report refusals."""
    return run_service(request, action, success, refusals=(ApplicationError,)) is not None


# --- applications ---------------------------------------------------------------------


class ApplicationListView(LoginRequiredMixin, FilterView):
    """The applicant's own applications; the officer's queue (with bulk actions)."""

    template_name = "projects/application_list.html"
    filterset_class = ApplicationFilter
    paginate_by = 25

    def get_queryset(self) -> Any:
        return selectors.application_list(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["is_district_officer"] = user.has_any_role("district_officer")
        ctx["stage_label"] = dict(STAGE_CHOICES).get(self.request.GET.get("stage", ""), "")
        ctx["can_create"] = user.has_perm("projects.add_application")
        ctx["notice_form"] = NoticeForm(initial={"starts_on": clock.today()})
        return ctx


def _nominees(user: Any) -> Any:
    scope = scope_of(user)
    own = (
        Person.objects.filter(pk=scope.person_id)
        if scope.person_id is not None
        else Person.objects.none()
    )
    return own | Person.objects.filter(organisation_id__in=scope.organisation_ids)


def application_start(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("projects.add_application"):
        raise PermissionDenied
    calls = selectors.open_calls()
    form = ApplicationStartForm(request.POST or None, calls=calls, nominees=_nominees(request.user))
    if request.method == "POST" and form.is_valid():
        actor = actor_of(request)
        scope = scope_of(actor)
        organisation = None
        if scope.organisation_ids:
            from accounts.models import Organisation

            organisation = Organisation.objects.get(pk=scope.organisation_ids[0])
        category = form.cleaned_data["category"]
        person = form.cleaned_data.get("nominee") if category.is_individual else None
        try:
            with transaction.atomic(durable=True):
                application = services.application_create(
                    call=form.cleaned_data["call"],
                    category=category,
                    title=form.cleaned_data["title"],
                    organisation=organisation,
                    person=person,
                    actor=actor,
                    contact_name=actor.full_name,
                )
        except ApplicationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Draft %(number)s created. Fill in the form and submit it.")
                % {"number": application.number},
            )
            return redirect("application_edit", pk=application.pk)
    return render(request, "projects/application_start.html", {"form": form, "calls": calls})


def _get_application(request: HttpRequest, pk: int) -> Application:
    if not request.user.is_authenticated:
        raise Http404
    try:
        application = selectors.application_detail(user=request.user, pk=pk)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("projects.view_application", application):
        raise Http404
    return application


def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from .subsidy_views import application_money_context

    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    user = request.user
    actions = [
        {
            "name": name,
            "label": services.action_label(name, application),
            "needs_reason": needs_reason,
        }
        for name, needs_reason in DETAIL_ACTIONS.items()
        if can_proceed(getattr(application, name))
        and has_transition_perm(getattr(application, name), user)
    ]
    facts = [
        {"label": FACTS[k].label, "value": FACTS[k].display(v), "unit": FACTS[k].unit}
        for k, v in (application.facts or {}).items()
        if k in FACTS
    ]
    context = {
        "application": application,
        "actions": actions,
        "facts": facts,
        "can_edit": user.has_perm("projects.change_application", application),
        "can_attach": services.can_attach(user, application),
        "can_formal_check": user.has_perm("projects.formal_check_application", application)
        and application.formal_check_at is None,
        "problems": services.submission_problems(application, day=clock.today())
        if user.has_perm("projects.submit_application", application) and application.is_editable
        else [],
        "attachment_form": AttachmentForm(),
        "team": application.team.in_order(),
        "can_edit_team": application.organisation_id is not None
        and user.has_perm("projects.change_application", application),
        "reason_form": ReasonForm(),
        "next_steps": guidance.application_steps(application, user),
        "returned": guidance.last_return(application)
        if application.status == Application.Status.RETURNED
        else None,
        **_contract_context(application, user),
        **application_money_context(application, user),
    }
    return render(request, "projects/application_detail.html", context)


def _contract_context(application: Application, user: Any) -> dict[str, Any]:
    """What the page offers for the stage after approval."""
    from .contract_forms import AwardPayForm
    from .models import ClosingSurplus, Contract

    contract = Contract.objects.filter(application=application).first()
    s = Application.Status
    return {
        "contract": contract,
        "reports": application.reports.order_by("due_on"),
        "acceptances": application.acceptances.order_by("round"),
        "can_draft_contract": contract is None
        and not application.is_award
        and application.status == s.APPROVED
        and user.has_perm("projects.contract_application", application),
        "can_request_acceptance": application.status in (s.IN_PROGRESS, s.RECTIFYING)
        and user.has_perm("projects.request_acceptance", application),
        "can_terminate": application.status in (s.CONTRACTED, s.IN_PROGRESS)
        and user.has_perm("projects.terminate_application", application),
        "can_close": application.status in (s.ACCEPTED, s.FAILED, s.TERMINATED)
        and user.has_perm("projects.close_application", application),
        "can_award_pay": application.is_award
        and application.status == s.APPROVED
        and user.has_perm("projects.pay_award", application),
        "award_pay_form": AwardPayForm(),
        "closing_surplus": ClosingSurplus.objects.filter(application=application)
        .select_related("surplus_return")
        .first(),
    }


def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    if not request.user.has_perm("projects.change_application", application):
        raise PermissionDenied
    form = ApplicationEditForm(
        request.POST or None,
        application=application,
        initial=ApplicationEditForm.initial_for(application),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            services.application_update(
                application=application,
                actor=actor_of(request),
                title=data["title"],
                summary=data["summary"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                facts=form.facts(),
                funding=form.funding(),
                budget_items=form.budget_items(),
            )

        if _run(request, save, _("Saved.")):
            return redirect("application_detail", pk=application.pk)
    return render(
        request, "projects/application_edit.html", {"form": form, "application": application}
    )


@require_POST
def application_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    actor = actor_of(request)
    reason_form = ReasonForm(request.POST)
    if not reason_form.is_valid():
        form_errors_to_messages(request, reason_form)
        return redirect("application_detail", pk=application.pk)
    reason = reason_form.cleaned_data["reason"]
    calls = {
        "submit": lambda: services.application_submit(application=application, actor=actor),
        "withdraw": lambda: services.application_withdraw(
            application=application, actor=actor, reason=reason
        ),
        "return_for_revision": lambda: services.application_return(
            application=application, actor=actor, reason=reason
        ),
        "reject": lambda: services.application_reject(
            application=application, actor=actor, reason=reason
        ),
        "formal_check": lambda: services.application_formal_check(
            application=application, actor=actor
        ),
    }
    if name not in calls:
        raise Http404
    label = (
        _("Formal check passed")
        if name == "formal_check"
        else services.action_label(name, application)
    )
    asked = confirmation_needed(
        request,
        action=str(label),
        subject=f"{application.number} {application.title}",
        back=reverse("application_detail", args=[application.pk]),
        details=[(_("reason"), reason)] if reason else [],
    )
    if asked is not None:
        return asked
    if _run(request, calls[name], _("%(action)s: done.") % {"action": label}):
        _signpost(request, application.pk)
    return redirect("application_detail", pk=application.pk)


def _signpost(request: HttpRequest, pk: int) -> None:
    """After a step, say what comes next and who does it."""
    try:
        application = selectors.application_detail(user=request.user, pk=pk)
    except Application.DoesNotExist:
        return  # e.g. withdrawn out of the user's sight
    for step in guidance.application_steps(application, request.user)[:1]:
        messages.info(request, _("Next (%(who)s): %(text)s") % {"who": step.who, "text": step.text})


@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        _run(
            request,
            lambda: services.application_attach(
                application=application,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                actor=actor_of(request),
            ),
            _("File added."),
        )
    else:
        form_errors_to_messages(request, form)
    return redirect("application_detail", pk=application.pk)


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("application"), pk=pk)
    _get_application(request, attachment.application_id)  # 404 unless the user may see it
    response = FileResponse(attachment.file.open("rb"))
    attach(response, attachment.original_name, fallback=f"attachment-{attachment.pk}")
    return response


@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    application = _get_application(request, attachment.application_id)
    asked = confirmation_needed(
        request,
        action=_("Remove the file"),
        subject=f"{application.number} · {attachment.original_name}",
        back=reverse("application_detail", args=[application.pk]),
    )
    if asked is not None:
        return asked
    _run(
        request,
        lambda: services.attachment_delete(attachment=attachment, actor=actor_of(request)),
        _("File removed."),
    )
    return redirect("application_detail", pk=attachment.application_id)


# --- bulk actions from the officer's queue ----------------------------------------------


def _selected(request: HttpRequest) -> list[Application]:
    # 0–9 only ("²".isdigit() is true, and int() refuses it), and within a bigint
    ids = [int(i) for i in request.POST.getlist("selected") if re.fullmatch(r"[0-9]{1,18}", i)]
    apps = list(selectors.application_list(user=request.user).filter(pk__in=ids))
    if not apps:
        messages.error(request, _("Select at least one application."))
    return apps


def _common_call_and_district(
    request: HttpRequest, apps: list[Application]
) -> tuple[Any, Any] | None:
    calls = {a.call_id for a in apps}
    districts = {a.district_id for a in apps}
    if len(calls) != 1 or len(districts) != 1:
        messages.error(request, _("Select applications of one call and one district."))
        return None
    return apps[0].call, apps[0].district


@require_POST
def notice_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    apps = _selected(request)
    form = NoticeForm(request.POST)
    if apps and form.is_valid():
        common = _common_call_and_district(request, apps)
        if common:
            call, district = common
            asked = confirmation_needed(
                request,
                action=_("Publish the district notice"),
                subject=f"{call.title} · {district.name}",
                form=form,
                details=[(_("applications"), "、".join(a.number for a in apps))],
            )
            if asked is not None:
                return asked
            result: dict[str, Notice] = {}

            def publish() -> None:
                result["notice"] = services.notice_publish(
                    level=Notice.Level.DISTRICT,
                    call=call,
                    unit=district,
                    applications=apps,
                    starts_on=form.cleaned_data["starts_on"],
                    actor=actor_of(request),
                )

            if _run(request, publish, _("The notice is published.")):
                return redirect("notice_detail", pk=result["notice"].pk)
    elif not form.is_valid():
        form_errors_to_messages(request, form)
    return redirect(safe_next(request, reverse("application_list")))


@require_POST
def recommendation_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    apps = _selected(request)
    if apps:
        common = _common_call_and_district(request, apps)
        if common:
            call, district = common
            result: dict[str, RecommendationList] = {}

            def create() -> None:
                result["list"] = services.recommendation_list_create(
                    call=call, district=district, applications=apps, actor=actor_of(request)
                )

            if _run(request, create, _("Recommendation list made.")):
                return redirect("recommendation_detail", pk=result["list"].pk)
    return redirect(safe_next(request, reverse("application_list")))


# --- notices (officers) ---------------------------------------------------------------


class NoticeListView(LoginRequiredMixin, ListView):
    template_name = "projects/notice_list.html"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return selectors.notice_list(user=self.request.user)


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    notice = get_object_or_404(selectors.notice_list(user=request.user), pk=pk)
    can_handle = request.user.has_perm("projects.handle_objection", notice)
    return render(
        request,
        "projects/notice_detail.html",
        {
            "notice": notice,
            "items": selectors.public_notice_items(notice),
            "objections": notice.objections.select_related("application", "handled_by"),
            "can_handle": can_handle,
            "handle_form": ObjectionHandleForm(),
            "today": clock.today(),
        },
    )


@require_POST
def objection_handle(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection.objects.select_related("notice"), pk=pk)
    get_object_or_404(selectors.notice_list(user=request.user), pk=objection.notice_id)
    form = ObjectionHandleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        asked = confirmation_needed(
            request,
            action=_("Handle the objection"),
            subject=objection.notice.title,
            back=reverse("notice_detail", args=[objection.notice_id]),
            form=form,
        )
        if asked is not None:
            return asked
        _run(
            request,
            lambda: services.objection_handle(
                objection=objection,
                actor=actor_of(request),
                upheld=data["decision"] == "uphold",
                resolution=data["resolution"],
                outcome=data["outcome"],
            ),
            _("The objection is handled."),
        )
    else:
        form_errors_to_messages(request, form)
    return redirect("notice_detail", pk=objection.notice_id)


# --- public notice pages (no login) ---------------------------------------------------------


def public_notice_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/public_notice_list.html",
        {"notices": selectors.public_notices(day=clock.today())},
    )


def public_notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.public_notices(day=clock.today()), pk=pk)
    items = selectors.public_notice_items(notice)
    form = ObjectionForm(request.POST or None, applications=items)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = confirmation_needed(
            request,
            action=_("Submit the objection"),
            subject=notice.title,
            back=reverse("public_notice_detail", args=[notice.pk]),
            form=form,
        )
        if asked is not None:
            return asked
        try:
            with transaction.atomic(durable=True):
                services.objection_file(
                    notice=notice,
                    application=data["application"],
                    name=data["name"],
                    contact=data["contact"],
                    content=data["content"],
                    client_ip=client_ip(request),
                )
        except services.ObjectionThrottled as refusal:
            form.add_error(None, str(refusal))
            status = 429
        except ApplicationError as error:
            for reason in error.reasons:
                form.add_error(None, str(reason))
        else:
            messages.success(request, _("Your objection has been received and will be answered."))
            return redirect("public_notice_detail", pk=notice.pk)
    return render(
        request,
        "projects/public_notice_detail.html",
        {"notice": notice, "items": items, "form": form},
        status=status,
    )


# --- recommendation lists -------------------------------------------------------------------

# The list's actions that cannot be undone (a co-signature can be withdrawn).
LIST_ACTIONS_TO_CONFIRM = {
    "submit": gettext_lazy("Recommend to the city"),
    "discard": gettext_lazy("Discard the list"),
}


class RecommendationListView(LoginRequiredMixin, ListView):
    template_name = "projects/recommendation_list.html"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return selectors.recommendation_lists(user=self.request.user)


def _get_list(request: HttpRequest, pk: int) -> RecommendationList:
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(selectors.recommendation_lists(user=request.user), pk=pk)


def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _get_list(request, pk)
    user = request.user
    return render(
        request,
        "projects/recommendation_detail.html",
        {
            "rec": rec,
            "entries": selectors.recommendation_entries(rec),
            "quotas": selectors.quota_table(rec),
            "can_manage": user.has_perm("projects.manage_recommendationlist", rec),
            "can_cosign": user.has_perm("projects.cosign_recommendationlist", rec),
            "today": clock.today(),
        },
    )


@require_POST
def recommendation_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    rec = _get_list(request, pk)
    actor = actor_of(request)
    actions = {
        "cosign": (
            lambda: services.recommendation_cosign(recommendation_list=rec, actor=actor),
            _("Co-signed."),
        ),
        "uncosign": (
            lambda: services.recommendation_uncosign(recommendation_list=rec, actor=actor),
            _("The co-signature is withdrawn; the list can be changed."),
        ),
        "submit": (
            lambda: services.recommendation_submit(recommendation_list=rec, actor=actor),
            _("The list is submitted: the applications are recommended to the city."),
        ),
        "discard": (
            lambda: services.recommendation_list_discard(recommendation_list=rec, actor=actor),
            _("The list is discarded."),
        ),
    }
    back = reverse("recommendation_detail", args=[rec.pk])
    if name == "remove":
        application = get_object_or_404(Application, pk=posted_pk(request, "application"))
        asked = confirmation_needed(
            request,
            action=_("Remove from the list"),
            subject=f"{application.number} {application.title}",
            back=back,
        )
        if asked is not None:
            return asked
        _run(
            request,
            lambda: services.recommendation_list_remove(
                recommendation_list=rec, application=application, actor=actor
            ),
            _("Removed from the list."),
        )
        return redirect("recommendation_detail", pk=rec.pk)
    if name not in actions:
        raise Http404
    if name in LIST_ACTIONS_TO_CONFIRM:
        asked = confirmation_needed(
            request,
            action=str(LIST_ACTIONS_TO_CONFIRM[name]),
            subject=f"{rec.call.title} · {rec.district.name}",
            back=back,
        )
        if asked is not None:
            return asked
    action, message = actions[name]
    if _run(request, action, message) and name == "discard":
        return redirect("recommendation_list")
    return redirect("recommendation_detail", pk=rec.pk)


def recommendation_export(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _get_list(request, pk)
    return download(
        recommendation_list_xlsx(rec),
        f"推荐汇总表-{rec.call.title}-{rec.district.name}-第{rec.pk}号.xlsx",
        fallback=f"recommendation-{rec.pk}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
