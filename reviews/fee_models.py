"""Expert fees (专家费, issue 15): the programme's rates, and the fee sheet of a panel.

* ``ExpertFeeRate``: a programme pays experts per item scored (按件) or per half-day
  session (按半天), an amount in fen per unit.
* ``ExpertFeeSheet``: the 专家劳务费 of one closed panel, computed from the assignments
  actually submitted, one ``ExpertFeeLine`` per expert (units, gross, taxable income,
  tax withheld under the 劳务报酬 rule of ``reviews.fee_tax``, net). Prepared by an
  officer or the finance maker on a budget line of the programme, approved by the finance
  checker (not its maker), then paid through the ledger (``ledger.services.expert_fees``);
  a paid sheet is locked. ``reviews.fees`` is the only writer.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.money import amount_checks
from funding.models import Programme
from ledger.models import BankAccount, BudgetLine, Entry

from .models import ExpertProfile, Panel

# A rate per item or per half-day above 20 000 yuan is a typing error, not a fee.
MAX_RATE_FEN = 2_000_000
# A panel meets at most 20 half-days (ten days).
MAX_HALF_DAYS = 20


class FeeBasis(models.TextChoices):
    PER_ITEM = "per_item", _("Per item scored (按件)")
    HALF_DAY = "half_day", _("Per half-day session (按半天)")


class ExpertFeeRate(models.Model):
    """专家费标准: what a programme pays an expert per unit of work."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="expert_fee_rates",
    )
    basis = models.CharField(_("fee basis"), max_length=10, choices=FeeBasis.choices)
    amount_fen = models.BigIntegerField(
        _("rate per unit (fen)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_FEN)],
    )
    note = models.CharField(_("basis document"), max_length=200, blank=True)
    # Who set the rate last, and when (empty on rates set before the page existed).
    changed_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("expert fee rate")
        verbose_name_plural = _("expert fee rates")
        ordering = ["programme", "basis"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "basis"], name="expertfeerate_unique"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=1, amount_fen__lte=MAX_RATE_FEN),
                name="expertfeerate_amount_bounded",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=["per_item", "half_day"]), name="expertfeerate_basis_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} · {self.get_basis_display()}"

    @property
    def scope_path(self) -> str:
        return self.programme.owner_unit.path


class ExpertFeeSheetQuerySet(models.QuerySet["ExpertFeeSheet"]):
    def visible_to(self, user: object) -> ExpertFeeSheetQuerySet:
        from accounts.permissions import visible_q

        return self.filter(visible_q(user, region="panel__unit"))


class ExpertFeeSheet(ConcurrentTransitionMixin, models.Model):
    """专家劳务费发放表 of one panel."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared, awaiting the finance checker")
        APPROVED = "approved", _("Approved, awaiting payment")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    number = models.CharField(_("number"), max_length=20, unique=True)
    panel = models.ForeignKey(
        Panel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="fee_sheets"
    )
    status = FSMField(_("status"), default=Status.PREPARED, choices=Status.choices, protected=True)
    basis = models.CharField(_("fee basis"), max_length=10, choices=FeeBasis.choices)
    rate_fen = models.BigIntegerField(
        _("rate per unit (fen)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_FEN)],
    )
    half_days = models.PositiveSmallIntegerField(
        _("half-day sessions"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HALF_DAYS)],
    )
    budget_line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="+"
    )
    gross_fen = models.BigIntegerField(_("gross (fen)"))
    tax_fen = models.BigIntegerField(_("tax withheld (fen)"))
    net_fen = models.BigIntegerField(_("net (fen)"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    made_at = models.DateTimeField(_("prepared at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payment recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("paid from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bank_reference = models.CharField(
        _("bank reference (流水号)"), max_length=60, null=True, blank=True, unique=True
    )
    approve_entry = models.OneToOneField(
        Entry,
        verbose_name=_("approval entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pay_entry = models.OneToOneField(
        Entry,
        verbose_name=_("payment entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ExpertFeeSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert fee sheet")
        verbose_name_plural = _("expert fee sheets")
        ordering = ["-made_at", "-pk"]
        constraints = [
            *amount_checks("expertfeesheet", "gross_fen", "tax_fen", "net_fen"),
            models.UniqueConstraint(
                fields=["panel"],
                condition=~Q(status="rejected"),
                name="expertfeesheet_one_live_per_panel",
            ),
            models.CheckConstraint(
                condition=Q(gross_fen__gt=0, tax_fen__gte=0, net_fen__gt=0)
                & Q(gross_fen=F("net_fen") + F("tax_fen")),
                name="expertfeesheet_totals_add_up",
            ),
            models.CheckConstraint(
                condition=Q(rate_fen__gte=1, rate_fen__lte=MAX_RATE_FEN),
                name="expertfeesheet_rate_bounded",
            ),
            models.CheckConstraint(
                condition=(Q(basis="half_day") & Q(half_days__gte=1, half_days__lte=MAX_HALF_DAYS))
                | (Q(basis="per_item") & Q(half_days__isnull=True)),
                name="expertfeesheet_half_days_with_basis",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(paid_on__isnull=False, pay_entry__isnull=False, bank_reference__isnull=False),
                name="expertfeesheet_paid_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.panel.name}"

    @property
    def scope_path(self) -> str:
        return self.panel.unit.path

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.PAID, self.Status.REJECTED)

    @transition(field=status, source=Status.PREPARED, target=Status.APPROVED)
    def approve(self) -> None:
        """The finance checker approved; the gross is reserved on the budget line."""

    @transition(field=status, source=Status.PREPARED, target=Status.REJECTED)
    def reject(self) -> None:
        """The finance checker sent it back; a new sheet may be prepared."""

    @transition(field=status, source=Status.APPROVED, target=Status.PAID)
    def pay(self) -> None:
        """The bank paid the experts; the sheet is locked."""


class ExpertFeeLine(models.Model):
    """One expert on a fee sheet: units of work, gross, taxable income, tax, net."""

    sheet = models.ForeignKey(
        ExpertFeeSheet, verbose_name=_("fee sheet"), on_delete=models.CASCADE, related_name="lines"
    )
    expert = models.ForeignKey(
        ExpertProfile, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    items = models.PositiveSmallIntegerField(_("items scored"))
    units = models.PositiveSmallIntegerField(_("units paid"))
    gross_fen = models.BigIntegerField(_("gross (fen)"))
    taxable_fen = models.BigIntegerField(_("taxable income (fen)"))
    tax_fen = models.BigIntegerField(_("tax withheld (fen)"))
    net_fen = models.BigIntegerField(_("net (fen)"))
    payee_account = models.CharField(_("bank account"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("expert fee line")
        verbose_name_plural = _("expert fee lines")
        ordering = ["sheet", "pk"]
        constraints = [
            *amount_checks("expertfeeline", "gross_fen", "taxable_fen", "tax_fen", "net_fen"),
            models.UniqueConstraint(fields=["sheet", "expert"], name="expertfeeline_unique"),
            models.CheckConstraint(
                condition=Q(gross_fen__gt=0, tax_fen__gte=0, taxable_fen__gte=0, units__gte=1)
                & Q(gross_fen=F("net_fen") + F("tax_fen"))
                & Q(taxable_fen__lte=F("gross_fen")),
                name="expertfeeline_figures_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet.number} {self.expert.person.name}"
