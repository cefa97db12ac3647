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
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Organisation, OrgUnit, Person
from core.money import amount_checks
from core.uploads import private_upload_path
from funding.models import Call, Category, Flow, Instrument

from .budget_items import AWARD_BUDGET_ITEMS, PROJECT_BUDGET_ITEMS, BudgetItem  # noqa: F401


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


# 公示 and 推荐 (Notice, Objection, RecommendationList) and the 任务书 with its life
# (Contract … Acceptance, ReminderSent) live in their own modules: this one was over
# 800 lines. Imported here so that Django and every caller find them as before.
# The team of an application lives in its own module (this one is long enough).
# 项目变更 and 中期检查 live in their own module (this one is long already).
from .change_models import (  # noqa: E402,F401
    ChangeRequest,
    ContractVersion,
    ExtensionRule,
    MidtermCheck,
    MidtermFinding,
)
from .contract_models import (  # noqa: E402,F401
    Acceptance,
    BudgetChange,
    Contract,
    ContractBudgetItem,
    ContractIndicator,
    ContractQuerySet,
    IndicatorActual,
    ProgressReport,
    ReminderSent,
    Spending,
    Tranche,
)

# The money of a project by instrument (贷款贴息, 核减): models in their own module.
from .funding_models import (  # noqa: E402, F401
    ApprovalCut,
    ContractSubsidy,
    InterestCertificate,
    Loan,
)
from .notice_models import (  # noqa: E402,F401
    Notice,
    NoticeQuerySet,
    Objection,
    RecommendationEntry,
    RecommendationList,
    RecommendationListQuerySet,
)

# 经费决算 and 结余 at closing: models in their own module.
from .surplus_models import AcceptanceSpending, ClosingSurplus  # noqa: E402,F401
from .team_models import TeamMember  # noqa: E402,F401
