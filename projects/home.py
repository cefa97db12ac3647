"""Menu entries and home-page work queues of the projects app."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavGroup, Queue, QueueRow, register_nav, register_queue
from accounts.roles import REGION_READERS, Role
from core import clock
from core.money import format_fen

from .models import (
    Application,
    Notice,
    Objection,
    RecommendationList,
    Tranche,
    TransitionLog,
)


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
    reasons = _return_reasons(qs[:10])
    return Queue(
        title=_("My drafts and returned applications"),
        rows=_rows(
            qs,
            lambda a: (
                (
                    _("%(status)s · deadline %(date)s")
                    % {"status": a.get_status_display(), "date": a.call.closes_on}
                )
                + (f" · {reasons[a.pk]}" if a.pk in reasons else "")
            ),
        ),
        total=qs.count(),
        more_url=reverse("application_list"),
        empty_text=_("Nothing to finish. Start a new application from an open call."),
    )


def _return_reasons(applications: Any) -> dict[int, str]:
    """The reason of each returned application's last 退回修改, shortened."""
    ids = [a.pk for a in applications if a.status == Application.Status.RETURNED]
    reasons: dict[int, str] = {}
    for log in TransitionLog.objects.filter(
        application_id__in=ids, transition="return_for_revision"
    ).order_by("at", "pk"):
        text = log.reason.strip()
        reasons[log.application_id] = text if len(text) <= 40 else text[:39] + "…"
    return reasons


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
                _("submitted %(date)s") % {"date": clock.iso_date(a.submitted_at)}
                if a.submitted_at
                else ""
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


def _district_next_queue(user: Any) -> Queue:
    """After the formal check: the district notice (awards), the recommendation list,
    the lists to submit to the city."""
    visible = Application.objects.visible_to(user)
    checked = (
        visible.filter(
            status=Application.Status.SUBMITTED,
            formal_check_at__isnull=False,
            recommendation_entry__isnull=True,
        )
        .select_related("call__programme")
        .order_by("formal_check_at", "pk")
    )
    today = clock.today()
    ended = Notice.objects.filter(
        applications=OuterRef("pk"), level=Notice.Level.DISTRICT, ends_on__lt=today
    )
    after_notice = (
        visible.filter(
            status=Application.Status.DISTRICT_PUBLICITY,
            recommendation_entry__isnull=True,
        )
        .filter(Exists(ended))  # not a join and DISTINCT over every column
        .order_by("pk")
    )
    lists = (
        RecommendationList.objects.visible_to(user)
        .exclude(status=RecommendationList.Status.SUBMITTED)
        .select_related("call__programme", "district")
        .order_by("call__district_deadline", "pk")
    )
    rows = []
    for a in checked[:10]:
        rows.append(
            QueueRow(
                label=f"{a.number} {a.title}",
                url=reverse("application_detail", args=[a.pk]),
                note=str(
                    _("formal check passed: publish the district notice")
                    if a.is_award
                    else _("formal check passed: put it on a recommendation list")
                ),
            )
        )
    rows += _rows(after_notice, lambda a: str(_("notice ended: put it on a recommendation list")))
    for r in lists[:10]:
        needs_cosign = r.call.programme.flow == "award" and r.status == r.Status.DRAFT
        rows.append(
            QueueRow(
                label=f"#{r.pk} {r.call.title} · {r.district.name}",
                url=reverse("recommendation_detail", args=[r.pk]),
                note=str(
                    _("waiting for the district finance bureau's co-signature")
                    if needs_cosign
                    else _("submit it to the city by %(date)s") % {"date": r.call.district_deadline}
                ),
            )
        )
    return Queue(
        title=_("Checked applications and lists to take further"),
        rows=rows,
        total=checked.count() + after_notice.count() + lists.count(),
        more_url=reverse("application_list") + "?status=submitted",
        empty_text=_("No checked application or list is waiting."),
    )


