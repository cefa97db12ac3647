from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from core import clock
from core.confirm import confirmation_needed
from core.http import attach, download, form_errors_to_messages, posted_pk, run_service
from core.paging import paginate
from core.pdf import PDF_CONTENT_TYPE
from core.xlsx import XLSX_CONTENT_TYPE
from funding.models import Call
from projects.guidance import application_steps
from projects.models import Application, Notice
from projects.services import ApplicationError

from . import documents, guidance, panel_items, panel_page, selectors, services
from .blind import redact
from .exports import ranking_file
from .forms import (
    DecisionForm,
    DeclareForm,
    DrawForm,
    ExclusionForm,
    FindingForm,
    PanelForm,
    ReasonForm,
    ScoreForm,
    SpotCheckForm,
)
from .models import Assignment, ExclusionRequest, Panel, Rubric, SpotCheckItem
from .rubrics import call_rubric
from .services import ReviewError


def _login(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise Http404


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    return run_service(request, action, success, refusals=(ReviewError, ApplicationError))


_errors = form_errors_to_messages

# The panel's actions, none of which can be undone.
PANEL_ACTIONS_TO_CONFIRM = {
    "draw": gettext_lazy("Draw experts"),
    "add_items": gettext_lazy("Add the applications and draw experts for them"),
    "open": gettext_lazy("Open scoring"),
    "close": gettext_lazy("Close the panel and freeze the results"),
    "publish": gettext_lazy("Put the top of the list on public notice"),
    "approve": gettext_lazy("Approve the list on notice"),
}
ASSIGNMENT_ACTIONS_TO_CONFIRM = {
    "replace": gettext_lazy("Replace the expert"),
    "reopen": gettext_lazy("Reopen the scores"),
}


# --- experts -------------------------------------------------------------------------------

MY_PAGE = 50  # an expert's assignments per page (a pool expert scores hundreds a year)


def my_assignments(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    pages = paginate(request, selectors.assignments_for_expert(user=request.user), MY_PAGE)
    assignments = list(pages.page.object_list)
    rows = [
        {
            "a": a,
            "title": redact(a.item.application.title, a.item.application)
            if a.panel.blind
            else a.item.application.title,
        }
        for a in assignments
    ]
    return render(request, "reviews/my_assignments.html", {"rows": rows, "pages": pages})


def _blind_view(a: Assignment) -> dict[str, Any]:
    app = a.item.application
    if not a.panel.blind:
        return {
            "title": app.title,
            "summary": app.summary,
            "applicant": app.applicant_name,
            "blind": False,
        }
    return {
        "title": redact(app.title, app),
        "summary": redact(app.summary, app),
        "applicant": "",
        "blind": True,
    }


def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return _assignment_page(request, pk)


def _assignment_page(
    request: HttpRequest, pk: int, score_form: ScoreForm | None = None
) -> HttpResponse:
    """The assignment as its expert sees it; ``score_form`` is a refused form, shown
    again with everything the expert typed."""
    try:
        a = selectors.assignment_for_expert(user=request.user, pk=pk)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc
    existing = {s.criterion.code: s.value for s in a.scores.all()}
    initial = {f"c_{code}": value for code, value in existing.items()} | {"comment": a.comment}
    context = {
        "a": a,
        "view": _blind_view(a),
        # the application opens only after the declaration of no conflict
        "opened": a.status in (Assignment.Status.ACCEPTED, Assignment.Status.SUBMITTED),
        "declare_form": DeclareForm(),
        "score_form": score_form or ScoreForm(rubric=a.panel.rubric, initial=initial),
        "scores": [(c, existing.get(c.code)) for c in a.panel.rubric.criteria.all()],
        "can_score": a.status == Assignment.Status.ACCEPTED and a.panel.status == Panel.Status.OPEN,
    }
    return render(request, "reviews/assignment_detail.html", context)


def assignment_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> Any:
    """An attachment of the item, for its expert once declared, on a panel that is not
    blind (files cannot be redacted)."""
    from projects.models import Attachment

    _login(request)
    a = get_object_or_404(
        Assignment.objects.for_expert(request.user).select_related("panel"), pk=pk
    )
    if a.panel.blind or a.status not in (Assignment.Status.ACCEPTED, Assignment.Status.SUBMITTED):
        raise Http404
    attachment = get_object_or_404(
        Attachment, pk=attachment_pk, application_id=a.item.application_id
    )
    response = FileResponse(attachment.file.open("rb"))
    attach(response, attachment.original_name, fallback=f"attachment-{attachment.pk}")
    return response


@require_POST
def assignment_declare(request: HttpRequest, pk: int) -> HttpResponse:
    _login(request)
    a = get_object_or_404(Assignment.objects.for_expert(request.user), pk=pk)
    form = DeclareForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect("reviews:assignment", pk=pk)
    conflict = form.cleaned_data["conflict"] == "yes"
    asked = confirmation_needed(
        request,
        action=_("Declare"),
        subject=f"{a.item.application.number} · {a.panel.name}",
        back=reverse("reviews:assignment", args=[pk]),
        form=form,
    )
    if asked is not None:
        return asked
    _run(
        request,
        lambda: services.assignment_declare(
            assignment=a,
            actor=actor_of(request),
            conflict=conflict,
            reason=form.cleaned_data["reason"],
        ),
        _("Declared: the assignment is released.")
        if conflict
        else _("Declared: you may now read and score it."),
    )
    if conflict:
        return redirect("reviews:my_assignments")
    return redirect("reviews:assignment", pk=pk)


@require_POST
def assignment_score(request: HttpRequest, pk: int) -> HttpResponse:
    """Save or submit; a refusal shows the form again with every value kept."""
    _login(request)
    a = get_object_or_404(
        Assignment.objects.for_expert(request.user).select_related("panel__rubric"), pk=pk
    )
    submit = "submit" in request.POST
    form = ScoreForm(request.POST, rubric=a.panel.rubric, submit=submit)
    if form.is_valid():
        if submit:
            asked = confirmation_needed(
                request,
                action=_("Submit scores"),
                subject=f"{a.item.application.number} · {a.panel.name}",
                back=reverse("reviews:assignment", args=[pk]),
                form=form,
            )
            if asked is not None:
                return asked
        try:
            with transaction.atomic(durable=True):
                services.scores_save(
                    assignment=a,
                    actor=actor_of(request),
                    values=form.values(),
                    comment=form.cleaned_data["comment"],
                    submit=submit,
                )
        except ReviewError as error:
            # the state changed (panel closed, already submitted …): said on top, and the
            # form, if it is still offered, keeps what was typed
            for reason in error.reasons:
                messages.error(request, str(reason))
        else:
            messages.success(request, _("Scores submitted.") if submit else _("Draft saved."))
            return redirect("reviews:assignment", pk=pk)
    return _assignment_page(request, pk, score_form=form)


# --- officers: panels ------------------------------------------------------------------------


def panel_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    panels = selectors.panel_list(user=request.user).order_by("-created_at", "-pk")
    pages = paginate(request, panels, selectors.PANELS_PER_PAGE)
    return render(
        request,
        "reviews/panel_list.html",
        {
            "panels": pages.page.object_list,
            "pages": pages,
            "can_add": request.user.has_perm("reviews.add_panel"),
        },
    )


def panel_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if not request.user.has_perm("reviews.add_panel"):
        raise PermissionDenied
    calls = Call.objects.select_related("programme").order_by("-year")
    form = PanelForm(
        request.POST or None,
        calls=calls,
        initial={"deadline": clock.today() + dt.timedelta(days=14)},
    )
    form.fields["rubric"].queryset = Rubric.objects.visible_to(request.user)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rubric = data["rubric"] or call_rubric(data["call"])
        actor = actor_of(request)
        stage = data["stage"]
        roles = ("district_officer",) if stage == Panel.Stage.DISTRICT else ("city_officer",)
        paths = actor.paths_for_roles(*roles)
        from accounts.models import OrgUnit

        unit = OrgUnit.objects.filter(path__in=paths).order_by("path").first()
        if unit is None:
            messages.error(request, _("Your role does not allow panels of this stage."))
        elif rubric is None:
            form.add_error("rubric", _("The call has no rubric yet: choose one."))
        else:
            panel = _run(
                request,
                lambda: services.panel_create(
                    call=data["call"],
                    stage=stage,
                    name=data["name"],
                    unit=unit,
                    rubric=rubric,
                    deadline=data["deadline"],
                    actor=actor,
                    size=data["size"],
                    blind=data["blind"],
                    aggregation=data["aggregation"],
                    calibrate=data["calibrate"],
                    spread_threshold=data["spread_threshold"],
                ),
                _("Panel set up."),
            )
            if panel:
                return redirect("reviews:panel", pk=panel.pk)
    return render(request, "reviews/panel_form.html", {"form": form})


def _panel(request: HttpRequest, pk: int) -> Panel:
    _login(request)
    try:
        return selectors.panel_detail(user=request.user, pk=pk)
    except Panel.DoesNotExist as exc:
        raise Http404 from exc


def panel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    panel = _panel(request, pk)
    city_notice = None
    if panel.stage == Panel.Stage.CITY and panel.status == Panel.Status.CLOSED:
        city_notice = (
            Notice.objects.filter(call=panel.call, level=Notice.Level.CITY, unit=panel.unit)
            .order_by("-pk")
            .first()
        )
    waiting_all = selectors.waiting_for(panel)
    waiting = list(waiting_all[: selectors.PAGE_SIZE])
    waiting_total = waiting_all.count()  # always: the same queries whatever the numbers
    notice = guidance.notice_state(city_notice)
    can_manage = request.user.has_perm("reviews.manage_panel", panel)
    return render(
        request,
        "reviews/panel_detail.html",
        {
            "panel": panel,
            "is_award": panel.call.programme.flow == "award",
            "waiting": waiting,
            "waiting_total": waiting_total,
            "notice": notice,
            "next_steps": guidance.panel_steps(
                panel, request.user, waiting=waiting, notice=notice, waiting_total=waiting_total
            ),
            **panel_page.page_context(request, panel),
            "can_manage": can_manage,
            "reason_form": ReasonForm(),
            "decision_form": DecisionForm(initial={"starts_on": clock.today()}),
            "city_notice": city_notice,
            "today": clock.today(),
            "draws": panel.draws.select_related("made_by"),
        },
    )


@require_POST
def panel_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    panel = _panel(request, pk)
    actor = actor_of(request)
    if name not in PANEL_ACTIONS_TO_CONFIRM:
        raise Http404
    # the form of the action, checked before the question (a typing error shows first)
    form: Any = None
    if name == "publish":
        form = DecisionForm(request.POST)
    elif name in ("draw", "add_items"):
        form = DrawForm(request.POST)
    if form is not None and not form.is_valid():
        _errors(request, form)
        return redirect("reviews:panel", pk=panel.pk)
    asked = confirmation_needed(
        request,
        action=str(PANEL_ACTIONS_TO_CONFIRM[name]),
        subject=panel.name,
        back=reverse("reviews:panel", args=[panel.pk]),
        form=form,
    )
    if asked is not None:
        return asked
    if name == "draw":
        seed = form.cleaned_data["seed"]
        _run(
            request,
            lambda: services.panel_draw(panel=panel, actor=actor, seed=seed),
            _("Experts drawn."),
        )
    elif name == "add_items":
        seed = form.cleaned_data["seed"]
        _run(
            request,
            lambda: panel_items.panel_add_items(panel=panel, actor=actor, seed=seed),
            _("The applications are added to the panel."),
        )
    elif name == "open":
        _run(request, lambda: services.panel_open(panel=panel, actor=actor), _("Scoring is open."))
    elif name == "close":
        _run(
            request,
            lambda: services.panel_close(panel=panel, actor=actor),
            _("The panel is closed; results are frozen."),
        )
    elif name == "publish":
        data = form.cleaned_data
        notice = _run(
            request,
            lambda: services.decision_publish(
                panel=panel, actor=actor, starts_on=data["starts_on"], top_n=data["top_n"]
            ),
            _("The provisional list is on public notice."),
        )
        if notice:
            return redirect("notice_detail", pk=notice.pk)
    elif name == "approve":
        notice = get_object_or_404(
            Notice, pk=posted_pk(request, "notice"), call=panel.call, level=Notice.Level.CITY
        )
        award = panel.call.programme.flow == "award"
        _run(
            request,
            lambda: services.decision_approve(notice=notice, actor=actor),
            _("The awards on the list are granted.") if award else _("The list is approved."),
        )
    else:
        raise Http404
    return redirect("reviews:panel", pk=panel.pk)


@require_POST
def assignment_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    _login(request)
    a = get_object_or_404(Assignment.objects.select_related("panel"), pk=pk)
    _panel(request, a.panel_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect("reviews:panel", pk=a.panel_id)
    reason = form.cleaned_data["reason"]
    if name not in ASSIGNMENT_ACTIONS_TO_CONFIRM:
        raise Http404
    asked = confirmation_needed(
        request,
        action=str(ASSIGNMENT_ACTIONS_TO_CONFIRM[name]),
        subject=f"{a.panel.name} · {a.expert}",
        back=reverse("reviews:panel", args=[a.panel_id]),
        form=form,
    )
    if asked is not None:
        return asked
    if name == "replace":
        _run(
            request,
            lambda: services.assignment_replace(
                assignment=a, actor=actor_of(request), reason=reason
            ),
            _("The expert is replaced."),
        )
    elif name == "reopen":
        _run(
            request,
            lambda: services.assignment_reopen(
                assignment=a, actor=actor_of(request), reason=reason
            ),
            _("The scores are reopened."),
        )
    else:
        raise Http404
    return redirect("reviews:panel", pk=a.panel_id)


def ranking_download(request: HttpRequest, pk: int) -> FileResponse:
    panel = _panel(request, pk)
    response = FileResponse(ranking_file(panel), content_type=XLSX_CONTENT_TYPE)
    attach(response, f"评审排名-{panel.name}.xlsx", fallback=f"ranking-{panel.pk}.xlsx")
    return response


def scores_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel's paper-score template: its criteria as columns, a row per expert and
    item still to score (experts named by their number, whatever their district)."""
    from .score_import import ScoresImporter

    panel = _panel(request, pk)
    if not request.user.has_perm("reviews.manage_panel", panel):
        raise Http404
    if panel.status == Panel.Status.CLOSED:
        raise Http404
    return download(
        ScoresImporter().template({"panel": panel}),
        f"评分表-{panel.name}.xlsx",
        fallback=f"score-sheets-{panel.pk}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """公示名单 of a city notice (also reachable by the public while it runs)."""
    notice = get_object_or_404(Notice.objects.select_related("call", "unit"), pk=pk)
    public = notice.is_running_on(clock.today())
    if not public:
        _login(request)
        if not request.user.has_perm("projects.view_notice", notice):
            raise Http404
    return download(
        documents.notice_list_pdf(notice),
        f"公示名单-{notice.title}.pdf",
        fallback=f"gongshi-{notice.pk}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )


def approval_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """立项通知 of one approved application, for whoever may see the application."""
    _login(request)
    application = get_object_or_404(
        Application.objects.visible_to(request.user).select_related(
            "call__programme", "category", "organisation", "person", "district"
        ),
        pk=pk,
    )
    if application.approved_amount_fen is None:
        raise Http404
    kind = "授予通知" if application.is_award else "立项通知"
    return download(
        documents.approval_notice_pdf(application),
        f"{kind}-{application.number}-{application.title}.pdf",
        fallback=f"{'shouyu' if application.is_award else 'lixiang'}-{application.number}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )


# --- spot checks -----------------------------------------------------------------------------


def spot_check_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    calls = Call.objects.filter(programme__flow="award").select_related("programme")
    form = SpotCheckForm(request.POST or None, calls=calls)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            asked = confirmation_needed(
                request,
                action=_("Draw the sample"),
                back=reverse("reviews:spot_check_list"),
                form=form,
            )
            if asked is not None:
                return asked
            check = _run(
                request,
                lambda: services.spot_check_draw(
                    call=data["call"],
                    actor=actor_of(request),
                    sample_size=data["sample_size"],
                    seed=data["seed"],
                ),
                _("Sample drawn."),
            )
            if check:
                return redirect("reviews:spot_check", pk=check.pk)
        else:
            _errors(request, form)
    return render(
        request,
        "reviews/spot_check_list.html",
        {"checks": selectors.spot_checks(user=request.user), "form": form},
    )


def spot_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    check = get_object_or_404(selectors.spot_checks(user=request.user), pk=pk)
    items = check.items.select_related(
        "application__category",
        "application__district",
        "application__organisation",
        "application__person",
        "recorded_by",
    )
    return render(
        request,
        "reviews/spot_check_detail.html",
        {
            "check": check,
            "items": items,
            "form": FindingForm(),
            "can_manage": request.user.has_perm("reviews.manage_spotcheck", check),
        },
    )


@require_POST
def spot_check_record(request: HttpRequest, pk: int) -> HttpResponse:
    _login(request)
    item = get_object_or_404(SpotCheckItem.objects.select_related("spot_check"), pk=pk)
    get_object_or_404(selectors.spot_checks(user=request.user), pk=item.spot_check_id)
    form = FindingForm(request.POST)
    if form.is_valid():
        asked = confirmation_needed(
            request,
            action=_("Record the finding"),
            subject=f"{item.application.number} {item.application.title}",
            back=reverse("reviews:spot_check", args=[item.spot_check_id]),
            form=form,
        )
        if asked is not None:
            return asked
        _run(
            request,
            lambda: services.spot_check_record(
                item=item,
                actor=actor_of(request),
                fraud=form.cleaned_data["result"] == "fraud",
                note=form.cleaned_data["note"],
            ),
            _("Finding recorded."),
        )
    else:
        _errors(request, form)
    return redirect("reviews:spot_check", pk=item.spot_check_id)


# --- applicants: exclusions (申请回避) ----------------------------------------------------------


def exclusions(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    application = get_object_or_404(Application.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("projects.view_application", application):
        raise Http404
    form = ExclusionForm(request.POST or None)
    if request.method == "POST":
        if "remove" in request.POST:
            req = get_object_or_404(
                ExclusionRequest, pk=posted_pk(request, "remove"), application=application
            )
            _run(
                request,
                lambda: services.exclusion_request_remove(request=req, actor=actor_of(request)),
                _("Removed."),
            )
            return redirect("reviews:exclusions", pk=pk)
        if form.is_valid():
            _run(
                request,
                lambda: services.exclusion_request_add(
                    application=application,
                    expert=form.cleaned_data["expert"],
                    reason=form.cleaned_data["reason"],
                    actor=actor_of(request),
                ),
                _("The request is recorded."),
            )
            return redirect("reviews:exclusions", pk=pk)
    return render(
        request,
        "reviews/exclusions.html",
        {
            "application": application,
            "requests": ExclusionRequest.objects.filter(application=application).select_related(
                "expert__person"
            ),
            "form": form,
            "can_edit": request.user.has_perm("projects.change_application", application),
        },
    )


# --- acceptance (验收): the page where finance and the officer record their parts ------------


def _acceptance(request: HttpRequest, pk: int) -> Any:
    from projects.models import Acceptance

    _login(request)
    acceptance = get_object_or_404(
        Acceptance.objects.select_related("application", "report"), pk=pk
    )
    application = get_object_or_404(
        Application.objects.visible_to(request.user), pk=acceptance.application_id
    )
    if not request.user.has_perm("projects.view_application", application):
        raise Http404
    return acceptance


def acceptance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.contract_forms import ConclusionForm, FinanceForm

    if not request.user.is_authenticated:
        return redirect("login")
    acceptance = _acceptance(request, pk)
    application = acceptance.application
    return render(
        request,
        "reviews/acceptance_detail.html",
        {
            "acceptance": acceptance,
            "application": application,
            "panel_item": services.acceptance_panel_item(application),
            "actuals": acceptance.report.actuals.select_related("indicator"),
            "can_finance": not acceptance.conclusion
            and request.user.has_perm("projects.finance_acceptance", acceptance),
            "can_conclude": not acceptance.conclusion
            and application.status == Application.Status.ACCEPTANCE_REVIEW
            and request.user.has_perm("projects.conclude_acceptance", application),
            "finance_form": FinanceForm(),
            "conclusion_form": ConclusionForm(),
            # the next steps of the project, on its latest acceptance round
            "next_steps": application_steps(application, request.user)
            if not application.acceptances.filter(round__gt=acceptance.round).exists()
            else [],
        },
    )


@require_POST
def acceptance_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    from projects import closing
    from projects.contract_forms import ConclusionForm, FinanceForm

    acceptance = _acceptance(request, pk)
    actor = actor_of(request)
    subject = f"{acceptance.application.number} {acceptance.application.title}"
    back = reverse("reviews:acceptance", args=[acceptance.pk])
    if name == "finance":
        form = FinanceForm(request.POST)
        if form.is_valid():
            asked = confirmation_needed(
                request,
                action=_("Record the financial acceptance"),
                subject=subject,
                back=back,
                form=form,
            )
            if asked is not None:
                return asked
            _run(
                request,
                lambda: closing.acceptance_finance_record(
                    acceptance=acceptance,
                    actor=actor,
                    passed=form.cleaned_data["result"] == "passed",
                    note=form.cleaned_data["note"],
                ),
                _("Financial acceptance recorded."),
            )
    elif name == "conclude":
        conclusion = ConclusionForm(request.POST)
        if conclusion.is_valid():
            asked = confirmation_needed(
                request,
                action=_("Record the conclusion"),
                subject=subject,
                back=back,
                form=conclusion,
            )
            if asked is not None:
                return asked
            _run(
                request,
                lambda: services.acceptance_conclude(
                    acceptance=acceptance,
                    actor=actor,
                    false_data=conclusion.cleaned_data["false_data"],
                    note=conclusion.cleaned_data["note"],
                ),
                _("Conclusion recorded."),
            )
    else:
        raise Http404
    return redirect("reviews:acceptance", pk=acceptance.pk)
