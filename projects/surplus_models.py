"""经费决算 and 结余: what an acceptance says was spent per budget item, and what the
closing did with the unspent balance (``projects.surplus``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.money import amount_checks
from funding.models import SurplusRule

from .budget_items import BudgetItem
from .contract_models import Acceptance


class AcceptanceSpending(models.Model):
    """经费决算: one budget item of an acceptance — the 任务书 amount and what was spent
    of the money paid to the unit."""

    acceptance = models.ForeignKey(
        Acceptance,
        verbose_name=_("acceptance"),
        on_delete=models.CASCADE,
        related_name="final_spending",
    )
    item = models.CharField(_("budget item"), max_length=20, choices=BudgetItem.choices)
    budget_fen = models.BigIntegerField(_("budget (fen)"))
    spent_fen = models.BigIntegerField(_("spent (fen)"))

    class Meta:
        verbose_name = _("final account item")
        verbose_name_plural = _("final account items")
        ordering = ["acceptance", "pk"]
        constraints = [
            *amount_checks("projects_acceptancespending", "budget_fen", "spent_fen"),
            models.UniqueConstraint(
                fields=["acceptance", "item"], name="acceptancespending_unique_item"
            ),
            models.CheckConstraint(
                condition=Q(budget_fen__gte=0) & Q(spent_fen__gte=0),
                name="acceptancespending_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.spent_fen}"


class ClosingSurplus(models.Model):
    """结余 at closing: the grant paid, what the 决算 says was spent, the remainder and
    what the programme's rule did with it — a receivable in the ledger (returned) or
    nothing posted (kept, 留用)."""

    application = models.OneToOneField(
        "projects.Application",
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="closing_surplus",
    )
    acceptance = models.ForeignKey(
        Acceptance, verbose_name=_("acceptance"), on_delete=models.PROTECT, related_name="+"
    )
    paid_fen = models.BigIntegerField(_("paid to the unit (fen)"))
    spent_fen = models.BigIntegerField(_("spent (fen)"))
    surplus_fen = models.BigIntegerField(_("unspent balance (fen)"))
    rule = models.CharField(
        _("unspent balance at closing"), max_length=10, choices=SurplusRule.choices
    )
    surplus_return = models.OneToOneField(
        "ledger.SurplusReturn",
        verbose_name=_("unspent balance to return"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("unspent balance at closing")
        verbose_name_plural = _("unspent balances at closing")
        constraints = [
            *amount_checks("projects_closingsurplus", "paid_fen", "spent_fen", "surplus_fen"),
            models.CheckConstraint(
                condition=Q(paid_fen__gte=0) & Q(spent_fen__gte=0) & Q(surplus_fen__gte=0),
                name="closingsurplus_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(surplus_fen__lte=models.F("paid_fen")),
                name="closingsurplus_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(rule="keep", surplus_return__isnull=True)
                | Q(rule="return", surplus_fen=0, surplus_return__isnull=True)
                | Q(rule="return", surplus_fen__gt=0, surplus_return__isnull=False),
                name="closingsurplus_return_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.surplus_fen}"
