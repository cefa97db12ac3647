"""Recovery of overdue repayable funds: 催收 (dunning steps and notices) and the legal
case (移送法院 → 立案 → 判决 → 执行 → 终结本次执行 / 执行完毕).

Which path a repayment came by is derived when it is recorded (``Repayment.path``, see
``ledger.services.recovery.repayment_path``) and carried to its journal entry's kind
(``repayment_dunning`` / ``repayment_court``), so the year's figures are read from the
ledger."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import clock
from core.money import amount_checks

from .base import USER, ScopedQuerySet, fen_field
from .repayable import RecoveryPath, RepayableAccount, WriteOffBasis

__all__ = ["DunningStep", "LegalCase", "RecoveryPath", "WriteOffBasis"]


class DunningStep(models.Model):
    """催收: one step taken to chase an overdue account — a notice sent, a call, a
    visit, the borrower's promise to pay or its reply letter."""

    class Kind(models.TextChoices):
        NOTICE = "notice", pgettext_lazy("recovery", "Dunning notice")
        PHONE = "phone", pgettext_lazy("recovery", "Telephone reminder")
        VISIT = "visit", pgettext_lazy("recovery", "Visit")
        PROMISE = "promise", pgettext_lazy("recovery", "Promise to repay")
        REPLY = "reply", pgettext_lazy("recovery", "Reply letter")

    account = models.ForeignKey(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="dunning_steps",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    step_date = models.DateField(_("date"))
    text = models.CharField(_("what was said or written"), max_length=1000, blank=True)
    promised_fen = fen_field(_("amount promised (fen)"), null=True, blank=True)
    promised_date = models.DateField(_("promised by"), null=True, blank=True)
    letter_no = models.CharField(_("letter number"), max_length=40, blank=True)
    # a 催收通知书 only: the figures it states (as of ``date``), the day to pay by and
    # the office that issues it, kept so the letter prints the same every time
    pay_by = models.DateField(_("pay by"), null=True, blank=True)
    office = models.CharField(_("issuing office"), max_length=100, blank=True)
    principal_overdue_fen = fen_field(_("overdue principal (fen)"), default=0)
    fee_overdue_fen = fen_field(_("usage fee owed (fen)"), default=0)
    penalty_fen = fen_field(_("overdue fee owed (fen)"), default=0)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dunning step")
        verbose_name_plural = _("dunning steps")
        ordering = ["account", "step_date", "pk"]
        constraints = [
            *amount_checks(
                "ledger_dunning",
                "promised_fen",
                "principal_overdue_fen",
                "fee_overdue_fen",
                "penalty_fen",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["notice", "phone", "visit", "promise", "reply"]),
                name="ledger_dunning_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(promised_fen__isnull=True) | Q(promised_fen__gt=0),
                name="ledger_dunning_promise_positive",
            ),
            models.CheckConstraint(
                condition=Q(promised_date__isnull=True) | Q(promised_date__gte=F("step_date")),
                name="ledger_dunning_promise_after_step",
            ),
            models.CheckConstraint(
                condition=Q(pay_by__isnull=True) | Q(pay_by__gt=F("step_date")),
                name="ledger_dunning_pay_by_after_notice",
            ),
            models.CheckConstraint(
                condition=~Q(kind="notice") | (~Q(letter_no="") & Q(pay_by__isnull=False)),
                name="ledger_dunning_notice_numbered",
            ),
            models.UniqueConstraint(
                fields=["letter_no"],
                condition=~Q(letter_no=""),
                name="ledger_dunning_letter_no_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.get_kind_display()} {self.step_date}"

    @property
    def owed_fen(self) -> int:
        return self.principal_overdue_fen + self.fee_overdue_fen + self.penalty_fen


class LegalCase(ConcurrentTransitionMixin, models.Model):
    """诉讼: the account handed to a court and the case's stages, each with its date
    (never before the previous stage's)."""

    class Stage(models.TextChoices):
        REFERRED = "referred", pgettext_lazy("recovery", "Referred to the court")
        FILED = "filed", pgettext_lazy("recovery", "Case filed")
        JUDGED = "judged", pgettext_lazy("recovery", "Judgment given")
        ENFORCING = "enforcing", pgettext_lazy("recovery", "Enforcement")
        TERMINATED = "terminated", pgettext_lazy("recovery", "Enforcement terminated")
        SATISFIED = "satisfied", pgettext_lazy("recovery", "Enforcement completed")

    CLOSED = (Stage.TERMINATED, Stage.SATISFIED)

    account = models.OneToOneField(
        RepayableAccount,
        verbose_name=_("repayable account"),
        on_delete=models.PROTECT,
        related_name="legal_case",
    )
    court = models.CharField(_("court"), max_length=100)
    case_number = models.CharField(_("case number"), max_length=60, blank=True)
    stage = FSMField(
        _("stage"), max_length=12, default=Stage.REFERRED, choices=Stage.choices, protected=True
    )
    referred_on = models.DateField(_("referred on"))
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    judged_on = models.DateField(_("judged on"), null=True, blank=True)
    enforcing_on = models.DateField(_("enforcement from"), null=True, blank=True)
    closed_on = models.DateField(_("enforcement ended on"), null=True, blank=True)
    # what the receivable account held when the case was handed over (the ledger's
    # balance at that moment): the "handed to the courts" figure of the year
    principal_referred_fen = fen_field(_("principal outstanding when referred (fen)"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    scope_path = models.CharField(_("region path"), max_length=200, db_index=True)
    referred_by = models.ForeignKey(
        USER, verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    referred_at = models.DateTimeField(_("recorded at"), default=clock.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-referred_on", "-pk"]
        constraints = [
            *amount_checks("ledger_legalcase", "principal_referred_fen"),
            models.CheckConstraint(
                condition=Q(
                    stage__in=[
                        "referred",
                        "filed",
                        "judged",
                        "enforcing",
                        "terminated",
                        "satisfied",
                    ]
                ),
                name="ledger_legalcase_stage_valid",
            ),
            models.CheckConstraint(
                condition=Q(filed_on__isnull=True) | Q(filed_on__gte=F("referred_on")),
                name="ledger_legalcase_filed_after_referral",
            ),
            models.CheckConstraint(
                condition=Q(judged_on__isnull=True) | Q(judged_on__gte=F("filed_on")),
                name="ledger_legalcase_judged_after_filing",
            ),
            models.CheckConstraint(
                condition=Q(enforcing_on__isnull=True) | Q(enforcing_on__gte=F("judged_on")),
                name="ledger_legalcase_enforced_after_judgment",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("enforcing_on")),
                name="ledger_legalcase_closed_after_enforcement",
            ),
            models.CheckConstraint(
                condition=Q(stage="referred") | ~Q(case_number=""),
                name="ledger_legalcase_filed_numbered",
            ),
            models.UniqueConstraint(
                fields=["court", "case_number"],
                condition=~Q(case_number=""),
                name="ledger_legalcase_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.court} {self.case_number}".strip()

    @property
    def is_open(self) -> bool:
        return self.stage not in self.CLOSED

    @property
    def stage_dates(self) -> list[tuple[str, object]]:
        """The stages reached so far with their dates, in order."""
        labels = dict(self.Stage.choices)
        rows = [
            (labels[self.Stage.REFERRED], self.referred_on),
            (labels[self.Stage.FILED], self.filed_on),
            (labels[self.Stage.JUDGED], self.judged_on),
            (labels[self.Stage.ENFORCING], self.enforcing_on),
        ]
        if self.closed_on is not None:
            rows.append((labels[self.stage], self.closed_on))
        return [(str(label), day) for label, day in rows if day is not None]

    @transition(field=stage, source=Stage.REFERRED, target=Stage.FILED)
    def file(self) -> None:
        pass

    @transition(field=stage, source=Stage.FILED, target=Stage.JUDGED)
    def judge(self) -> None:
        pass

    @transition(field=stage, source=Stage.JUDGED, target=Stage.ENFORCING)
    def enforce(self) -> None:
        pass

    @transition(field=stage, source=Stage.ENFORCING, target=Stage.TERMINATED)
    def terminate(self) -> None:
        pass

    @transition(field=stage, source=Stage.ENFORCING, target=Stage.SATISFIED)
    def satisfy(self) -> None:
        pass
