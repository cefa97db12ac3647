"""Recovery of overdue repayable funds: 催收 steps and the 催收通知书, the legal case
(移送法院 → 立案 → 判决 → 执行 → 终结本次执行 / 执行完毕), the path a repayment came by,
and the rule on which a 核销 may rest.

The rules (docs/decisions.md, "催收 and legal recovery"):

* A dunning step or a notice is recorded only on an account that is overdue on the
  step's date (read from its schedule, whatever the nightly run did).
* A repayment's path: **court** when the account was referred to a court on or before
  the repayment's date; otherwise **dunning** when the account is overdue on that date
  and a dunning step is dated on or before it; otherwise **normal**. The path is stored
  on the repayment and is the kind of its journal entry (``repayment_dunning`` /
  ``repayment_court``), so the figures are read from the ledger.
* A write-off rests on the court's 终结本次执行 when the account has a legal case (any
  other stage refuses); an account never referred to a court may be written off on a
  recorded ground (bankruptcy concluded, dissolved with no assets, or an amount owed of
  at most ``UNECONOMIC_MAX_FEN``, too small to sue for).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from ..aging import days_overdue
from ..errors import LedgerError
from ..locks import lock_one
from ..models import (
    Account,
    DunningStep,
    Leg,
    LegalCase,
    RepayableAccount,
)
from ..money import positive_fen
from .posting import Kind, _actor_id, _save_transition, check_value_date
from .recovery_rules import MAX_NOTICE_DAYS
from .repayable import OPEN_REPAYABLE, _accrue, _lock_repayable, paid_out_on


def _overdue_on(account: RepayableAccount, day: dt.date, what: str) -> None:
    if account.status not in OPEN_REPAYABLE or days_overdue(account, day) <= 0:
        raise LedgerError(
            _("%(what)s: %(account)s is not overdue on %(day)s; only an overdue account is chased.")
            % {"what": what, "account": account.number, "day": day.isoformat()}
        )


def _step_date(account: RepayableAccount, day: dt.date, what: str) -> dt.date:
    out = paid_out_on(account)
    return check_value_date(
        day, what=what, earliest=(out, _("the day the money was paid out")) if out else None
    )


def _text(value: str, limit: int, what: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise LedgerError(
            _("%(what)s is longer than %(n)d characters.") % {"what": what, "n": limit}
        )
    return value


@transaction.atomic
def dunning_record(
    *,
    account: RepayableAccount,
    kind: str,
    date: dt.date,
    actor: Any,
    text: str = "",
    promised_amount: Decimal | None = None,
    promised_date: dt.date | None = None,
    letter_no: str = "",
) -> DunningStep:
    """Records a 催收 step (a call, a visit, a promise to repay, a reply letter) on an
    overdue account. A notice is issued with ``dunning_notice_issue``."""
    if kind not in DunningStep.Kind.values or kind == DunningStep.Kind.NOTICE:
        raise LedgerError(_("Choose the kind of dunning step (a notice is issued as a letter)."))
    account = lock_one(RepayableAccount, account.pk)
    _step_date(account, date, _("The date of the dunning step"))
    _overdue_on(account, date, _("Dunning step"))
    promised_fen = None
    if kind == DunningStep.Kind.PROMISE:
        if promised_amount is None or promised_date is None:
            raise LedgerError(_("A promise to repay states the amount and the date promised."))
        promised_fen = positive_fen(promised_amount)
        check_value_date(
            promised_date,
            what=_("The date promised"),
            earliest=(date, _("the date of the promise")),
            latest=(date + dt.timedelta(days=MAX_NOTICE_DAYS), _("a year after the promise")),
        )
    elif promised_amount is not None or promised_date is not None:
        raise LedgerError(_("Only a promise to repay states an amount and a date promised."))
    text = _text(text, 1000, _("What was said or written"))
    if not text and kind in (
        DunningStep.Kind.PROMISE,
        DunningStep.Kind.REPLY,
        DunningStep.Kind.VISIT,
    ):
        raise LedgerError(_("Write what was said or written."))
    letter_no = _text(letter_no, 40, _("The letter number"))
    try:
        with transaction.atomic():
            return DunningStep.objects.create(
                account=account,
                kind=kind,
                step_date=date,
                text=text,
                promised_fen=promised_fen,
                promised_date=promised_date if promised_fen else None,
                letter_no=letter_no,
                scope_path=account.scope_path,
                recorded_by_id=_actor_id(actor),
            )
    except IntegrityError as error:
        raise LedgerError(
            _("Letter number %(no)s is already recorded.") % {"no": letter_no}
        ) from error


@transaction.atomic
def dunning_notice_issue(
    *,
    account: RepayableAccount,
    date: dt.date,
    pay_by: dt.date,
    office: str,
    actor: Any,
    text: str = "",
) -> DunningStep:
    """催收通知书: a numbered letter stating what is overdue on ``date`` — the principal
    and usage fees of the instalments due before it, and the overdue fee booked through
    it — and the day to pay by. The overdue fee is accrued to ``date`` first (the same
    booking the nightly run makes), so the letter's figures are the ledger's."""
    office = _text(office, 100, _("The issuing office"))
    if not office:
        raise LedgerError(_("Name the office that issues the notice."))
    text = _text(text, 1000, _("What was said or written"))
    account = _lock_repayable(account.pk)
    _step_date(account, date, _("The date of the notice"))
    _overdue_on(account, date, _("Dunning notice"))
    check_value_date(
        pay_by,
        what=_("The day to pay by"),
        earliest=(date + dt.timedelta(days=1), _("the day after the notice")),
        latest=(date + dt.timedelta(days=MAX_NOTICE_DAYS), _("a year after the notice")),
    )
    if account.penalty_through and date < account.penalty_through:
        raise LedgerError(
            _(
                "The overdue fee is booked through %(day)s; a notice stating it cannot be "
                "dated before that day."
            )
            % {"day": account.penalty_through.isoformat()}
        )
    _accrue(account, date, actor)
    instalments = [i for i in account.instalments.all() if i.due_date < date]
    penalty = Account.objects.get(repayable=account, kind=Kind.PENALTY_RECEIVABLE).normal_balance
    step = DunningStep.objects.create(
        account=account,
        kind=DunningStep.Kind.NOTICE,
        step_date=date,
        text=text,
        letter_no=f"tmp-{uuid.uuid4().hex[:24]}",
        pay_by=pay_by,
        office=office,
        principal_overdue_fen=sum(i.principal_due_fen - i.principal_paid_fen for i in instalments),
        fee_overdue_fen=sum(i.fee_due_fen - i.fee_paid_fen for i in instalments),
        penalty_fen=penalty,
        scope_path=account.scope_path,
        recorded_by_id=_actor_id(actor),
    )
    step.letter_no = f"催收〔{date.year}〕{step.pk:05d}号"
    DunningStep.objects.filter(pk=step.pk).update(letter_no=step.letter_no)
    return step


def _receivable_on(account: RepayableAccount, day: dt.date) -> int:
    """The principal the ledger shows owed at the end of ``day``."""
    fen = Leg.objects.filter(
        account__repayable=account,
        account__kind=Kind.RECEIVABLE,
        entry__value_date__lte=day,
    ).aggregate(fen=Sum("amount"))["fen"]
    return int(fen or 0)


@transaction.atomic
def legal_case_refer(
    *,
    account: RepayableAccount,
    court: str,
    referred_on: dt.date,
    actor: Any,
    note: str = "",
) -> LegalCase:
    """移送法院: hands an overdue account to a court. The principal the ledger shows owed
    at the end of that day is kept on the case (the year's "handed to the courts")."""
    court = _text(court, 100, _("The court"))
    if not court:
        raise LedgerError(_("Name the court the case is referred to."))
    note = _text(note, 500, _("The note"))
    account = lock_one(RepayableAccount, account.pk)
    _step_date(account, referred_on, _("The date of the referral"))
    _overdue_on(account, referred_on, _("Referral to the court"))
    if LegalCase.objects.filter(account=account).exists():
        raise LedgerError(
            _("%(account)s has already been referred to a court.") % {"account": account.number}
        )
    principal = _receivable_on(account, referred_on)
    if principal <= 0:
        raise LedgerError(_("No principal is owed on this account; there is nothing to sue for."))
    return LegalCase.objects.create(
        account=account,
        court=court,
        referred_on=referred_on,
        principal_referred_fen=principal,
        note=note,
        scope_path=account.scope_path,
        referred_by_id=_actor_id(actor),
    )


# stage reached → (transition, the date field it sets, the date field before it)
_ADVANCE = {
    LegalCase.Stage.FILED: ("file", "filed_on", "referred_on"),
    LegalCase.Stage.JUDGED: ("judge", "judged_on", "filed_on"),
    LegalCase.Stage.ENFORCING: ("enforce", "enforcing_on", "judged_on"),
    LegalCase.Stage.TERMINATED: ("terminate", "closed_on", "enforcing_on"),
    LegalCase.Stage.SATISFIED: ("satisfy", "closed_on", "enforcing_on"),
}


@transaction.atomic
def legal_case_advance(
    *,
    case: LegalCase,
    stage: str,
    date: dt.date,
    actor: Any,
    case_number: str = "",
    note: str = "",
) -> LegalCase:
    """Moves the case to its next stage on ``date`` (not before the previous stage's
    date, not after today). Filing (立案) gives the court's case number."""
    _actor_id(actor)
    if stage not in _ADVANCE:
        raise LedgerError(_("Choose the stage the case has reached."))
    case = lock_one(LegalCase, case.pk)
    name, field, previous = _ADVANCE[LegalCase.Stage(stage)]
    labels = dict(LegalCase.Stage.choices)
    before = getattr(case, previous)
    if not can_proceed(getattr(case, name)):
        raise LedgerError(
            _("The case is at the stage %(now)s; it cannot move to %(stage)s.")
            % {"now": case.get_stage_display(), "stage": labels[stage]}
        )
    getattr(case, name)()
    check_value_date(
        date,
        what=_("The date of %(stage)s") % {"stage": labels[stage]},
        earliest=(before, _("the date of the previous stage")) if before else None,
    )
    if stage == LegalCase.Stage.FILED:
        case_number = _text(case_number, 60, _("The case number"))
        if not case_number:
            raise LedgerError(_("Give the court's case number (案号) when the case is filed."))
        if LegalCase.objects.filter(court=case.court, case_number=case_number).exists():
            raise LedgerError(
                _("Case number %(no)s of %(court)s is already recorded.")
                % {"no": case_number, "court": case.court}
            )
        case.case_number = case_number
    setattr(case, field, date)
    if note.strip():
        case.note = _text(note, 500, _("The note"))
    _save_transition(case)
    return case