def _award_payment_queue(user: Any) -> Queue:
    """District finance: granted awards of the district to commit and pay, and the award
    payment orders still drafts."""
    from accounts.permissions import visible_q
    from ledger.models import BudgetLine, Disbursement

    # ``projects.pay_award`` (district finance over the award's district) as one filter,
    # not a check per award
    awards = (
        Application.objects.visible_to(user)
        .filter(visible_q(user, region="district", roles=[Role.DISTRICT_FINANCE]))
        .filter(status=Application.Status.APPROVED, call__programme__flow="award")
        .select_related("call__programme", "district")
        .order_by("pk")
    )
    orders = {
        d.project_ref: d
        for d in Disbursement.objects.filter(
            project_ref__in=list(awards.values_list("number", flat=True))
        ).exclude(status__in=[Disbursement.Status.CANCELLED, Disbursement.Status.REJECTED])
    }
    issued = set(
        BudgetLine.objects.filter(
            scope_path__in=list(awards.values_list("district__path", flat=True))
        ).values_list("programme_code", "year", "scope_path")
    )
    rows: list[QueueRow] = []
    waiting = 0
    for a in awards:
        order = orders.get(a.number)
        note: str
        if order is None:
            url = reverse("application_detail", args=[a.pk])
            if (a.call.programme.code, a.call.year, a.district.path) in issued:
                note = str(_("to commit and pay"))
            else:
                note = str(_("waiting for the city's budget indicator"))
        elif order.status == Disbursement.Status.DRAFT:
            note = str(_("payment order %(n)s is a draft: submit it") % {"n": order.number})
            url = reverse("ledger:disbursement_detail", args=[order.pk])
        else:
            continue  # approval and payment are on the ledger's queues
        waiting += 1
        if len(rows) < 10:
            rows.append(
                QueueRow(
                    label=f"{a.number} {a.applicant_name}",
                    url=url,
                    note=f"{format_fen(a.approved_amount_fen or 0)} 元 · {note}",
                )
            )
    return Queue(
        title=_("Awards waiting for payment"),
        rows=rows,
        total=waiting,
        more_url=reverse("application_list") + "?status=approved",
        empty_text=_("No award is waiting for payment."),
    )


