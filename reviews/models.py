"""Expert review.

The expert pool lives here (``ExpertProfile``: a person with a title, specialties and a
load cap). Panels, rubrics, assignments and scores are added by the review capability.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Person, User


class ExpertProfileQuerySet(models.QuerySet["ExpertProfile"]):
    def active(self) -> ExpertProfileQuerySet:
        return self.filter(active=True)

    def visible_to(self, user: User) -> ExpertProfileQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="person__region"))


class ExpertProfile(models.Model):
    """评审专家: a person in the expert pool."""

    class Title(models.TextChoices):
        SENIOR = "senior", _("Senior (正高)")
        ASSOCIATE = "associate", _("Associate senior (副高)")
        INTERMEDIATE = "intermediate", _("Intermediate (中级)")

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="expert_profile"
    )
    title = models.CharField(_("professional title"), max_length=20, choices=Title.choices)
    specialties = models.CharField(
        _("specialties"), max_length=200, help_text=_("Separated by 、 or commas.")
    )
    load_cap = models.PositiveSmallIntegerField(_("load cap"), default=20)
    active = models.BooleanField(_("active"), default=True)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["person__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(load_cap__gte=1), name="expert_load_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_title_display()}）"

    @property
    def scope_path(self) -> str:
        return self.person.region.path

    @property
    def specialty_list(self) -> list[str]:
        import re

        return [s for s in re.split(r"[、,，;；\s]+", self.specialties) if s]
