"""Money of a project by instrument: the bank loan behind a 贷款贴息 (``Loan``), the
approval's 核减 (``ApprovalCut``), the subsidy the 任务书 commits on its own budget line
(``ContractSubsidy``) and the bank interest certificates it is paid against
(``InterestCertificate``).

Imported by ``projects.models`` so that Django registers them with the app; the services
are in ``projects.subsidy`` and ``projects.cuts``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import amount_checks
from funding.models import Instrument

from .models import Application, Contract

MAX_LOAN_MONTHS = 360


class Loan(models.Model):
    """贷款: the bank loan a 贷款贴息 application rests on, as the applicant states it."""

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="loan"
    )
    bank = models.CharField(_("lending bank"), max_length=100)
    contract_no = models.CharField(_("loan contract number"), max_length=60)
    principal_fen = models.BigIntegerField(_("loan principal (fen)"))
    annual_rate = models.DecimalField(
        _("annual interest rate"),
        max_digits=8,
        decimal_places=6,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    start_date = models.DateField(_("loan start date"))
    term_months = models.PositiveSmallIntegerField(
        _("loan term (months)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LOAN_MONTHS)],
    )

    class Meta:
        verbose_name = _("bank loan")
        verbose_name_plural = _("bank loans")
        constraints = [
            *amount_checks("projects_loan", "principal_fen"),
            models.CheckConstraint(
                condition=Q(principal_fen__gt=0), name="projects_loan_principal_positive"
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__gt=0) & Q(annual_rate__lte=1),
                name="projects_loan_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1) & Q(term_months__lte=MAX_LOAN_MONTHS),
                name="projects_loan_term_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.contract_no}"

    @property
    def end_date(self) -> dt.date:
        """The day before the loan's maturity: the last day interest runs."""
        from .contracts import add_months

        return add_months(self.start_date, self.term_months) - dt.timedelta(days=1)


class ApprovalCut(models.Model):
    """核减: the approving officer grants less than was asked under one instrument."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="cuts"
    )
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    requested_fen = models.BigIntegerField(_("amount requested (fen)"))
    approved_fen = models.BigIntegerField(_("amount approved (fen)"))
    reason = models.CharField(_("reason for the cut"), max_length=300)
    cut_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cut by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    cut_at = models.DateTimeField(_("cut at"))

    class Meta:
        verbose_name = _("approval cut (核减)")
        verbose_name_plural = _("approval cuts (核减)")
        ordering = ["application", "instrument"]
        constraints = [
            *amount_checks("projects_cut", "requested_fen", "approved_fen"),
            models.UniqueConstraint(
                fields=["application", "instrument"], name="projects_cut_one_per_instrument"
            ),
            models.CheckConstraint(
                condition=Q(approved_fen__gt=0) & Q(approved_fen__lt=F("requested_fen")),
                name="projects_cut_less_than_asked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_instrument_display()}"

    @property
    def cut_fen(self) -> int:
        return self.requested_fen - self.approved_fen


class ContractSubsidy(models.Model):
    """The 贷款贴息 of a 任务书: committed on its own budget line (instrument
    ``interest_subsidy``) when the contract is signed, paid against interest certificates."""

    contract = models.OneToOneField(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="subsidy"
    )
    amount_fen = models.BigIntegerField(_("approved subsidy (fen)"))
    budget_line = models.ForeignKey(
        "ledger.BudgetLine",
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    commitment = models.ForeignKey(
        "ledger.Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contract interest subsidy")
        verbose_name_plural = _("contract interest subsidies")
        constraints = [
            *amount_checks("projects_contractsubsidy", "amount_fen"),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="projects_contractsubsidy_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.amount_fen}"


class InterestCertificate(models.Model):
    """银行付息凭证: the bank's proof that interest was paid for a period, and the subsidy
    computed from it (paid through a 拨付单 on the subsidy line)."""

    subsidy = models.ForeignKey(
        ContractSubsidy,
        verbose_name=_("contract interest subsidy"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    number = models.CharField(_("certificate number"), max_length=60, unique=True)
    period_from = models.DateField(_("interest period from"))
    period_to = models.DateField(_("interest period to"))
    interest_paid_fen = models.BigIntegerField(_("interest paid (fen)"))
    share_fen = models.BigIntegerField(_("interest × share (fen)"))
    benchmark_fen = models.BigIntegerField(
        _("interest at the benchmark rate (fen)"), null=True, blank=True
    )
    remaining_fen = models.BigIntegerField(_("approved subsidy left (fen)"))
    subsidy_fen = models.BigIntegerField(_("subsidy (fen)"))
    disbursement = models.OneToOneField(
        "ledger.Disbursement",
        verbose_name=_("payment order (拨付单)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("bank interest certificate")
        verbose_name_plural = _("bank interest certificates")
        ordering = ["subsidy", "period_from", "pk"]
        constraints = [
            *amount_checks(
                "projects_certificate",
                "interest_paid_fen",
                "share_fen",
                "benchmark_fen",
                "remaining_fen",
                "subsidy_fen",
            ),
            models.CheckConstraint(
                condition=Q(period_to__gte=F("period_from")),
                name="projects_certificate_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(interest_paid_fen__gt=0), name="projects_certificate_interest_positive"
            ),
            models.CheckConstraint(
                condition=Q(subsidy_fen__gt=0)
                & Q(subsidy_fen__lte=F("share_fen"))
                & Q(subsidy_fen__lte=F("remaining_fen"))
                & (Q(benchmark_fen__isnull=True) | Q(subsidy_fen__lte=F("benchmark_fen"))),
                name="projects_certificate_subsidy_within_caps",
            ),
        ]

    def __str__(self) -> str:
        return self.number
