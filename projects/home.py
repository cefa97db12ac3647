"""Menu entries and home-page work queues of the projects app."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import Queue, QueueRow, register_nav, register_queue
from accounts.roles import REGION_READERS, Role

from .models import Application, Objection, RecommendationList


def _rows(qs: Any, note: Any) -> list[QueueRow]:
    return [
        QueueRow(
            label=f"{a.number} {a.title}",
            url=reverse("application_detail", args=[a.pk]),
            note=note(a),
        )
        for a in qs[:10]
    ]


def _applicant_queue(user: Any) -> Queue:
    qs = (
        Application.objects.visible_to(user)
        .filter(status__in=[Application.Status.DRAFT, Application.Status.RETURNED])
        .select_related("call")
        .order_by("call__closes_on", "pk")
    )
    return Queue(
        title=_("My drafts and returned applications"),
        rows=_rows(
            qs,
            lambda a: (
                _("%(status)s · deadline %(date)s")
                % {"status": a.get_status_display(), "date": a.call.closes_on}
            ),
        ),
        total=qs.count(),
        more_url=reverse("application_list"),
        empty_text=_("Nothing to finish. Start a new application from an open call."),
    )


def _district_queue(user: Any) -> Queue:
    qs = (
        Application.objects.visible_to(user)
        .filter(status=Application.Status.SUBMITTED, formal_check_at__isnull=True)
        .order_by("submitted_at", "pk")
    )
    return Queue(
        title=_("Submitted applications waiting for the formal check"),
        rows=_rows(
            qs,
            lambda a: (
                _("submitted %(date)s") % {"date": a.submitted_at.date()} if a.submitted_at else ""
            ),
        ),
        total=qs.count(),
        more_url=reverse("application_list") + "?status=submitted",
        empty_text=_("No application is waiting for the formal check."),
    )


def _objection_queue(user: Any) -> Queue:
    from accounts.permissions import visible_q

    qs = (
        Objection.objects.filter(
            visible_q(user, region="notice__unit", roles=[Role.DISTRICT_OFFICER, Role.CITY_OFFICER])
        )
        .filter(status=Objection.Status.OPEN)
        .select_related("notice", "application")
        .order_by("filed_at")
    )
    rows = [
        QueueRow(
            label=f"{o.notice.title} · {o.application.number if o.application else ''}",
            url=reverse("notice_detail", args=[o.notice_id]),
            note=o.name,
        )
        for o in qs[:10]
    ]
    return Queue(
        title=_("Objections to handle"),
        rows=rows,
        total=qs.count(),
        empty_text=_("No objection is waiting."),
    )


def _cosign_queue(user: Any) -> Queue:
    qs = (
        RecommendationList.objects.visible_to(user)
        .filter(status=RecommendationList.Status.DRAFT, call__programme__flow="award")
        .select_related("call", "district")
    )
    rows = [
        QueueRow(
            label=f"#{r.pk} {r.call.title} · {r.district.name}",
            url=reverse("recommendation_detail", args=[r.pk]),
        )
        for r in qs[:10]
    ]
    return Queue(
        title=_("Recommendation lists to co-sign"),
        rows=rows,
        total=qs.count(),
        more_url=reverse("recommendation_list"),
        empty_text=_("No list is waiting for your co-signature."),
    )


def register() -> None:
    register_nav(
        "applications", _("Applications"), "application_list", {*REGION_READERS, Role.APPLICANT}, 10
    )
    register_nav("notices", _("Public notices"), "notice_list", REGION_READERS, 12)
    register_nav(
        "recommendations", _("Recommendation lists"), "recommendation_list", REGION_READERS, 14
    )
    register_queue("projects.applicant", {Role.APPLICANT}, _applicant_queue, 10)
    register_queue("projects.district", {Role.DISTRICT_OFFICER}, _district_queue, 10)
    register_queue(
        "projects.objections", {Role.DISTRICT_OFFICER, Role.CITY_OFFICER}, _objection_queue, 12
    )
    register_queue("projects.cosign", {Role.DISTRICT_FINANCE}, _cosign_queue, 10)
