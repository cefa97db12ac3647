"""项目负责人 and 项目组成员: the persons an application names.

One ``TeamMember`` row per person on an application: exactly one of them may be the
负责人 (``kind = lead``; a named unique constraint), the others are 成员 in the order
the applicant gave. The person is an ``accounts.Person`` (name, 身份证号, employer); the
职称 and the 分工 are what this application declares (a title changes over the years, the
application keeps what was signed). The 任务书 shows the team of its application.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Person

from .models import Application


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def leads(self) -> TeamMemberQuerySet:
        return self.filter(kind=TeamMember.Kind.LEAD)

    def in_order(self) -> TeamMemberQuerySet:
        # the 负责人 first ("lead" < "member"), then the members in the applicant's order
        return self.select_related("person__organisation").order_by("kind", "order", "pk")


class TeamMember(models.Model):
    """项目组成员 (or the 项目负责人) of one application."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("Project leader (项目负责人)")
        MEMBER = "member", _("Team member (项目组成员)")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="team"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="team_places"
    )
    kind = models.CharField(_("place in the team"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("professional title (职称)"), max_length=50)
    duty = models.CharField(_("task in the project (分工)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["application", "kind", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "person"], name="teammember_once_per_application"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind="lead"),
                name="teammember_one_lead_per_application",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["lead", "member"]), name="teammember_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["person", "kind"], name="teammember_person_kind")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_kind_display()})"

    @property
    def is_lead(self) -> bool:
        return self.kind == self.Kind.LEAD

    @property
    def scope_path(self) -> str:
        return self.application.scope_path
