"""The ledger: double-entry books for budget lines, disbursements, repayable funding and
the bank.

Design in brief
---------------

* Amounts are integer fen (``BigIntegerField``). A ``Leg`` carries a signed amount:
  positive is a debit, negative a credit; the legs of an ``Entry`` sum to zero and no
  leg is zero. ``Account.balance`` is the running sum of its legs (debit positive), kept
  in the same transaction as the legs so that reading a balance is one row, whatever the
  number of entries. ``ledger_verify`` recomputes every balance from the legs.
* Two books share the journal (DESIGN §6): the budget book (预算会计: appropriation,
  available, committed, approved-awaiting-payment, disbursed, transferred) and the cash
  book (财务会计: bank, fiscal revenue, grant expense, receivables, fee and penalty
  income, write-off loss, recoveries). An entry stays within one book or posts a
  balanced pair in each.
* Entries are append-only. A correction is a reversing entry pointing to the original
  (``reverses``, at most one reversal per entry). Every entry has a unique idempotency
  key and a SHA-256 hash chained to the previous entry (``seq`` orders the chain;
  ``ChainHead`` is the single row that serialises appends); ``hash_version`` says which
  recipe of ``ledger.chain`` made it.
* Accounts that must never go below zero (available, committed, approved, receivables)
  have ``floor_zero``; the services check it after locking the rows and a named check
  constraint refuses it in the database as well.
* On PostgreSQL, triggers (migration 0002) refuse UPDATE and DELETE of entries and legs
  and refuse, at commit, an entry whose legs do not balance; on SQLite, UPDATE triggers
  and the services do the same.
* Everything domain-shaped is an opaque reference: ``programme_code``, ``project_ref``,
  ``payee_name``; regions are ``scope_path`` strings (``/330000/330100/330106/``) given
  by the caller, so the ledger imports no domain app. Users are ``AUTH_USER_MODEL``.
* Only ``ledger.services`` writes these rows; state machines are django-fsm-2 fields
  that nothing but a transition method may change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock

from .money import exact_fen_to_units, fen_to_yuan, format_fen, units_to_exact_fen

USER = settings.AUTH_USER_MODEL


def _fen(verbose: Any, **kwargs: Any) -> models.BigIntegerField:
    return models.BigIntegerField(verbose, **kwargs)


# --- the chart and the journal ----------------------------------------------------


class Side(models.TextChoices):
    DEBIT = "debit", _("Debit")
    CREDIT = "credit", _("Credit")


class AccountQuerySet(models.QuerySet["Account"]):
    def in_scope(self, paths: tuple[str, ...]) -> AccountQuerySet:
        return self.filter(scope_q(paths))


class Account(models.Model):
    """科目: one account of the chart, per budget line, commitment, repayable account or
    bank account."""

    class Book(models.TextChoices):
        BUDGET = "budget", _("Budget book")
        CASH = "cash", _("Cash book")

    class Kind(models.TextChoices):
        APPROPRIATION = "appropriation", _("Appropriation")
        AVAILABLE = "available", _("Available")
        COMMITTED = "committed", _("Committed")
        APPROVED = "approved", _("Approved, awaiting payment")
        DISBURSED = "disbursed", _("Disbursed")
        TRANSFERRED = "transferred", _("Issued to districts")
        BANK = "bank", _("Bank")
        FISCAL_REVENUE = "fiscal_revenue", _("Fiscal appropriation revenue")
        GRANT_EXPENSE = "grant_expense", _("Grant expenditure")
        RECEIVABLE = "receivable", _("Repayable funds receivable")
        FEE_RECEIVABLE = "fee_receivable", _("Usage fee receivable")
        PENALTY_RECEIVABLE = "penalty_receivable", _("Overdue fee receivable")
        USAGE_FEE_INCOME = "usage_fee_income", _("Usage fee income")
        PENALTY_INCOME = "penalty_income", _("Overdue fee income")
        WRITE_OFF = "write_off", _("Write-off loss")
        RECOVERY_INCOME = "recovery_income", _("Recovered after write-off")

    code = models.CharField(_("account code"), max_length=120, unique=True)
    name = models.CharField(pgettext_lazy("ledger", "name"), max_length=200)
    book = models.CharField(_("book"), max_length=10, choices=Book.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    side = models.CharField(_("normal side"), max_length=6, choices=Side.choices)
    floor_zero = models.BooleanField(_("may not go below zero"), default=False)
    # Both are looked up with the kind: the composite indexes below serve them, and the
    # fewer indexes a balance update touches, the cheaper a posting is.
    budget_line = models.ForeignKey(
        "BudgetLine",
        verbose_name=_("budget line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,
    )
    repayable = models.ForeignKey(
        "RepayableAccount",
        verbose_name=_("repayable account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,
    )
    project_ref = models.CharField(_("project reference"), max_length=64, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    balance = _fen(_("balance (fen, debit positive)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_zero=False)
                | Q(side="debit", balance__gte=0)
                | Q(side="credit", balance__lte=0),
                name="ledger_account_not_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(side__in=["debit", "credit"]), name="ledger_account_side_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["budget_line", "kind"], name="ledger_account_line_kind"),
            models.Index(fields=["repayable", "kind"], name="ledger_account_repayable_kind"),
        ]

    def __str__(self) -> str:
        return self.name  # the code is the ledger's key, never shown

    @property
    def normal_balance(self) -> int:
        """The balance on the account's normal side (positive when it is "in credit")."""
        return self.balance if self.side == Side.DEBIT else -self.balance

    @property
    def normal_balance_yuan(self) -> Any:
        return fen_to_yuan(self.normal_balance)


