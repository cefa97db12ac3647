"""What ``core`` keeps: the record of each import commit (导入记录).

A checked upload carries a token (``core.import_views``); the first request that
presents it claims it by inserting its ``ImportCommit`` row, whose token is unique, in
a transaction of its own before anything is read. Every other request with the same
token, at the same moment or later, finds the row and is told that the file is being
or has been imported, with a link to the result; it imports nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportCommit(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Being imported")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Refused; nothing imported")

    # At most this many problems are kept to show on the result page.
    ERRORS_KEPT = 200

    token = models.CharField(_("upload token"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    filename = models.CharField(_("file"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    summary = models.CharField(_("result"), max_length=500, blank=True)
    # [[row, column, reason], …] of a refused commit
    errors = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="running", finished_at__isnull=True)
                | (~models.Q(status="running") & models.Q(finished_at__isnull=False)),
                name="importcommit_finished_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.filename}"
