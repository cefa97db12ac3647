"""Year-end workbooks prepared in the background (``reports.tasks``): one row per file a
user asked for, with its progress, kept in private storage under the user's own folder
and offered to that user only. The region read is the user's scope at the time the file
is built (``reports.scope``), narrowed to the region they chose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock


class WorkbookExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    region_code = models.CharField(_("region"), max_length=12, blank=True)
    label = models.CharField(_("scope"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.CharField(_("file"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("year-end workbook")
        verbose_name_plural = _("year-end workbooks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="reports_export_progress_percent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.label}"

    @property
    def filename(self) -> str:
        return f"{self.year}年度报表-{self.label}.xlsx"

    @property
    def fallback_name(self) -> str:
        suffix = f"-{self.region_code}" if self.region_code else ""
        return f"year-end-{self.year}{suffix}.xlsx"
