"""Menu entries and home-page work queues of the projects app."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
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
        "projects_under_way",
        _("Contracts and implementation"),
        "application_list",
        {*REGION_READERS, Role.APPLICANT},
        40,
        query="stage=under_way",
    )
    register_nav(
        "projects_in_acceptance",
        _("Acceptance and closing"),
        "application_list",
        {*REGION_READERS, Role.APPLICANT},
        41,
        query="stage=acceptance",
    )
    register_nav(
        "recommendations", _("Recommendation lists"), "recommendation_list", REGION_READERS, 14
    )
    register_nav(
        "award_indicators", _("Award budget indicators"), "award_indicators", {Role.FINANCE}, 55
    )
    register_queue("projects.applicant", {Role.APPLICANT}, _applicant_queue, 10)
    register_queue("projects.district", {Role.DISTRICT_OFFICER}, _district_queue, 10)
    register_queue(
        "projects.objections", {Role.DISTRICT_OFFICER, Role.CITY_OFFICER}, _objection_queue, 12
    )
    register_queue("projects.cosign", {Role.DISTRICT_FINANCE}, _cosign_queue, 10)
    register_contract_queues()


# --- the contract stage ---------------------------------------------------------------------


def _contract_rows(qs: Any, note: Any) -> list[QueueRow]:
    return [
        QueueRow(
            label=f"{c.number} {c.application.title}",
            url=reverse("contract_detail", args=[c.pk]),
            note=note(c),
        )
        for c in qs[:10]
    ]


def _applicant_contract_queue(user: Any) -> Queue:
    from .models import Contract, ProgressReport

    contracts = (
        Contract.objects.visible_to(user)
        .filter(status=Contract.Status.DRAFT)
        .select_related("application")
    )
    reports = (
        ProgressReport.objects.filter(
            application__in=Application.objects.visible_to(user), submitted_at__isnull=True
        )
        .exclude(application__status__in=["closed", "terminated", "failed", "disqualified"])
        .select_related("application")
        .order_by("due_on")
    )
    rows = _contract_rows(contracts, lambda c: str(_("contract to confirm"))) + [
        QueueRow(
            label=f"{r.application.number} {r.title}",
            url=reverse("report_detail", args=[r.pk]),
            note=_("due %(date)s") % {"date": r.due_on},
        )
        for r in reports[:10]
    ]
    return Queue(
        title=_("Contracts to confirm and reports to file"),
        rows=rows,
        total=contracts.count() + reports.count(),
        empty_text=_("No contract or report is waiting for you."),
    )


def _officer_contract_queue(user: Any) -> Queue:
    from .models import Acceptance, Contract, ProgressReport

    visible = Application.objects.visible_to(user)
    to_sign = Contract.objects.filter(
        application__in=visible, status=Contract.Status.CONFIRMED
    ).select_related("application")
    to_read = ProgressReport.objects.filter(
        application__in=visible, submitted_at__isnull=False, read_at__isnull=True
    )
    to_conclude = Acceptance.objects.filter(
        application__in=visible,
        conclusion="",
        application__status=Application.Status.ACCEPTANCE_REVIEW,
    )
    rows = (
        _contract_rows(to_sign, lambda c: str(_("contract to sign")))
        + [
            QueueRow(
                label=f"{r.application.number} {r.title}",
                url=reverse("report_detail", args=[r.pk]),
                note=str(_("report to read")),
            )
            for r in to_read.select_related("application")[:10]
        ]
        + [
            QueueRow(
                label=f"{a.application.number} {a.application.title}",
                url=reverse("reviews:acceptance", args=[a.pk]),
                note=str(_("acceptance to conclude")),
            )
            for a in to_conclude.select_related("application")[:10]
        ]
    )
    return Queue(
        title=_("Contracts, reports and acceptances"),
        rows=rows,
        total=to_sign.count() + to_read.count() + to_conclude.count(),
        empty_text=_("Nothing is waiting in the contract stage."),
    )


def _finance_contract_queue(user: Any) -> Queue:
    from .models import Acceptance, Tranche

    visible = Application.objects.visible_to(user)
    pending = Acceptance.objects.filter(
        application__in=visible, finance_result="", conclusion=""
    ).select_related("application")
    due = (
        Tranche.objects.filter(
            contract__application__in=visible,
            status=Tranche.Status.PLANNED,
        )
        .filter(
            Q(trigger=Tranche.Trigger.ON_SIGNING, contract__status="signed")
            | Q(
                trigger=Tranche.Trigger.AFTER_ACCEPTANCE,
                contract__application__status=Application.Status.ACCEPTED,
            )
        )
        .select_related("contract__application")
    )
    rows = [
        QueueRow(
            label=f"{a.application.number} {a.application.title}",
            url=reverse("reviews:acceptance", args=[a.pk]),
            note=str(_("financial acceptance to record")),
        )
        for a in pending[:10]
    ] + [
        QueueRow(
            label=f"{t.contract.number} #{t.seq}",
            url=reverse("contract_detail", args=[t.contract_id]),
            note=str(_("tranche to order")),
        )
        for t in due[:10]
    ]
    return Queue(
        title=_("Financial acceptances and tranches due"),
        rows=rows,
        total=pending.count() + due.count(),
        empty_text=_("No financial acceptance or tranche is waiting."),
    )


def register_contract_queues() -> None:
    register_queue("projects.contracts.applicant", {Role.APPLICANT}, _applicant_contract_queue, 11)
    register_queue("projects.contracts.officer", {Role.CITY_OFFICER}, _officer_contract_queue, 11)
    register_queue(
        "projects.contracts.finance",
        {Role.FINANCE, Role.FINANCE_CHECKER},
        _finance_contract_queue,
        11,
    )