def _award_indicator_queue(user: Any) -> Queue:
    """City finance: the districts whose granted awards have no budget indicator yet."""
    from django.db.models import Sum

    from ledger.models import BudgetLine

    totals = (
        Application.objects.visible_to(user)
        .filter(call__programme__flow="award", approved_amount_fen__isnull=False)
        .exclude(status__in=[Application.Status.DISQUALIFIED, Application.Status.REJECTED])
        .values(
            "call__title", "call__year", "call__programme__code", "district__path", "district__name"
        )
        .annotate(total=Sum("approved_amount_fen"))
        .order_by("call__year", "district__path")
    )
    issued = set(BudgetLine.objects.values_list("programme_code", "year", "scope_path"))
    rows = [
        QueueRow(
            label=f"{t['call__title']} · {t['district__name']}",
            url=reverse("award_indicators"),
            note=_("%(amount)s yuan of awards: issue the budget indicator")
            % {"amount": format_fen(t["total"] or 0)},
        )
        for t in totals
        if (t["call__programme__code"], t["call__year"], t["district__path"]) not in issued
    ]
    return Queue(
        title=_("Award budget indicators to issue"),
        rows=rows[:10],
        total=len(rows),
        more_url=reverse("award_indicators"),
        empty_text=_("Every district with awards has its budget indicator."),
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
        "project_changes",
        _("Project changes"),
        "change_list",
        {*REGION_READERS, Role.APPLICANT},
        42,
        group=NavGroup.CONTRACTS,
    )
    register_nav(
        "midterm_checks",
        _("Mid-term checks"),
        "midterm_list",
        REGION_READERS,
        43,
        group=NavGroup.CONTRACTS,
    )
    register_nav(
        "award_indicators",
        _("Award budget indicators"),
        "award_indicators",
        {Role.FINANCE, Role.FINANCE_CHECKER},
        55,
    )
    register_queue("projects.applicant", {Role.APPLICANT}, _applicant_queue, 10)
    register_queue("projects.district", {Role.DISTRICT_OFFICER}, _district_queue, 10)
    register_queue(
        "projects.objections", {Role.DISTRICT_OFFICER, Role.CITY_OFFICER}, _objection_queue, 12
    )
    register_queue("projects.cosign", {Role.DISTRICT_FINANCE}, _cosign_queue, 10)
    register_queue("projects.district_next", {Role.DISTRICT_OFFICER}, _district_next_queue, 11)
    register_queue("projects.award_payment", {Role.DISTRICT_FINANCE}, _award_payment_queue, 12)
    register_queue("projects.award_indicators", {Role.FINANCE}, _award_indicator_queue, 12)
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
    rectifying = (
        Application.objects.visible_to(user)
        .filter(status=Application.Status.RECTIFYING)
        .prefetch_related("acceptances")
        .order_by("pk")
    )
    rows = (
        _contract_rows(contracts, lambda c: str(_("contract to confirm")))
        + [
            QueueRow(
                label=f"{r.application.number} {r.title}",
                url=reverse("report_detail", args=[r.pk]),
                note=_("due %(date)s") % {"date": r.due_on},
            )
            for r in reports[:10]
        ]
        + _rows(
            rectifying,
            lambda a: (
                _("rectify and request acceptance again by %(date)s")
                % {
                    "date": max(
                        (x.rectify_due for x in a.acceptances.all() if x.rectify_due), default="—"
                    )
                }
            ),
        )
    )
    return Queue(
        title=_("Contracts to confirm and reports to file"),
        rows=rows,
        total=contracts.count() + reports.count() + rectifying.count(),
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
    to_draft = (
        visible.filter(status=Application.Status.APPROVED, contract__isnull=True)
        .exclude(call__programme__flow="award")
        .order_by("pk")
    )
    to_close = _closable(visible)
    rows = (
        _rows(to_draft, lambda a: str(_("approved: draft the contract (任务书)")))
        + _contract_rows(to_sign, lambda c: str(_("contract to sign")))
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
        + _rows(to_close, lambda a: str(_("nothing left to pay: close the project")))
    )
    return Queue(
        title=_("Contracts, reports and acceptances"),
        rows=rows,
        total=to_draft.count()
        + to_sign.count()
        + to_read.count()
        + to_conclude.count()
        + to_close.count(),
        empty_text=_("Nothing is waiting in the contract stage."),
    )


def _closable(visible: Any) -> Any:
    """Accepted, failed or terminated projects with no tranche left to order or pay and
    no repayable money out: the city officer closes them."""
    from ledger.models import Disbursement

    open_orders = Tranche.objects.filter(status=Tranche.Status.ORDERED).exclude(
        disbursement__status__in=[
            Disbursement.Status.PAID,
            Disbursement.Status.RECONCILED,
            Disbursement.Status.CANCELLED,
            Disbursement.Status.REJECTED,
            Disbursement.Status.RETURNED,
        ]
    )
    return (
        visible.filter(
            status__in=[
                Application.Status.ACCEPTED,
                Application.Status.FAILED,
                Application.Status.TERMINATED,
            ]
        )
        .exclude(contract__tranches__in=open_orders)
        .exclude(
            status=Application.Status.ACCEPTED,
            contract__tranches__status=Tranche.Status.PLANNED,
        )
        .exclude(
            contract__repayable__status__in=["active", "overdue", "rescheduled"],
        )
        # no DISTINCT: a project has one contract, and the excludes of its tranches are
        # subqueries, so no row is repeated
        .order_by("pk")
    )


def _finance_contract_queue(user: Any) -> Queue:
    from .models import Acceptance

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
