"""The chart of accounts and the journal: accounts, entries, legs, the sealed blocks and
the chain head."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import clock
from core.money import amount_checks

from ..money import fen_to_yuan, format_fen
from .base import USER, fen_field, scope_q

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
        EXPERT_FEE_EXPENSE = "expert_fee_expense", _("Expert fee expenditure")
        TAX_PAYABLE = "tax_payable", _("Individual income tax withheld, payable")
        SURPLUS_RECEIVABLE = "surplus_receivable", _("Unspent balance receivable")

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
    balance = fen_field(_("balance (fen, debit positive)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

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
    """凭证: a balanced journal entry. Never changed or deleted once posted, except that
    sealing (``ledger.services.ledger_seal``) gives it, once, its place in the hash chain:
    ``seq``, ``prev_hash`` and ``hash`` are NULL until then (the database refuses any
    other change, and that one twice)."""

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
        REPAYMENT_DUNNING = "repayment_dunning", _("Repayment recovered by dunning")
        REPAYMENT_COURT = "repayment_court", _("Repayment recovered through the courts")
        WRITE_OFF = "write_off", _("Write-off")
        RECOVERY = "recovery", _("Recovery after write-off")
        EXPERT_FEES = "expert_fees", _("Expert fees paid")
        SURPLUS_DUE = "surplus_due", _("Unspent balance due")
        SURPLUS_RETURN = "surplus_return", _("Unspent balance returned")
        REVERSAL = "reversal", _("Reversal")

    seq = models.BigIntegerField(_("sequence"), unique=True, null=True, blank=True)
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
    prev_hash = models.CharField(_("previous hash"), max_length=64, null=True, blank=True)
    hash = models.CharField(_("hash"), max_length=64, null=True, blank=True)
    # Which recipe of ledger.chain made ``hash``: 1 for the entries posted before the
    # actor, the recorded time and the memo were covered (the database's default, so a
    # row written behind the services' back claims the old one), 2 since.
    hash_version = models.PositiveSmallIntegerField(_("hash recipe"), db_default=1)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
            models.CheckConstraint(
                condition=Q(seq__isnull=True, prev_hash__isnull=True, hash__isnull=True)
                | Q(seq__isnull=False, prev_hash__isnull=False, hash__isnull=False),
                name="ledger_entry_sealed_whole",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=F("pk")), name="ledger_entry_not_self_reversing"
            ),
        ]
        # Partial, so a posting of any other kind (nearly all of them) does not touch
        # them: the reports find the few entries of these kinds without reading the
        # journal (the batch summary's commitments, the year's recoveries by date).
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(kind__in=["commit", "release"]),
                name="ledger_entry_commitments",
            ),
            models.Index(
                fields=["value_date"],
                condition=Q(kind__in=["repayment_dunning", "repayment_court", "write_off"]),
                name="ledger_entry_recoveries_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.get_kind_display()} {self.value_date}"

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None

    @property
    def label(self) -> str:
        """``#seq`` once sealed; before, the row's id, said to be unsealed."""
        if self.seq is not None:
            return f"#{self.seq}"
        return str(_("unsealed, id %(id)d") % {"id": self.pk or 0})


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
    amount = fen_field(_("amount (fen, debit positive)"))

    class Meta:
        verbose_name = _("entry leg")
        verbose_name_plural = _("entry legs")
        ordering = ["entry", "pk"]
        constraints = [
            *amount_checks("ledger_leg", "amount"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_leg_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_leg_account_entry")]

    def __str__(self) -> str:
        return f"{self.account.name} {format_fen(self.amount, sign=True)}"


class Block(models.Model):
    """A sealed block of the journal (as certificate logs do): the entries ``first_seq``
    to ``last_seq`` sealed together, its hash chained to the previous block's. Written
    once by sealing, never changed."""

    number = models.BigIntegerField(_("block number"), unique=True)
    first_seq = models.BigIntegerField(_("first sequence"))
    last_seq = models.BigIntegerField(_("last sequence"), unique=True)
    entry_count = models.PositiveIntegerField(_("entries"))
    prev_hash = models.CharField(_("previous block hash"), max_length=64)
    last_entry_hash = models.CharField(_("hash of the last entry"), max_length=64)
    hash = models.CharField(_("block hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        verbose_name = _("sealed block")
        verbose_name_plural = _("sealed blocks")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="ledger_block_number_positive"),
            models.CheckConstraint(
                condition=Q(first_seq__gte=1, last_seq__gte=F("first_seq"))
                & Q(entry_count=F("last_seq") - F("first_seq") + 1),
                name="ledger_block_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} #{self.first_seq}-#{self.last_seq}"


class ChainHead(models.Model):
    """The one row that holds the sealed end of the hash chain; locking it is the seal
    lock (``ledger.locks``), so two sealings never interleave. Postings do not touch it
    on PostgreSQL; on SQLite (one writer at a time anyway) a posting moves
    ``closed_entry_id`` past its entry, which closes the entry to more legs."""

    seq = models.BigIntegerField(_("last sequence"), default=0)
    hash = models.CharField(_("last hash"), max_length=64, blank=True)
    closed_entry_id = models.BigIntegerField(_("last entry closed to legs"), default=0)

    class Meta:
        verbose_name = _("hash chain head")
        verbose_name_plural = _("hash chain head")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="ledger_chainhead_single")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
