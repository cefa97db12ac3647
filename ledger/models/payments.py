"""Bank accounts and disbursements (拨付单)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock
from core.money import amount_checks

from ..money import fen_to_yuan, format_fen
from .base import USER, ScopedQuerySet, fen_field
from .budget import BudgetLine, Commitment
from .journal import Account, Entry

# --- bank --------------------------------------------------------------------------


class BankAccount(models.Model):
    """银行账户 / 国库账户 of a finance body; its ledger account is the cash book's bank."""

    name = models.CharField(pgettext_lazy("ledger", "name"), max_length=200)
    bank_name = models.CharField(_("bank"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=40, unique=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    account = models.OneToOneField(
        Account, verbose_name=_("ledger account"), on_delete=models.PROTECT, related_name="+"
    )
    revenue_account = models.OneToOneField(
        Account,
        verbose_name=_("fiscal revenue account"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.account_number}"


# --- disbursements -------------------------------------------------------------------


class DisbursementQuerySet(ScopedQuerySet):
    def waiting_for_checker(self) -> DisbursementQuerySet:
        return self.filter(status=Disbursement.Status.SUBMITTED)

    def waiting_for_payment(self) -> DisbursementQuerySet:
        return self.filter(status=Disbursement.Status.APPROVED)

    def open(self) -> DisbursementQuerySet:
        return self.filter(
            status__in=[
                Disbursement.Status.DRAFT,
                Disbursement.Status.SUBMITTED,
                Disbursement.Status.APPROVED,
                Disbursement.Status.PAID,
            ]
        )


class Disbursement(ConcurrentTransitionMixin, models.Model):
    """拨付单: one tranche of money to a payee, made by one person and approved by
    another; paid when the bank confirms, reconciled against the bank statement."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("ledger", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("ledger", "Submitted for approval")
        APPROVED = "approved", pgettext_lazy("ledger", "Approved")
        PAID = "paid", pgettext_lazy("ledger", "Paid")
        RECONCILED = "reconciled", pgettext_lazy("ledger", "Reconciled")
        REJECTED = "rejected", pgettext_lazy("ledger", "Rejected")
        CANCELLED = "cancelled", pgettext_lazy("ledger", "Cancelled")
        RETURNED = "returned", pgettext_lazy("ledger", "Returned")

    number = models.CharField(_("number"), max_length=30, unique=True)
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    repayable = models.ForeignKey(
        "RepayableAccount",
        verbose_name=_("repayable account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    project_ref = models.CharField(_("project reference"), max_length=64, blank=True)
    tranche_no = models.PositiveSmallIntegerField(_("tranche"), default=1)
    payee_name = models.CharField(_("payee"), max_length=200)
    payee_ref = models.CharField(
        _("payee reference"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("An opaque identifier of the payee (for example the credit code)."),
    )
    payee_account = models.CharField(_("payee bank account"), max_length=40)
    payee_bank = models.CharField(_("payee bank"), max_length=200, blank=True)
    amount_fen = fen_field(_("amount (fen)"))
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    maker = models.ForeignKey(
        USER, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approver = models.ForeignKey(
        USER,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("paid from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    approve_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pay_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = DisbursementQuerySet.as_manager()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-created_at", "-pk"]
        constraints = [
            *amount_checks("ledger_disbursement", "amount_fen"),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_disbursement_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("maker")),
                name="ledger_disbursement_maker_is_not_checker",
            ),
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(bank_reference=""),
                name="ledger_disbursement_bank_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scope_path"], name="ledger_disb_status_scope"),
            models.Index(fields=["project_ref"], name="ledger_disb_project"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.payee_name} {format_fen(self.amount_fen)}"

    @property
    def amount_yuan(self) -> Decimal:
        return fen_to_yuan(self.amount_fen)

    @property
    def approved_on(self) -> dt.date | None:
        """The local date of the approval: no payment, and no bank line, before it."""
        return clock.local_date(self.approved_at) if self.approved_at else None

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = clock.now()

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self) -> None:
        # the application's clock: the approval date is a business date (payments and
        # bank lines are checked against it), which the demo and tests may set
        self.approved_at = clock.now()

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.DRAFT, Status.SUBMITTED, Status.APPROVED],
        target=Status.CANCELLED,
    )
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.PAID)
    def pay(self) -> None:
        pass

    @transition(field=status, source=Status.PAID, target=Status.RECONCILED)
    def reconcile(self) -> None:
        pass

    @transition(field=status, source=[Status.PAID, Status.RECONCILED], target=Status.RETURNED)
    def return_funds(self) -> None:
        pass
