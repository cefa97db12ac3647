"""Projects: one record carries a submission from draft to closure.

``Application`` is the 申报 / 项目 record of both flows (``project`` 科技计划项目 and
``award`` 科普惠农兴村). Its ``status`` is a protected django-fsm-2 field; every state and
transition of DESIGN §3 is defined here as a hand-written method with no I/O. Who may
take a transition is a ``rules`` permission (projects/rules.py); what else must hold
(quota, notice ended, deadline …) is checked by the service that calls it
(projects/services.py), which also writes the ``TransitionLog`` row in the same
transaction.

Around it: ``ApplicationFunding`` (amount per instrument) and ``ApplicationBudgetItem``
(amount per budget item), ``Attachment`` (private files), ``Notice`` (公示) with
``Objection`` (异议), and ``RecommendationList`` (推荐汇总表, co-signed by the district
finance bureau in the award flow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation, OrgUnit, Person
from core.money import amount_checks
from core.numbers import format_quantity
from core.uploads import private_upload_path
from funding.models import Call, Category, DayKind, Flow, Instrument


def can(permission: str) -> Callable[[Any, Any], bool]:
    """A django-fsm permission that asks the object-level rule only (never the
    model-level fallback, which would let any officer act anywhere)."""

    def check(instance: Any, user: Any) -> bool:
        return bool(user.has_perm(permission, instance))

    check.__name__ = f"can_{permission.replace('.', '_')}"
    return check


def _is_award(application: Any) -> bool:
    return bool(application.is_award)


def _is_project(application: Any) -> bool:
    return not application.is_award


def _formally_checked(application: Any) -> bool:
    return application.formal_check_at is not None


def _award_after_notice_project_directly(application: Any) -> bool:
    """Award flow: from the district notice; project flow: straight from submitted."""
    return bool((application.status == "district_publicity") == application.is_award)


def _contracted_or_award(application: Any) -> bool:
    return bool(application.status == "contracted" or application.is_award)


class BudgetItem(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment (设备费)")
    MATERIALS = "materials", _("Materials (材料费)")
    TESTING = "testing", _("Testing and processing (测试化验加工费)")
    TRAVEL = "travel", _("Travel (差旅费)")
    CONFERENCE = "conference", _("Meetings (会议费)")
    LABOUR = "labour", _("Labour (劳务费)")
    CONSULTING = "consulting", _("Expert consulting (专家咨询费)")
    POPSCI_MATERIALS = (
        "popsci_materials",
        _("Popular-science materials and equipment (科普资料与设备)"),
    )
    TRAINING = "training", _("Trainings and lectures (培训讲座)")
    EXHIBITION = "exhibition", _("Exhibitions and extension (展览与推广)")
    OTHER = "other", _("Other (其他)")


PROJECT_BUDGET_ITEMS = (
    BudgetItem.EQUIPMENT,
    BudgetItem.MATERIALS,
    BudgetItem.TESTING,
    BudgetItem.TRAVEL,
    BudgetItem.CONFERENCE,
    BudgetItem.LABOUR,
    BudgetItem.CONSULTING,
    BudgetItem.OTHER,
)
AWARD_BUDGET_ITEMS = (
    BudgetItem.POPSCI_MATERIALS,
    BudgetItem.TRAINING,
    BudgetItem.EXHIBITION,
    BudgetItem.OTHER,
)


class ApplicationQuerySet(models.QuerySet["Application"]):
    def visible_to(self, user: Any) -> ApplicationQuerySet:
        """Officers and finance read by region, but never someone else's draft;
        applicants read their own (organisation or, for individuals, their person)."""
        from accounts.permissions import visible_q

        officers = visible_q(user, region="district") & ~Q(status=Application.Status.DRAFT)
        own = visible_q(user, organisation="organisation", person="person")
        return self.filter(officers | own)

    def in_district(self, district: OrgUnit) -> ApplicationQuerySet:
        return self.filter(district__path__startswith=district.path)

    def with_list_columns(self) -> ApplicationQuerySet:
        return self.select_related(
            "call", "call__programme", "category", "organisation", "person", "district"
        )


class Application(ConcurrentTransitionMixin, models.Model):
    """申报 / 项目: the record the state machine drives."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        DISTRICT_PUBLICITY = "district_publicity", _("District public notice")
        RECOMMENDED = "recommended", _("Recommended")
        UNDER_REVIEW = "under_review", _("Expert review")
        REVIEWED = "reviewed", _("Reviewed")
        PUBLICITY = "publicity", _("Public notice")
        APPROVED = "approved", _("Approved")
        CONTRACTED = "contracted", _("Contract signed")
        IN_PROGRESS = "in_progress", _("In progress")
        ACCEPTANCE_REQUESTED = "acceptance_requested", _("Acceptance requested")
        ACCEPTANCE_REVIEW = "acceptance_review", _("Acceptance review")
        RECTIFYING = "rectifying", _("Rectifying")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", _("Failed acceptance")
        CLOSED = "closed", pgettext_lazy("application status", "Closed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DISQUALIFIED = "disqualified", _("Disqualified")
        TERMINATED = "terminated", _("Terminated")

    S = Status
    DISTRICT_STAGE = (S.SUBMITTED, S.DISTRICT_PUBLICITY)
    CITY_STAGE = (S.RECOMMENDED, S.REVIEWED, S.PUBLICITY)

    number = models.CharField(_("application number"), max_length=40, unique=True)
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="applications"
    )
    title = models.CharField(_("title"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("applicant organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("nominee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    amount_requested_fen = models.BigIntegerField(_("amount requested (fen)"), default=0)
    approved_amount_fen = models.BigIntegerField(_("amount approved (fen)"), null=True, blank=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    rejected_stage = models.CharField(_("rejected at"), max_length=30, blank=True)
    formal_check_at = models.DateTimeField(_("formal check passed at"), null=True, blank=True)
    formal_check_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("formal check by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            *amount_checks("projects_application", "amount_requested_fen", "approved_amount_fen"),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(person__isnull=False),
                name="application_has_applicant",
            ),
            models.CheckConstraint(
                condition=Q(amount_requested_fen__gte=0), name="application_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount_fen__isnull=True) | Q(approved_amount_fen__gte=0),
                name="application_approved_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "district", "status"], name="application_call_district"),
            models.Index(fields=["status", "district"], name="application_status_district"),
        ]
        permissions = [("export_recommendations", "Can download the recommendation list")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # --- derived ------------------------------------------------------------------

    @property
    def scope_path(self) -> str:
        return self.district.path

    @property
    def owner_organisation_id(self) -> int | None:
        return self.organisation_id

    @property
    def flow(self) -> str:
        return self.call.programme.flow

    @property
    def is_award(self) -> bool:
        return self.flow == Flow.AWARD

    @property
    def applicant_name(self) -> str:
        if self.category.is_individual and self.person is not None:
            return self.person.name
        return (
            self.organisation.name
            if self.organisation
            else (self.person.name if self.person else "")
        )

    def get_rejected_stage_display(self) -> str:
        """The stage it failed at in words (评审完成 …); the field keeps the state's code."""
        if not self.rejected_stage:
            return ""
        return str(dict(self.Status.choices).get(self.rejected_stage, self.rejected_stage))

    @property
    def is_editable(self) -> bool:
        return self.status in (self.S.DRAFT, self.S.RETURNED)

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        """The state in the words of this record's flow (DESIGN §3: 立项公示 / 终审公示,
        已立项 / 已授予)."""
        return self.get_status_display_for(self.status)

    def get_status_display_for(self, state: str) -> str:
        if state in AWARD_STATUS_LABELS and self.is_award:
            return str(AWARD_STATUS_LABELS[state])
        try:
            return str(Application.Status(state).label)
        except ValueError:
            return state

    # --- transitions (DESIGN §3) ------------------------------------------------------

    @transition(
        field=status,
        source=[S.DRAFT, S.RETURNED],
        target=S.SUBMITTED,
        permission=can("projects.submit_application"),
    )
    def submit(self) -> None:
        """已提交: inside the call window, eligible, not debarred (checked by the service)."""

    @transition(
        field=status,
        source=[S.SUBMITTED, S.DISTRICT_PUBLICITY],
        target=S.RETURNED,
        permission=can("projects.return_application"),
    )
    def return_for_revision(self) -> None:
        """退回修改, with a reason. Also after an upheld objection during the district notice."""
        self.formal_check_at = None
        self.formal_check_by = None

    @transition(
        field=status,
        source=S.SUBMITTED,
        target=S.DISTRICT_PUBLICITY,
        conditions=[_is_award, _formally_checked],
        permission=can("projects.publicise_application"),
    )
    def start_district_publicity(self) -> None:
        """区县公示 (award flow only, after the formal check)."""

    @transition(
        field=status,
        source=[S.SUBMITTED, S.DISTRICT_PUBLICITY],
        target=S.RECOMMENDED,
        conditions=[_formally_checked, _award_after_notice_project_directly],
        permission=can("projects.recommend_application"),
    )
    def recommend(self) -> None:
        """已推荐, within the quota; award flow after the district notice and the co-sign."""

    @transition(
        field=status,
        source=S.RECOMMENDED,
        target=S.UNDER_REVIEW,
        permission=can("projects.review_application"),
    )
    def open_review(self) -> None:
        """专家评审, once experts are assigned."""

    @transition(
        field=status,
        source=S.UNDER_REVIEW,
        target=S.REVIEWED,
        permission=can("projects.review_application"),
    )
    def close_review(self) -> None:
        """评审完成: scores locked."""

    @transition(
        field=status,
        source=S.REVIEWED,
        target=S.PUBLICITY,
        permission=can("projects.review_application"),
    )
    def start_publicity(self) -> None:
        """立项公示 / 终审公示 on the provisional list."""

    @transition(
        field=status,
        source=S.PUBLICITY,
        target=S.APPROVED,
        permission=can("projects.decide_application"),
    )
    def approve(self) -> None:
        """已立项 / 已授予, after the notice ended with no upheld objection."""

    @transition(
        field=status,
        source=S.APPROVED,
        target=S.CONTRACTED,
        conditions=[_is_project],
        permission=can("projects.contract_application"),
    )
    def sign_contract(self) -> None:
        """已签任务书 (project flow); the service posts the commitment."""

    @transition(
        field=status,
        source=[S.CONTRACTED, S.APPROVED],
        target=S.IN_PROGRESS,
        conditions=[_contracted_or_award],
        permission=can("projects.start_application"),
    )
    def start(self) -> None:
        """实施中: the first disbursement was paid."""

    @transition(
        field=status,
        source=[S.IN_PROGRESS, S.RECTIFYING],
        target=S.ACCEPTANCE_REQUESTED,
        permission=can("projects.request_acceptance"),
    )
    def request_acceptance(self) -> None:
        """申请验收, with the final report and indicator actuals."""

    @transition(
        field=status,
        source=S.ACCEPTANCE_REQUESTED,
        target=S.ACCEPTANCE_REVIEW,
        permission=can("projects.conclude_acceptance"),
    )
    def open_acceptance(self) -> None:
        """验收评审, panel assigned."""

    @transition(
        field=status,
        source=S.ACCEPTANCE_REVIEW,
        target=S.RECTIFYING,
        permission=can("projects.conclude_acceptance"),
    )
    def require_rectification(self) -> None:
        """整改中: one chance, due within the programme's rectification period."""

    @transition(
        field=status,
        source=S.ACCEPTANCE_REVIEW,
        target=S.ACCEPTED,
        permission=can("projects.conclude_acceptance"),
    )
    def accept(self) -> None:
        """通过验收."""

    @transition(
        field=status,
        source=[S.ACCEPTANCE_REVIEW, S.RECTIFYING],
        target=S.FAILED,
        permission=can("projects.conclude_acceptance"),
    )
    def fail_acceptance(self) -> None:
        """未通过验收."""

    @transition(
        field=status,
        source=[S.ACCEPTED, S.FAILED, S.TERMINATED],
        target=S.CLOSED,
        permission=can("projects.close_application"),
    )
    def close(self) -> None:
        """已结项: nothing left to pay or recover, or the remainder written off."""

    @transition(
        field=status,
        source=[S.SUBMITTED, S.DISTRICT_PUBLICITY, S.RECOMMENDED, S.REVIEWED, S.PUBLICITY],
        target=S.REJECTED,
        permission=can("projects.reject_application"),
    )
    def reject(self) -> None:
        """未通过: the stage it failed at is recorded."""
        self.rejected_stage = self.status

    @transition(
        field=status,
        source=[S.DRAFT, S.SUBMITTED, S.RETURNED],
        target=S.WITHDRAWN,
        permission=can("projects.withdraw_application"),
    )
    def withdraw(self) -> None:
        """已撤回 by the applicant."""

    @transition(
        field=status,
        source=[
            S.RECOMMENDED,
            S.UNDER_REVIEW,
            S.REVIEWED,
            S.PUBLICITY,
            S.APPROVED,
            S.CONTRACTED,
            S.IN_PROGRESS,
        ],
        target=S.DISQUALIFIED,
        permission=can("projects.disqualify_application"),
    )
    def disqualify(self) -> None:
        """取消资格: fraud found in a spot check."""

    @transition(
        field=status,
        source=[S.CONTRACTED, S.IN_PROGRESS],
        target=S.TERMINATED,
        permission=can("projects.terminate_application"),
    )
    def terminate(self) -> None:
        """终止: releases what was committed and not paid."""


# An award (科普惠农兴村) is not 立项: its city notice is the 终审公示 and it is 授予.
AWARD_STATUS_LABELS = {
    Application.Status.PUBLICITY.value: _("Final public notice"),
    Application.Status.APPROVED.value: _("Awarded"),
}


class ApplicationFunding(models.Model):
    """The amount requested under one instrument."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="funding"
    )
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # set at approval: what was asked, or less after a 核减 (``projects.cuts``)
    approved_fen = models.BigIntegerField(_("amount approved (fen)"), null=True, blank=True)

    class Meta:
        verbose_name = _("requested funding")
        verbose_name_plural = _("requested funding")
        constraints = [
            *amount_checks("projects_funding", "amount_fen", "approved_fen"),
            models.CheckConstraint(
                condition=Q(approved_fen__isnull=True)
                | (Q(approved_fen__gt=0) & Q(approved_fen__lte=models.F("amount_fen"))),
                name="applicationfunding_approved_within_asked",
            ),
            models.UniqueConstraint(
                fields=["application", "instrument"], name="applicationfunding_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="applicationfunding_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.amount_fen}"


class ApplicationBudgetItem(models.Model):
    """The amount requested for one budget item (预算科目)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="budget_items",
    )
    item = models.CharField(_("budget item"), max_length=20, choices=BudgetItem.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("budget item")
        verbose_name_plural = _("budget items")
        constraints = [
            *amount_checks("projects_budgetitem", "amount_fen"),
            models.UniqueConstraint(
                fields=["application", "item"], name="applicationbudgetitem_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="applicationbudgetitem_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.amount_fen}"


# What a person reads for each transition of the state machine: on its button, in a
# message and in the 状态记录 (the trail also records two steps that are not transitions).
ACTION_LABELS: dict[str, Any] = {
    "submit": _("Submit"),
    "return_for_revision": _("Return for revision"),
    "start_district_publicity": _("Start the district notice"),
    "recommend": _("Recommend"),
    "open_review": _("Open expert review"),
    "close_review": _("Close expert review"),
    "start_publicity": _("Start the public notice"),
    "approve": _("Approve"),
    "sign_contract": _("Sign the contract"),
    "start": _("Start"),
    "request_acceptance": _("Request acceptance"),
    "open_acceptance": _("Open acceptance review"),
    "require_rectification": _("Require rectification"),
    "accept": _("Accept"),
    "fail_acceptance": _("Fail acceptance"),
    "close": _("Close"),
    "reject": _("Reject"),
    "withdraw": _("Withdraw"),
    "disqualify": _("Disqualify"),
    "terminate": _("Terminate"),
}
# An award is granted (授予), not approved as a project (立项).
AWARD_ACTION_LABELS: dict[str, Any] = {
    "start_publicity": _("Start the final public notice"),
    "approve": _("Grant the award"),
}


def action_label(name: str, application: Any = None) -> str:
    """A transition's name in the words of the application's flow."""
    if application is not None and name in AWARD_ACTION_LABELS and application.is_award:
        return str(AWARD_ACTION_LABELS[name])
    return str(ACTION_LABELS.get(name, name))


TRAIL_LABELS: dict[str, Any] = {
    **ACTION_LABELS,
    "create": _("Draft created"),
    "formal_check": _("Formal check passed"),
    # 项目变更 and 中期检查 (projects.changes, projects.midterm)
    "change_request": _("Project change requested"),
    "change_approve": _("Project change approved"),
    "change_reject": _("Project change rejected"),
    "midterm_finding": _("Mid-term check finding"),
    "midterm_rectified": _("Mid-term rectification reported"),
    "midterm_resolved": _("Mid-term rectification accepted"),
    "cut": _("Amount cut (核减)"),
    "respread": _("Budget re-spread"),
}


class TransitionLog(models.Model):
    """Who moved an application from which state to which, why and when (append-only)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="transitions",
    )
    transition = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=30, choices=Application.Status.choices)
    to_state = models.CharField(_("to"), max_length=30, choices=Application.Status.choices)
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
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["application", "at"], name="transitionlog_application_at")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.get_from_state_display()} → {self.get_to_state_display()}"

    def get_transition_display(self) -> str:
        """The step in words of the application's flow (提交, 退回修改, 形式审查通过, an
        award's 授予 …), never its code."""
        if self.transition in AWARD_ACTION_LABELS and self.application.is_award:
            return str(AWARD_ACTION_LABELS[self.transition])
        return str(TRAIL_LABELS.get(self.transition, self.transition))

    def get_from_state_display(self) -> str:  # type: ignore[no-redef]
        return self.application.get_status_display_for(self.from_state)

    def get_to_state_display(self) -> str:  # type: ignore[no-redef]
        return self.application.get_status_display_for(self.to_state)


def attachment_upload_to(_instance: Attachment, filename: str) -> str:
    return private_upload_path("applications", filename)


class Attachment(models.Model):
    """A file of an application, stored outside the web root, served by a checked view."""

    class Kind(models.TextChoices):
        APPLICATION_FORM = "form", _("Application form (申报书)")
        EVIDENCE = "evidence", _("Supporting evidence (证明材料)")
        LICENCE = "licence", _("Licence or registration (证照)")
        OTHER = "other", _("Other")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EVIDENCE)
    file = models.FileField(_("file"), upload_to=attachment_upload_to)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def scope_path(self) -> str:
        return self.application.scope_path


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
        Application, verbose_name=_("applications"), related_name="notices"
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
        Application,
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
        Application,
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
        Application, on_delete=models.PROTECT, related_name="recommendation_entry"
    )
    position = models.PositiveIntegerField(_("rank in the list"), default=0)

    class Meta:
        verbose_name = _("recommended application")
        verbose_name_plural = _("recommended applications")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.recommendation_list_id}: {self.application_id}"


# --- from approval to closure: 任务书, progress, acceptance -----------------------------------


class ContractQuerySet(models.QuerySet["Contract"]):
    def visible_to(self, user: Any) -> ContractQuerySet:
        return self.filter(application__in=Application.objects.visible_to(user))


class Contract(models.Model):
    """任务书: what will be delivered (indicators), how the money is spent (budget by item)
    and paid (tranches), and, for repayable funding, how it comes back.

    The applicant confirms it online, the city officer signs it; signing posts the
    commitment to the ledger (``contract_sign``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being drafted")
        CONFIRMED = "confirmed", _("Confirmed by the applicant")
        SIGNED = "signed", _("Signed")

    class RepayMethod(models.TextChoices):
        EQUAL_PRINCIPAL = "equal_principal", _("Equal principal")
        BULLET = "bullet", _("Bullet (all at the end)")

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="contract",
    )
    number = models.CharField(_("contract number (任务书编号)"), max_length=40, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    amount_fen = models.BigIntegerField(_("funding (fen)"))
    budget_line = models.ForeignKey(
        "ledger.BudgetLine",
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    repay_budget_line = models.ForeignKey(
        "ledger.BudgetLine",
        verbose_name=_("budget line of the repayable part"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    repay_principal_fen = models.BigIntegerField(_("repayable part (fen)"), default=0)
    repay_term_months = models.PositiveSmallIntegerField(
        _("repayment term (months)"), null=True, blank=True
    )
    repay_grace_months = models.PositiveSmallIntegerField(
        _("grace period (months)"), null=True, blank=True
    )
    repay_period_months = models.PositiveSmallIntegerField(
        _("months between instalments"), null=True, blank=True
    )
    repay_method = models.CharField(
        _("repayment method"), max_length=20, choices=RepayMethod.choices, blank=True
    )
    fee_rate = models.DecimalField(
        _("usage fee rate (per year)"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    overdue_rate = models.DecimalField(
        _("overdue rate (per day)"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    payee_account = models.CharField(_("payee bank account"), max_length=40)
    payee_bank = models.CharField(_("payee bank"), max_length=200, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drafted_at = models.DateTimeField(_("drafted at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    commitment = models.ForeignKey(
        "ledger.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    repayable = models.ForeignKey(
        "ledger.RepayableAccount",
        verbose_name=_("repayable account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract (任务书)")
        verbose_name_plural = _("contracts (任务书)")
        ordering = ["-drafted_at", "-pk"]
        constraints = [
            *amount_checks("projects_contract", "amount_fen", "repay_principal_fen"),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="contract_period_ordered"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="contract_amount_positive"),
            models.CheckConstraint(
                condition=Q(repay_principal_fen__gte=0)
                & Q(repay_principal_fen__lte=models.F("amount_fen")),
                name="contract_repayable_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(repay_principal_fen=0)
                | (
                    Q(repay_term_months__isnull=False)
                    & Q(fee_rate__isnull=False)
                    & Q(overdue_rate__isnull=False)
                    & ~Q(repay_method="")
                ),
                name="contract_repayable_terms_complete",
            ),
            models.CheckConstraint(
                condition=Q(repay_principal_fen=0) | Q(repay_budget_line__isnull=False),
                name="contract_repayable_has_line",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def scope_path(self) -> str:
        return self.application.scope_path

    @property
    def owner_organisation_id(self) -> int | None:
        return self.application.organisation_id


class ContractIndicator(models.Model):
    """考核指标: what the contract promises, and what was achieved."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("indicator"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["contract", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gt=0), name="contractindicator_target_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {format_quantity(self.target)}{self.unit}"


class ContractBudgetItem(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="budget"
    )
    item = models.CharField(_("budget item"), max_length=20, choices=BudgetItem.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("contract budget item")
        verbose_name_plural = _("contract budget items")
        constraints = [
            *amount_checks("projects_contractitem", "amount_fen"),
            models.UniqueConstraint(fields=["contract", "item"], name="contractbudgetitem_unique"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0), name="contractbudgetitem_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.amount_fen}"


class Tranche(models.Model):
    """One payment of the tranche plan (e.g. 60 % on signing, 40 % after acceptance)."""

    class Trigger(models.TextChoices):
        ON_SIGNING = "on_signing", _("On signing")
        MIDTERM = "midterm", _("After the mid-term report")
        AFTER_ACCEPTANCE = "after_acceptance", _("After acceptance")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ORDERED = "ordered", _("Payment order made")
        STOPPED = "stopped", _("Stopped")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="tranches"
    )
    seq = models.PositiveSmallIntegerField(_("tranche"))
    trigger = models.CharField(_("when"), max_length=20, choices=Trigger.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    repayable = models.BooleanField(_("repayable funding"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    disbursement = models.OneToOneField(
        "ledger.Disbursement",
        verbose_name=_("payment order (拨付单)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        ordering = ["contract", "seq"]
        constraints = [
            *amount_checks("projects_tranche", "amount_fen"),
            models.UniqueConstraint(fields=["contract", "seq"], name="tranche_unique_seq"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="ordered") | Q(disbursement__isnull=False),
                name="tranche_ordered_has_disbursement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} #{self.seq}"


class ProgressReport(models.Model):
    """进展报告 due on a schedule; indicator actuals and spending by budget item."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        FINAL = "final", _("Final report and fund-usage statement")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="reports"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
        help_text=_("Empty for awards, which have no contract."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PROGRESS)
    title = models.CharField(_("title"), max_length=100)
    due_on = models.DateField(_("due on"))
    text = models.TextField(_("report"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("read by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["application", "due_on", "pk"]
        indexes = [models.Index(fields=["due_on", "submitted_at"], name="progressreport_due")]

    def __str__(self) -> str:
        return f"{self.application.number} {self.title}"

    @property
    def scope_path(self) -> str:
        return self.application.scope_path


class IndicatorActual(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="actuals"
    )
    indicator = models.ForeignKey(
        ContractIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="actuals",
    )
    value = models.DecimalField(_("achieved"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("indicator actual")
        verbose_name_plural = _("indicator actuals")
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="indicatoractual_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="indicatoractual_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {format_quantity(self.value)}"


class Spending(models.Model):
    """Cumulative spending by budget item, as stated in a report."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="spending"
    )
    item = models.CharField(_("budget item"), max_length=20, choices=BudgetItem.choices)
    amount_fen = models.BigIntegerField(_("spent to date (fen)"))

    class Meta:
        verbose_name = _("spending")
        verbose_name_plural = _("spending")
        constraints = [
            *amount_checks("projects_spending", "amount_fen"),
            models.UniqueConstraint(fields=["report", "item"], name="spending_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="spending_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.amount_fen}"


class BudgetChange(models.Model):
    """预算调剂 of a contract: a budget item's new amount, approved by the officer."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("budget change", "Requested")
        APPROVED = "approved", pgettext_lazy("budget change", "Approved")
        REJECTED = "rejected", pgettext_lazy("budget change", "Rejected")

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="budget_changes",
    )
    item = models.CharField(_("budget item"), max_length=20, choices=BudgetItem.choices)
    new_amount_fen = models.BigIntegerField(_("new amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
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

    class Meta:
        verbose_name = _("budget change (预算调剂)")
        verbose_name_plural = _("budget changes (预算调剂)")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            *amount_checks("projects_budgetchange", "new_amount_fen"),
            models.CheckConstraint(
                condition=Q(new_amount_fen__gte=0), name="budgetchange_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(decided_at__isnull=False),
                name="budgetchange_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_item_display()} → {self.new_amount_fen}"


class Acceptance(models.Model):
    """验收: the request (final report, actuals, fund usage), the financial acceptance by
    finance, and the conclusion with its completion rate."""

    class FinanceResult(models.TextChoices):
        PASSED = "passed", _("Passed")
        PROBLEMS = "problems", _("Problems found")

    class Conclusion(models.TextChoices):
        ACCEPT = "accept", _("Accepted")
        RECTIFY = "rectify", _("Rectification required")
        FAIL = "fail", _("Failed")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    report = models.OneToOneField(
        ProgressReport,
        verbose_name=_("final report"),
        on_delete=models.PROTECT,
        related_name="acceptance",
    )
    fund_usage = models.TextField(_("fund-usage statement"))
    requested_at = models.DateTimeField(_("requested at"))
    finance_result = models.CharField(
        _("financial acceptance"), max_length=10, choices=FinanceResult.choices, blank=True
    )
    finance_note = models.TextField(_("financial acceptance note"), blank=True)
    finance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("financial acceptance by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finance_at = models.DateTimeField(_("financial acceptance at"), null=True, blank=True)
    completion_pct = models.DecimalField(
        _("indicator completion (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    false_data = models.BooleanField(_("false data found"), default=False)
    conclusion = models.CharField(
        _("conclusion"), max_length=10, choices=Conclusion.choices, blank=True
    )
    conclusion_reason = models.TextField(_("conclusion reasons"), blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concluded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    rectify_due = models.DateField(_("rectification due"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["application", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round"], name="acceptance_unique_round"
            ),
            models.CheckConstraint(
                condition=Q(conclusion="")
                | Q(concluded_at__isnull=False, completion_pct__isnull=False),
                name="acceptance_concluded_has_rate",
            ),
            models.CheckConstraint(
                condition=~Q(conclusion="rectify") | Q(rectify_due__isnull=False),
                name="acceptance_rectify_has_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.round}"

    @property
    def scope_path(self) -> str:
        return self.application.scope_path


class ReminderSent(models.Model):
    """One reminder sent (email and in-app): the unique key makes the daily command idempotent."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


# The team of an application lives in its own module (this one is long enough).
# 项目变更 and 中期检查 live in their own module (this one is long already).
from .change_models import (  # noqa: E402,F401
    ChangeRequest,
    ContractVersion,
    ExtensionRule,
    MidtermCheck,
    MidtermFinding,
)

# The money of a project by instrument (贷款贴息, 核减): models in their own module.
from .funding_models import (  # noqa: E402, F401
    ApprovalCut,
    ContractSubsidy,
    InterestCertificate,
    Loan,
)
from .team_models import TeamMember  # noqa: E402,F401
