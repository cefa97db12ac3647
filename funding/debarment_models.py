"""取消资格 (Debarment) of an organisation or a person (imported by ``funding.models``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person


class DebarmentQuerySet(models.QuerySet["Debarment"]):
    def active_on(self, day: dt.date) -> DebarmentQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gt=day, lifted_at__isnull=True)

    def of(self, *, organisation: Organisation | None, person: Person | None) -> DebarmentQuerySet:
        q = Q(pk__in=[])
        if organisation is not None:
            q |= Q(organisation=organisation)
        if person is not None:
            q |= Q(person=person)
        return self.filter(q)


class Debarment(models.Model):
    """取消资格: no submission by this organisation or person before ``ends_on``."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debarments",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="debarments",
    )
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (exclusive)"))
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("e.g. the application number")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    objects = DebarmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("debarment")
        verbose_name_plural = _("debarments")
        ordering = ["-starts_on"]
        constraints = [
            # exactly one target: an organisation or a person, never both
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, person__isnull=True)
                | Q(organisation__isnull=True, person__isnull=False),
                name="debarment_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="debarment_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation or self.person} → {self.ends_on}"
