"""The team page of an application and the 申报书 PDF."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.http import actor_of
from core.http import download, form_errors_to_messages, posted_pk, run_service
from core.pdf import PDF_CONTENT_TYPE

from . import application_pdf, team
from .services import ApplicationError
from .team_forms import TeamNewPersonForm, TeamPickForm
from .team_models import TeamMember
from .views import _get_application


def application_team(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    user = request.user
    can_edit = application.organisation_id is not None and user.has_perm(
        "projects.change_application", application
    )
    candidates = team.team_candidates(application=application)
    pick = TeamPickForm(candidates=candidates, prefix="pick")
    new = TeamNewPersonForm(prefix="new")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        actor = actor_of(request)
        op = request.POST.get("op", "")
        done: Any = None
        if op == "pick":
            pick = TeamPickForm(request.POST, candidates=candidates, prefix="pick")
            if pick.is_valid():
                data = pick.cleaned_data
                done = run_service(
                    request,
                    lambda: team.team_member_add(application=application, actor=actor, **data),
                    _("%(name)s is on the team.") % {"name": data["person"].name},
                    refusals=(ApplicationError,),
                )
            else:
                form_errors_to_messages(request, pick)
        elif op == "new":
            new = TeamNewPersonForm(request.POST, prefix="new")
            if new.is_valid():
                data = new.cleaned_data
                done = run_service(
                    request,
                    lambda: team.team_person_create(application=application, actor=actor, **data),
                    _("%(name)s is on the team.") % {"name": data["name"]},
                    refusals=(ApplicationError,),
                )
            else:
                form_errors_to_messages(request, new)
        elif op in ("remove", "up"):
            member = get_object_or_404(
                TeamMember, pk=posted_pk(request, "member"), application=application
            )
            service = team.team_member_remove if op == "remove" else team.team_member_move_up
            done = run_service(
                request,
                lambda: service(member=member, actor=actor),
                _("The team was changed."),
                refusals=(ApplicationError,),
            )
        else:
            raise Http404
        if done:
            return redirect("application_team", pk=application.pk)
    return render(
        request,
        "projects/application_team.html",
        {
            "application": application,
            "members": application.team.in_order(),
            "can_edit": can_edit,
            "pick_form": pick,
            "new_form": new,
        },
    )


def application_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """申报书: whoever may see the application may print it."""
    if not request.user.is_authenticated:
        return redirect("login")
    application = _get_application(request, pk)
    return download(
        application_pdf.application_pdf(application),
        f"申报书-{application.number}-{application.title}.pdf",
        fallback=f"{application.number}.pdf",
        content_type=PDF_CONTENT_TYPE,
    )
