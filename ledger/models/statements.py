"""Bank statements (银行流水) and their staging lines, matched to payments and repayments."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.money import amount_checks

from ..money import format_fen
from .base import USER, ScopedQuerySet, fen_field
from .payments import BankAccount, Disbursement
from .repayable import Repayment

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
    opening_balance_fen = fen_field(_("opening balance (fen)"))
    closing_balance_fen = fen_field(_("closing balance (fen)"))
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    imported_by = models.ForeignKey(
        USER, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"), default=clock.now)
    ledger_balance_fen = fen_field(_("ledger balance at the end (fen)"), null=True, blank=True)
    checked_at = models.DateTimeField(_("balance checked at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-period_end", "-pk"]
        constraints = [
            *amount_checks(
                "ledger_statement",
                "opening_balance_fen",
                "closing_balance_fen",
                "ledger_balance_fen",
            ),
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
    amount_fen = fen_field(_("amount (fen)"))
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
            *amount_checks("ledger_statementline", "amount_fen"),
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
