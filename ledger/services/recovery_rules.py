"""The rules of recovery that the repayment and write-off services ask (kept apart from
``ledger.services.recovery``, which builds on ``ledger.services.repayable``): the path a
repayment came by, and whether a write-off may rest on a ground. See the docstring of
``ledger.services.recovery`` and docs/decisions.md."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from ..aging import days_overdue
from ..models import (
    DunningStep,
    Entry,
    LegalCase,
    RecoveryPath,
    RepayableAccount,
    WriteOffBasis,
)
from ..money import format_fen

# An account never referred to a court may be written off as "too small to sue for"
# only when everything it owes is at most this (10 000 yuan): below it a suit costs
# more than it can bring back.
UNECONOMIC_MAX_FEN = 1_000_000
# The longest a 催收通知书 may give to pay (a year).
MAX_NOTICE_DAYS = 366

ENTRY_KIND: dict[str, str] = {
    RecoveryPath.NORMAL: Entry.Kind.REPAYMENT,
    RecoveryPath.DUNNING: Entry.Kind.REPAYMENT_DUNNING,
    RecoveryPath.COURT: Entry.Kind.REPAYMENT_COURT,
}


def repayment_path(account: RepayableAccount, value_date: dt.date) -> str:
    """The path money received on ``value_date`` came by (the rule above)."""
    if LegalCase.objects.filter(account=account, referred_on__lte=value_date).exists():
        return RecoveryPath.COURT
    chased = DunningStep.objects.filter(account=account, step_date__lte=value_date).exists()
    if chased and (
        account.status == RepayableAccount.Status.WRITTEN_OFF
        or days_overdue(account, value_date) > 0
    ):
        return RecoveryPath.DUNNING
    return RecoveryPath.NORMAL


def write_off_problem(account: RepayableAccount, basis: str, owed_fen: int) -> str | None:
    """Why ``account`` may not be written off on ``basis`` (None: it may)."""
    case = LegalCase.objects.filter(account=account).first()
    if case is not None:
        if case.stage != LegalCase.Stage.TERMINATED:
            return _(
                "The account is in court (%(stage)s); it can be written off only after the "
                "court ends enforcement (终结本次执行)."
            ) % {"stage": case.get_stage_display()}
        if basis != WriteOffBasis.COURT:
            return _(
                "The account was referred to a court; its write-off rests on the court's ruling."
            )
        return None
    if basis == WriteOffBasis.COURT:
        return _(
            "The account has no legal case; a write-off without the court's 终结本次执行 needs "
            "another ground (bankruptcy concluded, dissolved with no assets, or too small to sue for)."
        )
    if basis not in WriteOffBasis.values:
        return _("Choose the basis of the write-off.")
    if basis == WriteOffBasis.UNECONOMIC and owed_fen > UNECONOMIC_MAX_FEN:
        return _(
            "%(owed)s yuan is owed; only %(max)s yuan or less may be written off as too small "
            "to sue for. Refer the account to a court."
        ) % {"owed": format_fen(owed_fen), "max": format_fen(UNECONOMIC_MAX_FEN)}
    return None
