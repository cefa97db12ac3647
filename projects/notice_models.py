"""公示 (Notice) with its 异议 (Objection), and the 推荐汇总表 (RecommendationList)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from funding.models import Call, DayKind


class NoticeQuerySet(models.QuerySet["Notice"]):
    def visible_to(self, user: Any) -> NoticeQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="unit"))

    def public_on(self, day: Any) -> NoticeQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Notice(models.Model):
    """公示: a list of applications published for a period, at district or city level."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        CITY = "city", _("City")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="notices"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("publishing region"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (inclusive)"))
    days = models.PositiveSmallIntegerField(_("length"))
    day_kind = models.CharField(_("counted in"), max_length=10, choices=DayKind.choices)
    applications = models.ManyToManyField(
        "projects.Application", verbose_name=_("applications"), related_name="notices"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"))

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.unit.path

    def is_running_on(self, day: Any) -> bool:
        return bool(self.starts_on <= day <= self.ends_on)

    def has_ended_by(self, day: Any) -> bool:
        return bool(day > self.ends_on)


class Objection(models.Model):
    """异议: filed by anyone during a notice, handled by an officer. The address it came
    from (``core.net.client_ip``) is kept for the throttle (``projects.throttle``) and
    so that a flood can be traced; it is shown on no page."""

    # About two pages of Chinese; longer material goes to the publishing office in writing.
    CONTENT_MAX_LENGTH = 2000
    RESOLUTION_MAX_LENGTH = 2000

    class Status(models.TextChoices):
        OPEN = "open", _("Pending")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    class Outcome(models.TextChoices):
        RETURNED = "returned", _("Application returned for revision")
        REJECTED = "rejected", _("Application rejected")

    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.PROTECT, related_name="objections"
    )
    application = models.ForeignKey(
        "projects.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
    )
    name = models.CharField(_("name"), max_length=50)
    contact = models.CharField(_("phone or email"), max_length=100)
    content = models.TextField(_("objection"))
    filed_at = models.DateTimeField(_("filed at"))
    filed_from = models.GenericIPAddressField(_("filed from (address)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    resolution = models.TextField(_("handling note"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["filed_at", "pk"]
        indexes = [models.Index(fields=["notice", "filed_at"], name="objection_notice_filed")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", handled_at__isnull=True)
                | (~Q(status="open") & Q(handled_at__isnull=False)),
                name="objection_handled_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="upheld") | ~Q(outcome=""), name="objection_upheld_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} · {self.name}"

    @property
    def scope_path(self) -> str:
        return self.notice.scope_path


class RecommendationListQuerySet(models.QuerySet["RecommendationList"]):
    def visible_to(self, user: Any) -> RecommendationListQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="district"))


class RecommendationList(models.Model):
    """推荐汇总表: what a district puts forward to the city in a call."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COSIGNED = "cosigned", _("Co-signed by the finance bureau")
        SUBMITTED = "submitted", _("Submitted to the city")

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="recommendation_lists"
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    applications = models.ManyToManyField(
        "projects.Application",
        verbose_name=_("applications"),
        through="RecommendationEntry",
        related_name="recommendation_lists",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made at"))
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cosigned_at = models.DateTimeField(_("co-signed at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    objects = RecommendationListQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation list")
        verbose_name_plural = _("recommendation lists")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(cosigned_at__isnull=False) | Q(status="submitted"),
                name="recommendationlist_cosigned_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.district} #{self.pk}"

    @property
    def scope_path(self) -> str:
        return self.district.path

    @property
    def needs_cosign(self) -> bool:
        return self.call.programme.is_award

    def total_fen(self) -> int:
        return self.applications.aggregate(t=Sum("amount_requested_fen"))["t"] or 0


class RecommendationEntry(models.Model):
    recommendation_list = models.ForeignKey(
        RecommendationList, on_delete=models.CASCADE, related_name="entries"
    )
    application = models.OneToOneField(
        "projects.Application", on_delete=models.PROTECT, related_name="recommendation_entry"
    )
    position = models.PositiveIntegerField(_("rank in the list"), default=0)

    class Meta:
        verbose_name = _("recommended application")
        verbose_name_plural = _("recommended applications")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.recommendation_list_id}: {self.application_id}"


# --- from approval to closure: 任务书, progress, acceptance -----------------------------------
