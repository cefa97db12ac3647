"""Changes after the 任务书 and mid-term checks (imported by ``projects.models``).

* ``ChangeRequest`` (项目变更): the applicant asks to extend the term (延期), to move
  the project to another organisation (承担单位), to edit indicator targets (指标), to
  name another leader (负责人) or another member list (成员);
  the city officer approves or rejects it with a reason. An approved change writes a new
  ``ContractVersion`` (the 任务书 as it now stands; every version is kept and printable).
* ``ExtensionRule``: how often and how far a programme (or one of its calls) lets a
  project be extended; without a rule, once and by at most 12 months.
* ``MidtermCheck`` (中期检查) with one ``MidtermFinding`` per project: 合格, 整改 (what
  to fix, by when; the next tranche is held until the officer accepts the
  rectification — ``projects.payments``) or 不合格 (the project is terminated).

The services are ``projects.changes`` and ``projects.midterm``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from funding.models import Call, Programme

# Without a rule of the programme or the call: one extension of at most 12 months.
DEFAULT_MAX_EXTENSIONS = 1
DEFAULT_MAX_EXTENSION_MONTHS = 12


class ExtensionRule(models.Model):
    """延期 limits of a programme, or of one call of it (the call's rule wins)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+"
    )
    call = models.ForeignKey(
        Call,
        verbose_name=_("call"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: every call of the programme."),
    )
    max_extensions = models.PositiveSmallIntegerField(
        _("extensions allowed per project"),
        default=DEFAULT_MAX_EXTENSIONS,
        validators=[MaxValueValidator(5)],
    )
    max_months = models.PositiveSmallIntegerField(
        _("longest extension in total (months)"),
        default=DEFAULT_MAX_EXTENSION_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )

    class Meta:
        verbose_name = _("extension rule")
        verbose_name_plural = _("extension rules")
        constraints = [
            models.UniqueConstraint(fields=["programme", "call"], name="extensionrule_unique_call"),
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(call__isnull=True),
                name="extensionrule_unique_programme",
            ),
            models.CheckConstraint(
                condition=Q(max_extensions__lte=5), name="extensionrule_count_bounded"
            ),
            models.CheckConstraint(
                condition=Q(max_months__gte=1, max_months__lte=36),
                name="extensionrule_months_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call or self.programme}: {self.max_extensions} × {self.max_months}"


class ContractVersion(models.Model):
    """One version of a 任务书's content: version 1 as signed, one more per approved
    change. ``content`` is what the PDF prints (``projects.documents``)."""

    contract = models.ForeignKey(
        "projects.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveSmallIntegerField(_("version"))
    content = models.JSONField(_("content"))
    made_at = models.DateTimeField(_("dated"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="contractversion_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="contractversion_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number}"


class ChangeRequest(models.Model):
    """项目变更 of a signed 任务书, decided by the city officer."""

    REASON_MAX_LENGTH = 1000

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Term extension (延期)")
        ORGANISATION = "organisation", _("Undertaking organisation (承担单位)")
        INDICATORS = "indicators", _("Indicators (指标)")
        LEADER = "leader", _("Project leader (负责人)")
        MEMBERS = "members", _("Team members (成员)")

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("project change", "Requested")
        APPROVED = "approved", pgettext_lazy("project change", "Approved")
        REJECTED = "rejected", pgettext_lazy("project change", "Rejected")

    contract = models.ForeignKey(
        "projects.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    kind = models.CharField(_("kind of change"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH)
    new_end_date = models.DateField(_("new end date"), null=True, blank=True)
    old_end_date = models.DateField(_("end date before"), null=True, blank=True)
    new_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("new undertaking organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    old_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("undertaking organisation before"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # {indicator pk (as text): [old target, new target]} as decimal strings
    new_targets = models.JSONField(_("new indicator targets"), default=dict, blank=True)
    # 负责人 / 成员: the person asked for as leader, and the team asked for as
    # {"lead": {...}} or {"members": [{...}, ...]}, each {"person": pk, "name", "title",
    # "duty"}; ``team_before`` keeps the team as it was when the change was approved.
    new_leader = models.ForeignKey(
        "accounts.Person",
        verbose_name=_("new project leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_team = models.JSONField(_("new team"), default=dict, blank=True)
    team_before = models.JSONField(_("team before"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(
        _("reason for the decision"), max_length=REASON_MAX_LENGTH, blank=True
    )
    version = models.OneToOneField(
        ContractVersion,
        verbose_name=_("contract version made"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change",
    )

    class Meta:
        verbose_name = _("project change (项目变更)")
        verbose_name_plural = _("project changes (项目变更)")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="extension") | Q(new_end_date__isnull=False),
                name="changerequest_extension_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="organisation") | Q(new_organisation__isnull=False),
                name="changerequest_organisation_named",
            ),
            models.CheckConstraint(
                condition=~Q(kind="leader") | Q(new_leader__isnull=False),
                name="changerequest_leader_named",
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(decided_at__isnull=False),
                name="changerequest_decided_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="changerequest_status")]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_kind_display()}"

    @property
    def scope_path(self) -> str:
        return str(self.contract.application.scope_path)

    @property
    def application(self) -> Any:
        return self.contract.application


class MidtermCheckQuerySet(models.QuerySet["MidtermCheck"]):
    def visible_to(self, user: Any) -> MidtermCheckQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="programme__owner_unit"))


class MidtermCheck(models.Model):
    """中期检查: a round over a programme's projects of one year, on a date."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        _("call year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("title"), max_length=100)
    check_date = models.DateField(_("check date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    objects = MidtermCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("mid-term check (中期检查)")
        verbose_name_plural = _("mid-term checks (中期检查)")
        ordering = ["-check_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="midtermcheck_year_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return str(self.programme.owner_unit.path)


class MidtermFindingQuerySet(models.QuerySet["MidtermFinding"]):
    def holding(self) -> MidtermFindingQuerySet:
        """整改 findings whose rectification the officer has not accepted yet."""
        return self.filter(result=MidtermFinding.Result.RECTIFY, resolved_at__isnull=True)


class MidtermFinding(models.Model):
    """The finding of a check round on one project."""

    TEXT_MAX_LENGTH = 2000

    class Result(models.TextChoices):
        PASS = "pass", _("Passed (合格)")
        RECTIFY = "rectify", _("Rectification required (整改)")
        FAIL = "fail", _("Failed (不合格)")

    check_round = models.ForeignKey(
        MidtermCheck,
        verbose_name=_("mid-term check"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    application = models.ForeignKey(
        "projects.Application",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="midterm_findings",
    )
    result = models.CharField(_("finding"), max_length=10, choices=Result.choices)
    note = models.TextField(_("remarks"), max_length=TEXT_MAX_LENGTH, blank=True)
    to_fix = models.TextField(_("what to fix"), max_length=TEXT_MAX_LENGTH, blank=True)
    rectify_due = models.DateField(_("rectification due"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    rectification = models.TextField(
        _("rectification done"), max_length=TEXT_MAX_LENGTH, blank=True
    )
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectification reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rectified_at = models.DateTimeField(_("rectification reported at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectification accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("rectification accepted at"), null=True, blank=True)

    objects = MidtermFindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("mid-term finding")
        verbose_name_plural = _("mid-term findings")
        ordering = ["check_round", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_round", "application"], name="midtermfinding_unique_project"
            ),
            models.CheckConstraint(
                condition=~Q(result="rectify") | (Q(rectify_due__isnull=False) & ~Q(to_fix="")),
                name="midtermfinding_rectify_has_due",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(rectified_at__isnull=False),
                name="midtermfinding_resolved_after_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_round} · {self.application_id}"

    @property
    def scope_path(self) -> str:
        return str(self.application.scope_path)

    @property
    def owner_organisation_id(self) -> int | None:
        return self.application.organisation_id

    @property
    def is_holding(self) -> bool:
        return self.result == self.Result.RECTIFY and self.resolved_at is None
