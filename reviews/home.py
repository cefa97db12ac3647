"""Menu entries and work queues of the review app."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import Queue, QueueRow, register_nav, register_queue
from accounts.permissions import visible_q
from accounts.roles import REGION_READERS, Role
from core import clock
from funding.callpage import CallSection, register_call_section
from funding.models import Call
from projects.models import Application

from .models import Assignment, Panel, PanelItem, SpotCheck, SpotCheckItem
from .selectors import panel_list


def _expert_queue(user: Any) -> Queue:
    qs = (
        Assignment.objects.for_expert(user)
        .filter(
            status__in=[Assignment.Status.INVITED, Assignment.Status.ACCEPTED],
            panel__status__in=["setup", "open"],
        )
        .select_related("panel", "item__application")
        .order_by("panel__deadline", "pk")
    )
    rows = [
        QueueRow(
            label=f"{a.panel.name} · {a.item.application.number}",
            url=reverse("reviews:assignment", args=[a.pk]),
            note=_("%(status)s · due %(date)s")
            % {"status": a.get_status_display(), "date": a.panel.deadline},
        )
        for a in qs[:10]
    ]
    return Queue(
        title=_("Items waiting for my declaration or scores"),
        rows=rows,
        total=qs.count(),
        more_url=reverse("reviews:my_assignments"),
        empty_text=_("Nothing to review now."),
    )


def _panel_queue(user: Any) -> Queue:
    qs = panel_list(user=user).exclude(status=Panel.Status.CLOSED).order_by("deadline")
    rows = [
        QueueRow(
            label=p.name,
            url=reverse("reviews:panel", args=[p.pk]),
            note=f"{p.get_status_display()} · {p.n_submitted}/{p.n_live}",  # type: ignore[attr-defined]
        )
        for p in qs[:10]
    ]
    return Queue(
        title=_("Panels in progress"),
        rows=rows,
        total=qs.count(),
        more_url=reverse("reviews:panel_list"),
        empty_text=_("No panel is in progress."),
    )


def _city_review_queue(user: Any) -> Queue:
    """The city officer: applications waiting for a panel, closed panels waiting for the
    decision, notices ended waiting for approval, spot-check findings to record."""
    from projects.models import Notice

    visible = Application.objects.visible_to(user)
    live_city = PanelItem.objects.exclude(panel__status=Panel.Status.CLOSED)
    no_panel = (
        visible.filter(status=Application.Status.RECOMMENDED)
        .exclude(pk__in=live_city.filter(panel__stage="city").values("application_id"))
        .order_by("pk")
    )
    no_acceptance_panel = (
        visible.filter(status=Application.Status.ACCEPTANCE_REQUESTED)
        .exclude(pk__in=live_city.filter(panel__stage="acceptance").values("application_id"))
        .order_by("pk")
    )
    # the city panels this officer manages (``reviews.manage_panel`` of a city panel, as
    # one filter rather than a check per panel) with an item still waiting for a decision
    panels = (
        Panel.objects.filter(visible_q(user, region="unit", roles=[Role.CITY_OFFICER]))
        .filter(stage=Panel.Stage.CITY, status=Panel.Status.CLOSED)
        .filter(
            Exists(
                PanelItem.objects.filter(
                    panel=OuterRef("pk"), application__status=Application.Status.REVIEWED
                )
            )
        )
        .order_by("pk")
    )
    ended = (
        Notice.objects.visible_to(user)
        .filter(level=Notice.Level.CITY, ends_on__lt=clock.today())
        .filter(
            Exists(
                Application.objects.filter(
                    notices=OuterRef("pk"), status=Application.Status.PUBLICITY
                )
            )
        )
        .order_by("ends_on", "pk")
    )
    findings = (
        SpotCheckItem.objects.filter(
            spot_check__in=SpotCheck.objects.visible_to(user),
            result=SpotCheckItem.Result.PENDING,
        )
        .select_related("application")
        .order_by("pk")
    )
    rows = [
        QueueRow(
            label=f"{a.number} {a.title}",
            url=reverse("application_detail", args=[a.pk]),
            note=str(note),
        )
        for qs, note in (
            (no_panel, _("recommended: waiting for a city panel")),
            (no_acceptance_panel, _("acceptance requested: waiting for an acceptance panel")),
        )
        for a in qs[:10]
    ]
    rows += [
        QueueRow(
            label=p.name,
            url=reverse("reviews:panel", args=[p.pk]),
            note=str(_("results frozen: decide on the ranked list")),
        )
        for p in panels[:10]
    ]
    rows += [
        QueueRow(
            label=n.title,
            url=reverse("notice_detail", args=[n.pk]),
            note=str(
                _("notice ended on %(date)s: approve on the panel page") % {"date": n.ends_on}
            ),
        )
        for n in ended[:10]
    ]
    rows += [
        QueueRow(
            label=f"{i.application.number} {i.application.title}",
            url=reverse("reviews:spot_check", args=[i.spot_check_id]),
            note=str(_("spot check: finding to record")),
        )
        for i in findings[:10]
    ]
    return Queue(
        title=_("Waiting for a panel or a decision"),
        rows=rows,
        total=no_panel.count()
        + no_acceptance_panel.count()
        + panels.count()
        + ended.count()
        + findings.count(),
        more_url=reverse("reviews:panel_list"),
        empty_text=_("Nothing is waiting for a panel or a decision."),
    )


def _call_rubric_section(user: Any, call: Call) -> CallSection:
    """The call page's rubric: what it is, and the link to set it."""
    from .rubrics import call_rubric, plain

    rubric = call_rubric(call)
    section = CallSection(title=_("Rubric"))
    if rubric is None:
        section.warning = _(
            "No rubric yet: the call's panels need one (set it here, or choose one per panel)."
        )
    else:
        criteria = list(rubric.criteria.all())
        section.rows = [
            (_("rubric"), str(rubric)),
            (
                _("criteria"),
                "；".join(
                    f"{c.name} {plain(c.max_score)}"
                    + (f" ×{plain(c.weight)}" if c.weight != 1 else "")
                    for c in criteria
                ),
            ),
            (_("highest total"), plain(rubric.maximum_total())),
            (_("passing total"), plain(rubric.total_threshold)),
        ]
    if user.has_perm("funding.manage_call", call) and call.status not in ("decided", "archived"):
        section.links = [(_("Set the rubric"), reverse("reviews:call_rubric", args=[call.pk]))]
    return section


def register() -> None:
    register_nav("my_reviews", _("My reviews"), "reviews:my_assignments", {Role.EXPERT}, 5)
    register_nav("panels", _("Review panels"), "reviews:panel_list", REGION_READERS, 16)
    register_nav(
        "spot_checks",
        _("Spot checks"),
        "reviews:spot_check_list",
        {Role.CITY_OFFICER, Role.AUDITOR, Role.ADMIN},
        18,
    )
    register_nav(
        "rubrics", _("Rubrics"), "reviews:rubric_list", {Role.CITY_OFFICER, Role.ADMIN}, 17
    )
    register_call_section("reviews.rubric", _call_rubric_section, 50)
    register_queue("reviews.expert", {Role.EXPERT}, _expert_queue, 5)
    register_queue("reviews.panels", {Role.CITY_OFFICER, Role.DISTRICT_OFFICER}, _panel_queue, 20)
    register_queue("reviews.city", {Role.CITY_OFFICER}, _city_review_queue, 19)
