"""The trail of configuration changes (imported by ``funding.models``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit


class ConfigChangeQuerySet(models.QuerySet["ConfigChange"]):
    def visible_to(self, user: Any) -> ConfigChangeQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="unit"))


class ConfigChange(models.Model):
    """配置变更记录: one change made through the funding (or rubric) services — a programme,
    call, category, eligibility rule, quota, quota cut, district statistic or rubric set up
    or changed, or a call moved along its state machine. Append-only: written in the
    service's transaction, never edited; shown on the call and programme pages."""

    class Subject(models.TextChoices):
        PROGRAMME = "programme", _("programme")
        CALL = "call", _("call")
        CATEGORY = "category", _("category")
        RULE = "rule", _("eligibility rule")
        QUOTA = "quota", _("quota")
        QUOTA_CUT = "quota_cut", _("quota cut")
        STATISTIC = "statistic", _("district statistic")
        RUBRIC = "rubric", _("rubric")

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        APPLY_TEMPLATE = "apply_template", _("Template applied")
        OPEN = "open", _("Opened for submissions")
        CLOSE = "close", _("Closed for submissions")
        START_REVIEW = "start_review", _("Review started")
        DECIDE = "decide", _("Decided")
        ARCHIVE = "archive", _("Archived")
        CUT = "cut", _("Quota cut applied")

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The region whose officers see this change."),
    )
    programme = models.ForeignKey(
        "funding.Programme",
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    call = models.ForeignKey(
        "funding.Call",
        verbose_name=_("call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    subject = models.CharField(_("record"), max_length=12, choices=Subject.choices)
    subject_name = models.CharField(_("which"), max_length=200)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    # [{"field": name, "from": raw, "to": raw}, …]; labels and choice names are looked
    # up when shown, so the trail reads in the reader's language.
    changes = models.JSONField(_("changes"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    objects = ConfigChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["call", "at"], name="configchange_call_at"),
            models.Index(fields=["programme", "at"], name="configchange_programme_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.subject_name}: {self.get_action_display()}"

    @property
    def scope_path(self) -> str:
        return self.unit.path

    def lines(self) -> list[tuple[str, str, str]]:
        """(what, from, to) for each change, in words."""
        from .trail import change_lines

        return change_lines(self)
