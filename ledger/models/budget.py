"""Budget lines (预算科目) and what moves them: adjustments, indicators to districts,
commitments."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock
from core.money import amount_checks

from ..money import format_fen
from .base import USER, ApprovedChange, ScopedQuerySet, fen_field
from .journal import Account, Entry

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
    created_at = models.DateTimeField(_("created at"), default=clock.now)

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
    amount_fen = fen_field(_("change (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    status = FSMField(_("status"), default=Status.REQUESTED, choices=Status.choices, protected=True)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=clock.now)
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
            *amount_checks("ledger_adjustment", "amount_fen"),
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
    """预算指标下达: the city issues part of its line to a district's finance bureau.

    One indicator (``kind`` issue) per ``reference`` — the opaque name of what it is for,
    e.g. an award call — and district line; more money for the same purpose is a
    supplement (追加), asked with a reason and approved by a second person
    (``IndicatorSupplement``), which posts an indicator of kind supplement."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        SUPPLEMENT = "supplement", _("Supplement")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ISSUE)
    reference = models.CharField(_("issued for"), max_length=64, blank=True)
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
    amount_fen = fen_field(_("amount (fen)"))
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
            *amount_checks("ledger_indicator", "amount_fen"),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_indicator_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["reference", "to_line"],
                condition=Q(kind="issue") & ~Q(reference=""),
                name="ledger_indicator_once_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_no} {format_fen(self.amount_fen)}"


class IndicatorSupplement(ApprovedChange):
    """追加: more money for what an indicator was issued for, posted when a second person
    approves it."""

    indicator = models.ForeignKey(
        BudgetIndicator,
        verbose_name=_("budget indicator"),
        on_delete=models.PROTECT,
        related_name="supplements",
    )
    amount_fen = fen_field(_("amount (fen)"))
    document_no = models.CharField(_("document number"), max_length=60)
    value_date = models.DateField(_("issue date"))
    posted = models.OneToOneField(
        BudgetIndicator,
        verbose_name=_("supplement issued"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("indicator supplement")
        verbose_name_plural = _("indicator supplements")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            *amount_checks("ledger_supplement", "amount_fen"),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="ledger_supplement_amount_positive"
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
    created_at = models.DateTimeField(_("created at"), default=clock.now)

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
