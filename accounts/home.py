"""The accounts app's menu entries and work queue."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .navigation import Queue, QueueRow, first_rows, register_nav, register_queue
from .roles import REGION_READERS, Role
from .selectors import users_without_role


def _users_without_role(user: Any) -> Queue:
    found, total = first_rows(users_without_role())
    rows = [
        QueueRow(
            label=f"{u.full_name or u.username} ({u.username})",
            url=reverse("admin:accounts_user_change", args=[u.pk]),
            note=str(_("no role yet")),
        )
        for u in found
    ]
    return Queue(
        title=_("Users waiting for a role"),
        rows=rows,
        total=total,
        more_url=reverse("admin:accounts_user_changelist"),
        empty_text=_("Every active user has a role."),
    )


def register() -> None:
    applicant_and_readers = {*REGION_READERS, Role.APPLICANT}
    register_nav(
        "organisations", _("Organisations"), "organisation_list", applicant_and_readers, 20
    )
    register_nav("persons", _("Persons"), "person_list", REGION_READERS, 30)
    register_nav("admin", _("Administration"), "admin:index", {Role.ADMIN, Role.AUDITOR}, 900)
    register_queue("accounts.users_without_role", {Role.ADMIN}, _users_without_role, 900)