class Entry(models.Model):
    """凭证: a balanced journal entry. Never changed or deleted once posted."""

    class Kind(models.TextChoices):
        BUDGET_ISSUE = "budget_issue", _("Budget issued")
        BUDGET_ADJUST = "budget_adjust", _("Budget adjustment")
        INDICATOR = "indicator", _("Budget indicator issued to a district")
        COMMIT = "commit", _("Commitment")
        RELEASE = "release", _("Commitment released")
        APPROVE = "approve", _("Disbursement approved")
        PAY = "pay", _("Disbursement paid")
        BANK_FUNDING = "bank_funding", _("Funds received in the bank")
        FEE = "fee", _("Usage fee due")
        PENALTY = "penalty", _("Overdue fee accrued")
        REPAYMENT = "repayment", _("Repayment")
        WRITE_OFF = "write_off", _("Write-off")
        RECOVERY = "recovery", _("Recovery after write-off")
        REVERSAL = "reversal", _("Reversal")

    seq = models.BigIntegerField(_("sequence"), unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value_date = models.DateField(_("value date"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    actor = models.ForeignKey(
        USER,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    # Which recipe of ledger.chain made ``hash``: 1 for the entries posted before the
    # actor, the recorded time and the memo were covered (the database's default, so a
    # row written behind the services' back claims the old one), 2 since.
    hash_version = models.PositiveSmallIntegerField(_("hash recipe"), db_default=1)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
            models.CheckConstraint(
                condition=~Q(reverses=F("pk")), name="ledger_entry_not_self_reversing"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.value_date}"


class Leg(models.Model):
    """分录: one line of an entry; positive debits, negative credits, never zero."""

    entry = models.ForeignKey(
        Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="legs"
    )
    # served by the (account, entry) index
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="legs",
        db_index=False,
    )
    amount = _fen(_("amount (fen, debit positive)"))

    class Meta:
        verbose_name = _("entry leg")
        verbose_name_plural = _("entry legs")
        ordering = ["entry", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_leg_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_leg_account_entry")]

    def __str__(self) -> str:
        return f"{self.account.name} {format_fen(self.amount, sign=True)}"


class ChainHead(models.Model):
    """The one row that holds the end of the hash chain; locking it serialises appends."""

    seq = models.BigIntegerField(_("last sequence"), default=0)
    hash = models.CharField(_("last hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("hash chain head")
        verbose_name_plural = _("hash chain head")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="ledger_chainhead_single")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


def scope_q(paths: tuple[str, ...] | list[str], field: str = "scope_path") -> Q:
    """Rows whose region path lies under one of ``paths`` (nothing for no paths)."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


class ScopedQuerySet(models.QuerySet[Any]):
    def in_scope(self, paths: tuple[str, ...] | list[str]) -> Any:
        return self.filter(scope_q(paths))


# --- budget lines ------------------------------------------------------------------


class Instrument(models.TextChoices):
    GRANT = "grant", _("Grant")
    INTEREST_SUBSIDY = "interest_subsidy", _("Loan interest subsidy")
    REPAYABLE = "repayable", _("Repayable funding")
    AWARD = "award", _("Award in lieu of subsidy")


class BudgetLineQuerySet(ScopedQuerySet):
    def with_figures(self) -> BudgetLineQuerySet:
        """Annotates appropriation, available, committed, approved, disbursed and issued
        (fen, on the normal side) in one grouped query."""

        def total(kind: str, sign: int = 1) -> Any:
            return Coalesce(
                models.Sum("accounts__balance", filter=Q(accounts__kind=kind)) * sign,
                models.Value(0),
                output_field=models.BigIntegerField(),
            )

        return self.annotate(
            appropriation_fen=total(Account.Kind.APPROPRIATION, -1),
            available_fen=total(Account.Kind.AVAILABLE),
            committed_fen=total(Account.Kind.COMMITTED),
            approved_fen=total(Account.Kind.APPROVED),
            disbursed_fen=total(Account.Kind.DISBURSED),
            transferred_fen=total(Account.Kind.TRANSFERRED),
        )


class BudgetLine(models.Model):
    """预算科目: year × funding source × instrument × programme, held by a region."""

    class Source(models.TextChoices):
        CITY_SPECIAL = "city_special", _("City special fund")
        SCI_TECH = "sci_tech", _("Science and technology fund")
        TRANSFER = "transfer", _("Transfer from a higher level")
        OTHER = "other", _("Other")

    code = models.CharField(_("budget line code"), max_length=80, unique=True)
    name = models.CharField(pgettext_lazy("ledger", "name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    funding_source = models.CharField(_("funding source"), max_length=20, choices=Source.choices)
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    programme_code = models.CharField(_("programme code"), max_length=20)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("issued from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_lines",
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = BudgetLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["-year", "programme_code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "funding_source", "instrument", "programme_code", "scope_path"],
                name="ledger_budgetline_unique_dimensions",
            ),
        ]

    def __str__(self) -> str:
        return self.name  # e.g. 2026年科技计划项目经费; the code is the ledger's key


class BudgetAdjustment(ConcurrentTransitionMixin, models.Model):
    """预算调剂: a change of a budget line's amount, approved by a second person."""

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("ledger", "Requested")
        APPROVED = "approved", pgettext_lazy("ledger", "Approved")
        REJECTED = "rejected", pgettext_lazy("ledger", "Rejected")

    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    amount_fen = _fen(_("change (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    status = FSMField(_("status"), default=Status.REQUESTED, choices=Status.choices, protected=True)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        USER,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entry = models.OneToOneField(
        Entry,
        verbose_name=_("entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget adjustment")
        verbose_name_plural = _("budget adjustments")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_fen=0), name="ledger_adjustment_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_line.name} {format_fen(self.amount_fen, sign=True)}"

    @transition(field=status, source=Status.REQUESTED, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.REQUESTED, target=Status.REJECTED)
    def reject(self) -> None:
        pass


class BudgetIndicator(models.Model):
    """预算指标下达: the city issues part of its line to a district's finance bureau."""

    document_no = models.CharField(_("document number"), max_length=60)
    from_line = models.ForeignKey(
        BudgetLine, verbose_name=_("from budget line"), on_delete=models.PROTECT, related_name="+"
    )
    to_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("to budget line"),
        on_delete=models.PROTECT,
        related_name="indicators_received",
    )
    amount_fen = _fen(_("amount (fen)"))
    value_date = models.DateField(_("issue date"))
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    issued_by = models.ForeignKey(
        USER, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    entry = models.OneToOneField(
        Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget indicator")
        verbose_name_plural = _("budget indicators")
        ordering = ["-value_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_indicator_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_no} {format_fen(self.amount_fen)}"


class Commitment(models.Model):
    """承诺: money of a budget line set aside for one project (contract signed, award
    granted). What is left of it is the balance of its own committed account."""

    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    project_ref = models.CharField(_("project reference"), max_length=64)
    payee_name = models.CharField(_("payee"), max_length=200, blank=True)
    account = models.OneToOneField(
        Account, verbose_name=_("committed account"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["budget_line", "project_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget_line", "project_ref"], name="ledger_commitment_one_per_project"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_ref} · {self.budget_line.name}"

    @property
    def remaining_fen(self) -> int:
        return self.account.normal_balance


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
    amount_fen = _fen(_("amount (fen)"))
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=True)
    maker = models.ForeignKey(
        USER, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
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
    principal_fen = _fen(_("principal (fen)"))
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
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayable account")
        verbose_name_plural = _("repayable accounts")
        ordering = ["number"]
        constraints = [
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
    principal_due_fen = _fen(_("principal due (fen)"))
    fee_due_fen = _fen(_("usage fee due (fen)"))
    principal_paid_fen = _fen(_("principal paid (fen)"), default=0)
    fee_paid_fen = _fen(_("usage fee paid (fen)"), default=0)
    fee_recognised = models.BooleanField(_("usage fee booked"), default=False)
    schedule_version = models.PositiveSmallIntegerField(_("schedule version"), default=0)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["account", "due_date", "seq"]
        constraints = [
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
    amount_fen = _fen(_("amount (fen)"))
    penalty_fen = _fen(_("to overdue fee (fen)"), default=0)
    fee_fen = _fen(_("to usage fee (fen)"), default=0)
    principal_fen = _fen(_("to principal (fen)"), default=0)
    recovery_fen = _fen(_("recovered after write-off (fen)"), default=0)
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
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["-value_date", "-pk"]
        constraints = [
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
        ]

    def __str__(self) -> str:
        return f"{self.number} {format_fen(self.amount_fen)}"


class ChangeStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("ledger", "Requested")
    APPROVED = "approved", pgettext_lazy("ledger", "Approved")
    REJECTED = "rejected", pgettext_lazy("ledger", "Rejected")


class _ApprovedChange(ConcurrentTransitionMixin, models.Model):
    status = FSMField(
        _("status"), default=ChangeStatus.REQUESTED, choices=ChangeStatus.choices, protected=True
    )
    reason = models.CharField(_("reason"), max_length=300)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        USER,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @transition(field=status, source=ChangeStatus.REQUESTED, target=ChangeStatus.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=ChangeStatus.REQUESTED, target=ChangeStatus.REJECTED)
    def reject(self) -> None:
        pass


class Reschedule(_ApprovedChange):
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


class WriteOff(_ApprovedChange):
    """核销: what cannot be recovered leaves the receivables; a later recovery is booked."""

    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="write_offs",
    )
    value_date = models.DateField(_("write-off date"))
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    principal_fen = _fen(_("principal written off (fen)"), default=0)
    fee_fen = _fen(_("usage fee written off (fen)"), default=0)
    penalty_fen = _fen(_("overdue fee written off (fen)"), default=0)
    entry = models.OneToOneField(
        Entry,
        verbose_name=_("entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account.number} {self.value_date}"

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.fee_fen + self.penalty_fen


# --- bank statements -------------------------------------------------------------------


class BankStatement(models.Model):
    """银行流水: one imported statement of a bank account, with its closing balance."""

    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("bank account"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    opening_balance_fen = _fen(_("opening balance (fen)"))
    closing_balance_fen = _fen(_("closing balance (fen)"))
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    imported_by = models.ForeignKey(
        USER, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    ledger_balance_fen = _fen(_("ledger balance at the end (fen)"), null=True, blank=True)
    checked_at = models.DateTimeField(_("balance checked at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="ledger_statement_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_account.name} {self.period_start}–{self.period_end}"

    @property
    def difference_fen(self) -> int | None:
        if self.ledger_balance_fen is None:
            return None
        return self.closing_balance_fen - self.ledger_balance_fen


class StatementLine(models.Model):
    """A staging row of a statement, matched to a disbursement or a repayment."""

    class Direction(models.TextChoices):
        IN = "in", _("Received (收)")
        OUT = "out", _("Paid out (付)")

    class MatchStatus(models.TextChoices):
        UNMATCHED = "unmatched", _("Unmatched")
        AMBIGUOUS = "ambiguous", _("Ambiguous: waiting for a person")
        MATCHED = "matched", _("Matched")
        IGNORED = "ignored", _("Ignored")

    class Method(models.TextChoices):
        REFERENCE = "reference", _("By reference")
        AMOUNT = "amount", _("By amount and counterparty")
        MANUAL = "manual", _("By a person")

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    bank_account = models.ForeignKey(
        BankAccount, verbose_name=_("bank account"), on_delete=models.PROTECT, related_name="+"
    )
    row_no = models.PositiveIntegerField(_("row"))
    txn_date = models.DateField(_("transaction date"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    amount_fen = _fen(_("amount (fen)"))
    counterparty_name = models.CharField(_("counterparty"), max_length=200, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=40, blank=True)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    status = models.CharField(
        _("match status"),
        max_length=10,
        choices=MatchStatus.choices,
        default=MatchStatus.UNMATCHED,
    )
    method = models.CharField(_("matched"), max_length=10, choices=Method.choices, blank=True)
    disbursement = models.OneToOneField(
        Disbursement,
        verbose_name=_("disbursement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_line",
    )
    repayment = models.OneToOneField(
        Repayment,
        verbose_name=_("repayment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_line",
    )
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    matched_by = models.ForeignKey(
        USER,
        verbose_name=_("matched by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "row_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_statementline_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["bank_account", "bank_reference"],
                name="ledger_statementline_unique_reference",
            ),
            models.CheckConstraint(
                condition=Q(disbursement__isnull=True) | Q(repayment__isnull=True),
                name="ledger_statementline_one_match",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="ledger_statementline_status")]

    def __str__(self) -> str:
        return f"{self.bank_reference} {self.get_direction_display()} {format_fen(self.amount_fen)}"
