"""Repayable funding (有偿资金): accounts, instalments, repayments, 展期 and 核销."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock
from core.money import amount_checks

from ..money import exact_fen_to_units, format_fen, units_to_exact_fen
from .base import USER, ApprovedChange, ScopedQuerySet, fen_field
from .budget import BudgetLine
from .journal import Entry
from .payments import BankAccount

# --- repayable funding -----------------------------------------------------------------


class AgingBucket(models.TextChoices):
    CURRENT = "current", _("Not overdue")
    D1_30 = "1-30", _("1–30 days")
    D31_90 = "31-90", _("31–90 days")
    D91_180 = "91-180", _("91–180 days")
    D181_365 = "181-365", _("181–365 days")
    OVER_365 = "365+", _("Over 365 days")


def aging_bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return AgingBucket.CURRENT
    if days_overdue <= 30:
        return AgingBucket.D1_30
    if days_overdue <= 90:
        return AgingBucket.D31_90
    if days_overdue <= 180:
        return AgingBucket.D91_180
    if days_overdue <= 365:
        return AgingBucket.D181_365
    return AgingBucket.OVER_365


class RepayableAccount(ConcurrentTransitionMixin, models.Model):
    """有偿使用资金: a receivable with a repayment schedule, a usage fee (占用费) and an
    overdue fee (逾期占用费)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("ledger", "Scheduled")
        ACTIVE = "active", pgettext_lazy("ledger", "Active")
        OVERDUE = "overdue", pgettext_lazy("ledger", "Overdue")
        RESCHEDULED = "rescheduled", pgettext_lazy("ledger", "Rescheduled")
        REPAID = "repaid", pgettext_lazy("ledger", "Repaid")
        WRITTEN_OFF = "written_off", pgettext_lazy("ledger", "Written off")

    class Method(models.TextChoices):
        EQUAL_PRINCIPAL = "equal_principal", _("Equal principal")
        BULLET = "bullet", _("Bullet (all principal at maturity)")

    number = models.CharField(_("number"), max_length=30, unique=True)
    project_ref = models.CharField(_("project reference"), max_length=64)
    borrower_name = models.CharField(_("borrower"), max_length=200)
    borrower_ref = models.CharField(
        _("borrower reference"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("An opaque identifier of the borrower (for example the credit code)."),
    )
    borrower_account = models.CharField(_("borrower bank account"), max_length=40, blank=True)
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    principal_fen = fen_field(_("principal (fen)"))
    start_date = models.DateField(_("start date"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    grace_months = models.PositiveSmallIntegerField(_("grace period (months)"), default=0)
    period_months = models.PositiveSmallIntegerField(_("months between instalments"), default=3)
    method = models.CharField(_("repayment method"), max_length=20, choices=Method.choices)
    fee_rate = models.DecimalField(_("usage fee rate (per year)"), max_digits=8, decimal_places=6)
    overdue_rate = models.DecimalField(
        _("overdue fee rate (per day)"), max_digits=8, decimal_places=6
    )
    status = FSMField(_("status"), default=Status.SCHEDULED, choices=Status.choices, protected=True)
    days_overdue = models.PositiveIntegerField(_("days overdue"), default=0)
    aging = models.CharField(
        _("aging bucket"), max_length=10, choices=AgingBucket.choices, default=AgingBucket.CURRENT
    )
    aged_as_of = models.DateField(_("aged as of"), null=True, blank=True)
    penalty_through = models.DateField(_("overdue fee accrued through"), null=True, blank=True)
    # The overdue fee accrued so far, exact, in 1e-8 fen (``penalty_exact`` reads it as
    # Decimal fen): an integer, because SQLite keeps a DecimalField as a float.
    penalty_exact_e8 = models.BigIntegerField(_("overdue fee accrued, exact (1e-8 fen)"), default=0)
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayable account")
        verbose_name_plural = _("repayable accounts")
        ordering = ["number"]
        constraints = [
            *amount_checks("ledger_repayable", "principal_fen"),
            models.CheckConstraint(
                condition=Q(principal_fen__gt=0), name="ledger_repayable_principal_positive"
            ),
            models.CheckConstraint(
                condition=Q(term_months__gt=F("grace_months")),
                name="ledger_repayable_term_after_grace",
            ),
            models.CheckConstraint(
                condition=Q(period_months__gte=1), name="ledger_repayable_period_positive"
            ),
            models.CheckConstraint(
                condition=Q(fee_rate__gte=0) & Q(overdue_rate__gte=0),
                name="ledger_repayable_rates_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "aging"], name="ledger_repayable_aging")]

    def __str__(self) -> str:
        return f"{self.number} {self.borrower_name}"

    @property
    def penalty_exact(self) -> Decimal:
        """The overdue fee accrued so far, in fen, exact (booked rounded half up)."""
        return units_to_exact_fen(self.penalty_exact_e8)

    @penalty_exact.setter
    def penalty_exact(self, fen: Decimal) -> None:
        self.penalty_exact_e8 = exact_fen_to_units(fen)

    @property
    def current_days_overdue(self) -> int:
        """Days past due today (Beijing), read from the schedule (``ledger.aging``), not
        from the last nightly run."""
        from ..aging import days_overdue

        return days_overdue(self, clock.today())

    @property
    def current_aging_label(self) -> str:
        return str(AgingBucket(aging_bucket(self.current_days_overdue)).label)

    @property
    def takes_repayments(self) -> bool:
        """Money can be received on it: while it runs, and after a write-off (booked as
        a recovery); not before the money went out, nor once it is repaid."""
        return self.status in (
            self.Status.ACTIVE,
            self.Status.OVERDUE,
            self.Status.RESCHEDULED,
            self.Status.WRITTEN_OFF,
        )

    @transition(field=status, source=Status.SCHEDULED, target=Status.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=[Status.ACTIVE, Status.RESCHEDULED], target=Status.OVERDUE)
    def fall_overdue(self) -> None:
        pass

    @transition(field=status, source=Status.OVERDUE, target=Status.ACTIVE)
    def cure(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.ACTIVE, Status.OVERDUE, Status.RESCHEDULED],
        target=Status.RESCHEDULED,
    )
    def reschedule(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.ACTIVE, Status.OVERDUE, Status.RESCHEDULED],
        target=Status.REPAID,
    )
    def settle(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.ACTIVE, Status.OVERDUE, Status.RESCHEDULED],
        target=Status.WRITTEN_OFF,
    )
    def write_off(self) -> None:
        pass


class Instalment(models.Model):
    """One due date of a repayment schedule. Superseded instalments (after a 展期) keep
    what was paid on them and drop the rest, which the new instalments carry."""

    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="instalments",
    )
    seq = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    principal_due_fen = fen_field(_("principal due (fen)"))
    fee_due_fen = fen_field(_("usage fee due (fen)"))
    principal_paid_fen = fen_field(_("principal paid (fen)"), default=0)
    fee_paid_fen = fen_field(_("usage fee paid (fen)"), default=0)
    fee_recognised = models.BooleanField(_("usage fee booked"), default=False)
    schedule_version = models.PositiveSmallIntegerField(_("schedule version"), default=0)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["account", "due_date", "seq"]
        constraints = [
            *amount_checks(
                "ledger_instalment",
                "principal_due_fen",
                "fee_due_fen",
                "principal_paid_fen",
                "fee_paid_fen",
            ),
            models.UniqueConstraint(fields=["account", "seq"], name="ledger_instalment_unique_seq"),
            models.CheckConstraint(
                condition=Q(principal_paid_fen__gte=0)
                & Q(principal_paid_fen__lte=F("principal_due_fen")),
                name="ledger_instalment_principal_paid_within_due",
            ),
            models.CheckConstraint(
                condition=Q(fee_paid_fen__gte=0) & Q(fee_paid_fen__lte=F("fee_due_fen")),
                name="ledger_instalment_fee_paid_within_due",
            ),
        ]
        indexes = [
            # the oldest unpaid instalment of an account (``ledger.aging``) is the first
            # entry of this index for the account: one probe, not a scan of its schedule
            models.Index(
                fields=["account", "due_date"],
                condition=Q(principal_paid_fen__lt=F("principal_due_fen"))
                | Q(fee_paid_fen__lt=F("fee_due_fen")),
                name="ledger_instalment_unpaid_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} #{self.seq} {self.due_date}"

    @property
    def unpaid_fen(self) -> int:
        return (
            self.principal_due_fen - self.principal_paid_fen + self.fee_due_fen - self.fee_paid_fen
        )

    @property
    def total_due_fen(self) -> int:
        return self.principal_due_fen + self.fee_due_fen


class RecoveryPath(models.TextChoices):
    """How money came back on a repayable account (``Repayment.path``; the rule is
    ``ledger.services.recovery.repayment_path``)."""

    NORMAL = "normal", pgettext_lazy("recovery", "Normal repayment")
    DUNNING = "dunning", pgettext_lazy("recovery", "Recovered by dunning")
    COURT = "court", pgettext_lazy("recovery", "Recovered through the courts")


class WriteOffBasis(models.TextChoices):
    """On what a 核销 rests: the court's 终结本次执行, or, for an account never handed
    to a court, one of the grounds on which suing is pointless."""

    COURT = "court", pgettext_lazy("recovery", "Court ended enforcement (终结本次执行)")
    BANKRUPTCY = "bankruptcy", pgettext_lazy("recovery", "Borrower's bankruptcy concluded")
    DISSOLVED = "dissolved", pgettext_lazy("recovery", "Borrower dissolved with no assets")
    UNECONOMIC = "uneconomic", pgettext_lazy("recovery", "Too small to sue for")


class Repayment(models.Model):
    """还款: money received on a repayable account, allocated penalty → fee → principal
    (or, after a write-off, booked as a recovery)."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="repayments",
    )
    value_date = models.DateField(_("repayment date"))
    amount_fen = fen_field(_("amount (fen)"))
    penalty_fen = fen_field(_("to overdue fee (fen)"), default=0)
    fee_fen = fen_field(_("to usage fee (fen)"), default=0)
    principal_fen = fen_field(_("to principal (fen)"), default=0)
    recovery_fen = fen_field(_("recovered after write-off (fen)"), default=0)
    path = models.CharField(
        _("recovery path"), max_length=10, choices=RecoveryPath.choices, default="normal"
    )
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("received in"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entry = models.OneToOneField(
        Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="+"
    )
    reconciled = models.BooleanField(_("reconciled"), default=False)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["-value_date", "-pk"]
        constraints = [
            *amount_checks(
                "ledger_repayment",
                "amount_fen",
                "penalty_fen",
                "fee_fen",
                "principal_fen",
                "recovery_fen",
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_repayment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(
                    amount_fen=F("penalty_fen")
                    + F("fee_fen")
                    + F("principal_fen")
                    + F("recovery_fen")
                ),
                name="ledger_repayment_fully_allocated",
            ),
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(bank_reference=""),
                name="ledger_repayment_bank_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(path__in=["normal", "dunning", "court"]),
                name="ledger_repayment_path_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {format_fen(self.amount_fen)}"


class Reschedule(ApprovedChange):
    """展期: the outstanding principal re-spread over a new schedule from a date."""

    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="reschedules",
    )
    effective_date = models.DateField(_("effective date"))
    term_months = models.PositiveSmallIntegerField(_("new term (months)"))
    grace_months = models.PositiveSmallIntegerField(_("new grace period (months)"), default=0)
    method = models.CharField(
        _("repayment method"), max_length=20, choices=RepayableAccount.Method.choices
    )
    old_schedule = models.JSONField(_("schedule before"), default=list, blank=True)

    class Meta:
        verbose_name = _("reschedule")
        verbose_name_plural = _("reschedules")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_months__gt=F("grace_months")),
                name="ledger_reschedule_term_after_grace",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.effective_date}"


class WriteOff(ApprovedChange):
    """核销: what cannot be recovered leaves the receivables; a later recovery is booked."""

    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="write_offs",
    )
    value_date = models.DateField(_("write-off date"))
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    # blank on the write-offs requested before issue 15
    basis = models.CharField(
        _("basis of the write-off"), max_length=12, choices=WriteOffBasis.choices, blank=True
    )
    principal_fen = fen_field(_("principal written off (fen)"), default=0)
    fee_fen = fen_field(_("usage fee written off (fen)"), default=0)
    penalty_fen = fen_field(_("overdue fee written off (fen)"), default=0)
    entry = models.OneToOneField(
        Entry,
        verbose_name=_("entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        constraints = [
            *amount_checks("ledger_writeoff", "principal_fen", "fee_fen", "penalty_fen"),
        ]
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account.number} {self.value_date}"

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.fee_fen + self.penalty_fen
