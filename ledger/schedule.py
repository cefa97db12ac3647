"""Repayment schedules for repayable funding (有偿使用资金), computed without the database.

Rules (documented for finance staff and auditors):

* Instalments fall every ``period_months`` months after the start date (a day that does
  not exist in a month is the month's last day). The term and the grace period are whole
  numbers of periods.
* During the grace period (宽限期) only the usage fee is due. After it the principal is
  repaid in equal parts (等额本金: whole fen, the remainder on the last instalment) or all
  at maturity (到期一次还本).
* The usage fee (占用费) of a period is the principal outstanding at the start of that
  period × the yearly rate × months / 12, rounded ROUND_HALF_UP to the fen.
* The overdue fee (逾期占用费) accrues per calendar day after a due date on what is still
  unpaid of that instalment (principal and fee) × the daily rate. It is accumulated
  exactly and booked rounded ROUND_HALF_UP to the fen, so the total does not depend on
  how often it is accrued. A repayment is applied after accruing to its own date; one
  recorded with a date before the last accrual (the nightly aging already ran past it)
  does not take back the overdue fee accrued in between.
* Repayments go to the overdue fee, then usage fees, then principal (oldest first);
  principal beyond what is due repays later instalments early, and once no principal is
  left the usage fees of periods not yet due are dropped.
* A 展期 keeps what fell due by its effective date (those usage fees stay owed and
  overdue until paid) and re-spreads all unpaid principal over the new term.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .errors import LedgerError
from .money import round_to_fen


@dataclass(frozen=True)
class PlannedInstalment:
    due_date: dt.date
    principal_fen: int
    fee_fen: int


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def build_schedule(
    *,
    principal_fen: int,
    start_date: dt.date,
    term_months: int,
    grace_months: int,
    period_months: int,
    bullet: bool,
    fee_rate: Decimal,
) -> list[PlannedInstalment]:
    if principal_fen <= 0:
        raise LedgerError(_("The principal must be greater than zero."))
    if period_months <= 0 or term_months <= 0:
        raise LedgerError(_("The term and the period must be at least one month."))
    if term_months % period_months or grace_months % period_months:
        raise LedgerError(
            _("The term and the grace period must be whole multiples of %(n)d months.")
            % {"n": period_months}
        )
    if grace_months >= term_months:
        raise LedgerError(_("The grace period must be shorter than the term."))
    periods = term_months // period_months
    grace_periods = grace_months // period_months
    repaying = periods - grace_periods
    base, remainder = divmod(principal_fen, repaying)
    plan: list[PlannedInstalment] = []
    outstanding = principal_fen
    for k in range(1, periods + 1):
        fee = round_to_fen(Decimal(outstanding) * fee_rate * period_months / 12)
        if k <= grace_periods:
            principal = 0
        elif bullet:
            principal = principal_fen if k == periods else 0
        else:
            principal = base + (remainder if k == periods else 0)
        plan.append(
            PlannedInstalment(
                due_date=add_months(start_date, k * period_months),
                principal_fen=principal,
                fee_fen=fee,
            )
        )
        outstanding -= principal
    return plan
