"""Applications that reach a panel's stage after the panel was set up (recommended late,
acceptance requested late): the officer adds them to the panel while it is not closed,
and their experts are drawn at once with the panel's size, the same conflict rules and a
recorded seed. A closed panel's results are frozen: they need another panel."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from projects import services as projects
from projects.models import Application

from .models import Assignment, Draw, Panel, PanelItem
from .selectors import waiting_for
from .services import ReviewError, _draw_into, _lock_panel

# The step each stage's panel takes on an application when scoring opens.
OPEN_STEP = {
    Panel.Stage.CITY.value: "open_review",
    Panel.Stage.ACCEPTANCE.value: "open_acceptance",
}


def closed_panel_hint(panel: Panel, waiting: Sequence[Application]) -> str:
    return _(
        "This panel is closed and its results are frozen, so %(numbers)s cannot join it: "
        "set up another panel of this stage for them."
    ) % {"numbers": "、".join(a.number for a in waiting[:10])}


@transaction.atomic
def panel_add_items(
    *,
    panel: Panel,
    actor: User,
    applications: Sequence[Application] | None = None,
    seed: int | None = None,
) -> tuple[list[PanelItem], Draw | None]:
    """Add ``applications`` (default: every one waiting for this panel) to a panel that is
    being set up or scoring. Once the panel has experts, each new item gets the panel's
    size drawn with ``seed`` (recorded); on a scoring panel the applications move to
    review as the others did when scoring opened. All or nothing."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.manage_panel", panel):
        raise ReviewError(_("You may not manage this panel."))
    waiting = list(waiting_for(panel))
    if panel.status == Panel.Status.CLOSED:
        if not waiting:
            raise ReviewError(_("The panel is closed."))
        raise ReviewError(closed_panel_hint(panel, waiting))
    if applications is None:
        chosen = waiting
    else:
        allowed = {a.pk for a in waiting}
        refused = [a for a in applications if a.pk not in allowed]
        if refused:
            a = refused[0]
            raise ReviewError(
                _(
                    "%(number)s cannot join this panel: it is “%(state)s” or already on another "
                    "panel of this stage."
                )
                % {"number": a.number, "state": a.get_status_display()}
            )
        chosen = list(applications)
    if not chosen:
        raise ReviewError(_("No application is waiting to join this panel."))
    items = PanelItem.objects.bulk_create(PanelItem(panel=panel, application=a) for a in chosen)
    items = list(PanelItem.objects.filter(panel=panel, application__in=chosen).order_by("pk"))
    draw = None
    if panel.status == Panel.Status.OPEN or Assignment.objects.live().filter(panel=panel).exists():
        draw = _draw_into(
            panel,
            actor=actor,
            seed=seed,
            purpose="fill",
            missing={item.pk: panel.size for item in items},
        )
    step = OPEN_STEP.get(str(panel.stage))
    if panel.status == Panel.Status.OPEN and step is not None:
        for item in items:
            projects.application_take(
                application=item.application,
                name=step,
                actor=actor,
                reason=_("Added to panel %(p)s while it was scoring") % {"p": panel.name},
            )
    return items, draw
