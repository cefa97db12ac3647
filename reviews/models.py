"""Expert review.

* ``ExpertProfile``: a person in the expert pool (title, specialties, load cap).
* ``Rubric`` + ``Criterion``: criteria with code, weight, maximum and an optional
  per-criterion minimum; a total threshold. A rubric is frozen once any score uses it;
  changing it then means a new version (``rubric_new_version``). A rubric belongs to
  the region whose officers made it (or to nobody: shared, kept by the administrator).
* ``CallRubric``: the rubric a call is reviewed by (its panels take it unless the
  officer chooses another).
* ``Panel``: one stage of one call (district 初审, city 终审, acceptance 验收) with its
  rubric, size (experts per item), blind flag, aggregation (mean, trimmed mean, median),
  optional per-expert z-score calibration, spread threshold and deadline.
  ``PanelItem`` rows are the applications on the panel; their results are computed by
  ``reviews.aggregation`` and frozen on the item when the panel closes.
* ``Assignment``: one expert on one item (invited → accepted | declined → submitted,
  reopened by an officer). The draw that made it records its seed (``Draw``); every
  change is logged (``AssignmentLog``). ``Score`` rows hold one value per criterion.
* ``ExclusionRequest`` (申请回避): experts an applicant asked to exclude (at most 3).
* ``SpotCheck`` + ``SpotCheckItem`` (抽查): a reproducible sample of recommended award
  nominations and what was found.

Who is in conflict with an application is decided in one place: ``reviews.conflicts``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import OrgUnit, Person, User
from funding.models import Call
from projects.models import Application


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
    def code(self) -> str:
        """专家编号: how officers name an expert on paper score sheets (the 身份证号 is
        masked on every page, and a person's name is not unique)."""
        return self.code_of(self.pk)

    @staticmethod
    def code_of(pk: int) -> str:
        return f"ZJ{pk:04d}"

    @property
    def specialty_list(self) -> list[str]:
        return [s for s in re.split(r"[、,，;；\s]+", self.specialties) if s]


class RubricQuerySet(models.QuerySet["Rubric"]):
    def visible_to(self, user: Any) -> RubricQuerySet:
        """The shared rubrics, those of the regions the user reads, and those of the
        regions above them (a district 初审 may score on its city's rubric)."""
        from accounts.permissions import scope_of, visible_q
        from accounts.roles import REGION_READERS

        above: set[str] = set()
        for path in scope_of(user).paths_for(REGION_READERS):
            parts = [p for p in path.split("/") if p]
            above.update("/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1))
        return self.filter(
            Q(owner_unit__isnull=True)
            | visible_q(user, region="owner_unit")
            | Q(owner_unit__path__in=sorted(above))
        )


class Rubric(models.Model):
    """评分标准: versioned; frozen once a score exists."""

    code = models.CharField(_("code"), max_length=30)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    total_threshold = models.DecimalField(
        _("total threshold"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("60"),
        help_text=_("An item scoring below this does not pass."),
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    owner_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owning region"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: shared by every region, kept by the administrator."),
    )

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rubric_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def scope_path(self) -> str:
        """The owning region's path; a shared rubric lies outside every region."""
        return self.owner_unit.path if self.owner_unit is not None else "\x00shared"

    def maximum_total(self) -> Decimal:
        return sum((c.weight * c.max_score for c in self.criteria.all()), Decimal(0))

    def heaviest(self, criteria: list[Criterion] | None = None) -> Criterion | None:
        """The criterion that breaks ties: highest weight, then highest maximum, then first
        (of ``criteria``, this rubric's criteria already read, when given)."""
        if criteria is None:
            criteria = list(self.criteria.all())
        if not criteria:
            return None
        return sorted(criteria, key=lambda c: (-c.weight, -c.max_score, c.order, c.pk))[0]


class Criterion(models.Model):
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("1"))
    max_score = models.DecimalField(_("maximum"), max_digits=6, decimal_places=2)
    min_score = models.DecimalField(
        _("minimum to pass"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("An item whose score on this criterion is below it does not pass."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_unique_code"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | (Q(min_score__gte=0) & Q(min_score__lte=models.F("max_score"))),
                name="criterion_min_within_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CallRubric(models.Model):
    """The rubric a call is reviewed by: its panels take it unless the officer setting a
    panel up chooses another (a district 初审 may score on a shorter one)."""

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="review_rubric"
    )
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rubric of a call")
        verbose_name_plural = _("rubrics of calls")

    def __str__(self) -> str:
        return f"{self.call} · {self.rubric}"

    @property
    def scope_path(self) -> str:
        return self.call.scope_path


class PanelQuerySet(models.QuerySet["Panel"]):
    def visible_to(self, user: Any) -> PanelQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="unit"))


class Panel(models.Model):
    """评审组: one stage of one call."""

    class Stage(models.TextChoices):
        DISTRICT = "district", _("District first review (初审)")
        CITY = "city", _("City final review (终审)")
        ACCEPTANCE = "acceptance", _("Acceptance (验收)")

    class Aggregation(models.TextChoices):
        MEAN = "mean", _("Mean")
        TRIMMED_MEAN = "trimmed_mean", _("Trimmed mean (drop the highest and the lowest)")
        MEDIAN = "median", _("Median")

    class Status(models.TextChoices):
        SETUP = "setup", _("Being set up")
        OPEN = "open", _("Scoring")
        CLOSED = "closed", _("Finished")

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="panels"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organising region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="panels"
    )
    size = models.PositiveSmallIntegerField(
        _("experts per item"), default=5, validators=[MinValueValidator(1), MaxValueValidator(15)]
    )
    blind = models.BooleanField(_("blind (experts do not see who applied)"), default=False)
    aggregation = models.CharField(
        _("aggregation"), max_length=15, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    calibrate = models.BooleanField(_("per-expert z-score calibration"), default=False)
    spread_threshold = models.DecimalField(
        _("flag when max − min exceeds"), max_digits=6, decimal_places=2, default=Decimal("20")
    )
    deadline = models.DateField(_("scoring deadline"))
    status = FSMField(_("status"), default=Status.SETUP, choices=Status.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set up by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("set up at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = PanelQuerySet.as_manager()

    class Meta:
        verbose_name = _("review panel")
        verbose_name_plural = _("review panels")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                name="panel_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.unit.path

    @transition(field=status, source=Status.SETUP, target=Status.OPEN)
    def open(self) -> None:
        """Experts are drawn; scoring starts."""

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self) -> None:
        """Every assignment submitted or released; results frozen."""


class PanelItem(models.Model):
    """An application on a panel, with its results frozen when the panel closes."""

    panel = models.ForeignKey(
        Panel, verbose_name=_("panel"), on_delete=models.CASCADE, related_name="items"
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="panel_items",
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=4, null=True, blank=True)
    mean = models.DecimalField(_("mean"), max_digits=9, decimal_places=4, null=True, blank=True)
    spread_sd = models.DecimalField(
        _("standard deviation"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    spread_range = models.DecimalField(
        _("max − min"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    n_scores = models.PositiveSmallIntegerField(_("scores"), null=True, blank=True)
    flagged = models.BooleanField(_("spread flagged"), default=False)
    passes = models.BooleanField(_("passes"), default=False)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    # {criterion code: mean of the submitted scores, "12.3456"}: frozen with the rest, so
    # the ranking download of a closed panel reads the items alone (no GROUP BY over the
    # panel's scores)
    criterion_means = models.JSONField(_("criterion means"), default=dict, blank=True)

    class Meta:
        verbose_name = _("panel item")
        verbose_name_plural = _("panel items")
        ordering = ["panel", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "application"], name="panelitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.panel_id}: {self.application_id}"


class Draw(models.Model):
    """A random draw of experts: its seed makes it reproducible."""

    panel = models.ForeignKey(
        Panel, verbose_name=_("panel"), on_delete=models.CASCADE, related_name="draws"
    )
    seed = models.BigIntegerField(_("seed"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("at"))
    purpose = models.CharField(_("purpose"), max_length=100)

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["made_at", "pk"]

    def __str__(self) -> str:
        return f"{self.panel} #{self.pk} {self.get_purpose_display()} {self.seed}"

    PURPOSES: ClassVar[dict[str, Any]] = {
        "draw": _("Random draw"),
        "fill": _("Draw for the missing places"),
        "replace": _("Replacement draw"),
    }

    def get_purpose_display(self) -> str:
        """随机抽取 / 补抽 / 替换抽取, never the code kept in ``purpose``."""
        return str(self.PURPOSES.get(self.purpose, self.purpose))


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def for_expert(self, user: Any) -> AssignmentQuerySet:
        return self.filter(expert__person__user=user)

    def live(self) -> AssignmentQuerySet:
        return self.exclude(status=Assignment.Status.DECLINED)


class Assignment(ConcurrentTransitionMixin, models.Model):
    """One expert on one item of a panel."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited (declaration due)")
        ACCEPTED = "accepted", _("Declared no conflict (scoring)")
        DECLINED = "declined", _("Released")
        SUBMITTED = "submitted", _("Submitted")

    panel = models.ForeignKey(
        Panel, verbose_name=_("panel"), on_delete=models.CASCADE, related_name="assignments"
    )
    item = models.ForeignKey(
        PanelItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="assignments"
    )
    expert = models.ForeignKey(
        ExpertProfile,
        verbose_name=_("expert"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    draw = models.ForeignKey(
        Draw,
        verbose_name=_("draw"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    status = FSMField(_("status"), default=Status.INVITED, choices=Status.choices, protected=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    release_reason = models.CharField(_("why released"), max_length=300, blank=True)
    conflict_declared = models.BooleanField(_("conflict declared by the expert"), default=False)
    comment = models.TextField(_("opinion"), blank=True)
    total = models.DecimalField(
        _("total"),
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Σ weight × score, fixed when submitted."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # {criterion code: score, "12.50"}: the scores as submitted, fixed with the total (the
    # Score rows stay the record); the aggregation reads them with the totals instead of
    # grouping the province's scores
    marks = models.JSONField(_("scores as submitted"), default=dict, blank=True)
    offline = models.BooleanField(_("entered from a paper sheet"), default=False)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["item", "pk"]
        indexes = [
            # a panel's live and submitted assignments counted from the index alone
            models.Index(fields=["panel", "status"], name="assignment_panel_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "expert"], name="assignment_unique_expert_per_item"
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted")
                | (Q(total__isnull=False) & Q(submitted_at__isnull=False)),
                name="assignment_submitted_has_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.item.application_id}"

    @transition(field=status, source=Status.INVITED, target=Status.ACCEPTED)
    def accept(self) -> None:
        """The expert declared no conflict; the application opens to them."""

    @transition(field=status, source=[Status.INVITED, Status.ACCEPTED], target=Status.DECLINED)
    def decline(self) -> None:
        """Released: a conflict declared by the expert, or replaced by an officer."""

    @transition(field=status, source=Status.ACCEPTED, target=Status.SUBMITTED)
    def submit(self) -> None:
        """Scores locked (until an officer reopens, before the panel closes)."""

    @transition(field=status, source=Status.SUBMITTED, target=Status.ACCEPTED)
    def reopen(self) -> None:
        """An officer reopens the scores for correction."""
        self.total = None
        self.submitted_at = None
        self.marks = {}


class AssignmentLog(models.Model):
    """Who changed an assignment, how and why (draw, declaration, replacement, reopen)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("action"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("assignment change")
        verbose_name_plural = _("assignment changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.get_action_display()}"

    ACTIONS: ClassVar[dict[str, Any]] = {
        "drawn": _("Drawn"),
        "conflict_declared": _("Conflict of interest declared"),
        "no_conflict_declared": _("No conflict of interest declared"),
        "paper_declaration": _("Declaration signed on paper"),
        "replaced": _("Replaced"),
        "reopened": _("Reopened"),
        "submitted": _("Scores submitted"),
        "paper_sheet_entered": _("Paper score sheet entered"),
    }

    def get_action_display(self) -> str:
        """What happened, in words (the ``action`` column keeps a code)."""
        return str(self.ACTIONS.get(self.action, self.action))


class Score(models.Model):
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="score_unique_criterion"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name} {self.value}"


class ExclusionRequest(models.Model):
    """申请回避: an expert the applicant asked not to review their application."""

    MAX_PER_APPLICATION = 3

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="exclusion_requests",
    )
    expert = models.ForeignKey(
        ExpertProfile, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    requested_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("exclusion request")
        verbose_name_plural = _("exclusion requests")
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="exclusion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ✗ {self.expert_id}"


class SpotCheckQuerySet(models.QuerySet["SpotCheck"]):
    def visible_to(self, user: Any) -> SpotCheckQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="call__programme__owner_unit"))


class SpotCheck(models.Model):
    """抽查: a reproducible random sample of recommended award nominations."""

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    seed = models.BigIntegerField(_("seed"))
    sample_size = models.PositiveIntegerField(_("sample size"))
    population = models.PositiveIntegerField(_("nominations in the population"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("drawn at"))

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-drawn_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.call} seed={self.seed}"

    @property
    def scope_path(self) -> str:
        return self.call.programme.owner_unit.path


class SpotCheckItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FRAUD = "fraud", _("Fraud found")

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name=_("spot check"), on_delete=models.CASCADE, related_name="items"
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    note = models.TextField(_("findings"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spot-checked nomination")
        verbose_name_plural = _("spot-checked nominations")
        ordering = ["spot_check", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "application"], name="spotcheckitem_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.result}"


# Later subjects live in their own modules; their models stay importable from here.
from .fee_models import (  # noqa: E402,F401
    ExpertFeeLine,
    ExpertFeeRate,
    ExpertFeeSheet,
    FeeBasis,
)
