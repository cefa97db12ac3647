"""What every ledger model shares: fen columns, region scoping, approved changes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock

USER = settings.AUTH_USER_MODEL


def fen_field(verbose: Any, **kwargs: Any) -> models.BigIntegerField:
    return models.BigIntegerField(verbose, **kwargs)


def scope_q(paths: tuple[str, ...] | list[str], field: str = "scope_path") -> Q:
    """Rows whose region path lies under one of ``paths`` (nothing for no paths)."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


class ScopedQuerySet(models.QuerySet[Any]):
    def in_scope(self, paths: tuple[str, ...] | list[str]) -> Any:
        return self.filter(scope_q(paths))


class ChangeStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("ledger", "Requested")
    APPROVED = "approved", pgettext_lazy("ledger", "Approved")
    REJECTED = "rejected", pgettext_lazy("ledger", "Rejected")


class ApprovedChange(ConcurrentTransitionMixin, models.Model):
    status = FSMField(
        _("status"), default=ChangeStatus.REQUESTED, choices=ChangeStatus.choices, protected=True
    )
    reason = models.CharField(_("reason"), max_length=300)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=clock.now)
    decided_by = models.ForeignKey(
        USER,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @transition(field=status, source=ChangeStatus.REQUESTED, target=ChangeStatus.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=ChangeStatus.REQUESTED, target=ChangeStatus.REJECTED)
    def reject(self) -> None:
        pass
