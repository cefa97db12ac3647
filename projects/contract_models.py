"""The 任务书 (Contract) and the life of a contracted project: indicators, budget items,
tranches, progress reports, spending, budget changes, the acceptance and reminders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import amount_checks
from core.numbers import format_quantity

from .budget_items import BudgetItem


class ContractQuerySet(models.QuerySet["Contract"]):
    def visible_to(self, user: Any) -> ContractQuerySet:
        from .models import Application  # the models module imports this one

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
        "projects.Application",
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
        "projects.Application",
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="reports",
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
        "projects.Application",
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
