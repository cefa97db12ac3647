"""结余 to return (结余资金收回): the unspent balance of a grant, due from the unit at
closing and received back from the bank statement."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import clock
from core.money import amount_checks

from ..money import format_fen
from .base import USER, ScopedQuerySet, fen_field
from .budget import BudgetLine
from .journal import Account, Entry
from .statements import StatementLine


class SurplusReturn(models.Model):
    """结余 due: one per project, a receivable of its own (Dr receivable, Cr the line's
    grant expense) until a bank statement line brings the money back (Dr bank, Cr the
    receivable; Dr available, Cr disbursed in the budget book)."""

    class Status(models.TextChoices):
        DUE = "due", pgettext_lazy("surplus", "Due")
        RETURNED = "returned", pgettext_lazy("surplus", "Returned")

    number = models.CharField(_("number"), max_length=40, unique=True)
    project_ref = models.CharField(_("project reference"), max_length=64, unique=True)
    payer_name = models.CharField(_("unit"), max_length=200)
    payer_account = models.CharField(_("unit's bank account"), max_length=40, blank=True)
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    amount_fen = fen_field(_("unspent balance due (fen)"))
    account = models.OneToOneField(
        Account,
        verbose_name=_("receivable account"),
        on_delete=models.PROTECT,
        related_name="surplus_return",
    )
    due_entry = models.OneToOneField(
        Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DUE
    )
    statement_line = models.OneToOneField(
        StatementLine,
        verbose_name=_("statement line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surplus_return",
    )
    return_entry = models.OneToOneField(
        Entry,
        verbose_name=_("receipt entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unspent balance to return")
        verbose_name_plural = _("unspent balances to return")
        ordering = ["-created_at", "-pk"]
        constraints = [
            *amount_checks("ledger_surplus", "amount_fen"),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_surplus_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="due", statement_line__isnull=True, return_entry__isnull=True)
                | Q(
                    status="returned",
                    statement_line__isnull=False,
                    return_entry__isnull=False,
                    returned_on__isnull=False,
                ),
                name="ledger_surplus_returned_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.payer_name} {format_fen(self.amount_fen)}"
