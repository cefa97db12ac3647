"""Expert fees (专家费) of a review panel: the programme's rate, the fee sheet computed from
the assignments actually submitted, the finance checker's approval and the payment
through the ledger (``ledger.services.expert_fees``).

Who is paid: an expert with at least one *submitted* assignment on the panel. Released
assignments (a conflict declared, replaced, declined) and ones never submitted are not
paid. Per item (按件): the number of items the expert submitted scores for × the rate.
Per half-day (按半天): the panel's sessions (entered when preparing) × the rate, for every
expert who submitted at least one score. Tax: ``reviews.fee_tax`` on each expert's gross
for the panel, one payment.

Locks: the panel (preparing) or the fee sheet (deciding, paying), then the ledger's own
order (``ledger.locks``) inside its services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import User
from core import clock
from core.money import MoneyError, fen_to_yuan, format_fen, round_to_fen, yuan_to_fen
from funding.models import Programme
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import BankAccount, BudgetLine, Instrument

from .fee_models import (
    MAX_HALF_DAYS,
    MAX_RATE_FEN,
    ExpertFeeLine,
    ExpertFeeRate,
    ExpertFeeSheet,
    FeeBasis,
)
from .fee_tax import labour_remuneration_tax
from .models import Assignment, ExpertProfile, Panel
from .services import ReviewError

# --- rates ---------------------------------------------------------------------------------


@transaction.atomic
def fee_rate_set(
    *, programme: Programme, basis: str, amount: Decimal | str, actor: User, note: str = ""
) -> ExpertFeeRate:
    """The programme's rate per item or per half-day (created or changed). Sheets already
    prepared keep the rate they were computed with."""
    if not actor.has_perm("reviews.manage_expertfeerate", programme):
        raise ReviewError(_("You may not set the expert fee rates of this programme."))
    if basis not in FeeBasis.values:
        raise ReviewError(_("Choose the fee basis: per item or per half-day."))
    try:
        fen = yuan_to_fen(amount)
    except MoneyError as error:
        raise ReviewError(_("Rate: %(reason)s") % {"reason": error}) from error
    if not 1 <= fen <= MAX_RATE_FEN:
        raise ReviewError(
            _("Rate: between 0.01 and %(max)s yuan per unit.") % {"max": format_fen(MAX_RATE_FEN)}
        )
    rate, _created = ExpertFeeRate.objects.update_or_create(
        programme=programme,
        basis=basis,
        defaults={
            "amount_fen": fen,
            "note": note.strip()[:200],
            "changed_at": clock.now(),
            "changed_by": actor,
        },
    )
    return rate


# --- computing a sheet ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeeRow:
    """One expert's fee for the panel, computed (not yet stored)."""

    expert: ExpertProfile
    items: int
    units: int
    gross_fen: int
    taxable_fen: int
    tax_fen: int

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.tax_fen


def _fen(yuan: Decimal) -> int:
    return round_to_fen(yuan * 100)


def fee_rows(panel: Panel, *, basis: str, rate_fen: int, half_days: int | None) -> list[FeeRow]:
    """The fee of every expert who submitted at least one score on ``panel``."""
    submitted = Counter(
        Assignment.objects.filter(panel=panel, status=Assignment.Status.SUBMITTED).values_list(
            "expert_id", flat=True
        )
    )
    experts = ExpertProfile.objects.select_related("person").in_bulk(list(submitted))
    rows = []
    for expert_id in sorted(submitted, key=lambda pk: (experts[pk].person.name, pk)):
        items = submitted[expert_id]
        units = items if basis == FeeBasis.PER_ITEM else int(half_days or 0)
        gross_fen = units * rate_fen
        tax = labour_remuneration_tax(fen_to_yuan(gross_fen))
        rows.append(
            FeeRow(
                expert=experts[expert_id],
                items=items,
                units=units,
                gross_fen=gross_fen,
                taxable_fen=_fen(tax.taxable),
                tax_fen=_fen(tax.tax),
            )
        )
    return rows


# --- preparing -----------------------------------------------------------------------------


def budget_lines_for(panel: Panel) -> Any:
    """The budget lines a panel's fees may be paid from: the programme's, of the panel's
    region or above it, not repayable funding."""
    return BudgetLine.objects.filter(
        programme_code=panel.call.programme.code, scope_path__in=_paths_above(panel.unit.path)
    ).exclude(instrument=Instrument.REPAYABLE)


def _lock_panel(panel: Panel) -> Panel:
    return (
        Panel.objects.select_for_update(of=("self",))
        .select_related("call__programme", "unit")
        .get(pk=panel.pk)
    )


def _lock_sheet(sheet: ExpertFeeSheet) -> ExpertFeeSheet:
    return (
        ExpertFeeSheet.objects.select_for_update(of=("self",))
        .select_related("panel__unit", "panel__call__programme", "budget_line")
        .get(pk=sheet.pk)
    )


def _save(sheet: ExpertFeeSheet) -> None:
    try:
        sheet.save()
    except ConcurrentTransition as error:
        raise ReviewError(
            _("Someone else changed this fee sheet at the same time; reload the page.")
        ) from error


def _transition(sheet: ExpertFeeSheet, name: str) -> None:
    try:
        getattr(sheet, name)()
    except TransitionNotAllowed as error:
        raise ReviewError(
            _("Fee sheet %(number)s is %(status)s; this action is not possible now.")
            % {"number": sheet.number, "status": sheet.get_status_display()}
        ) from error


@transaction.atomic
def fee_sheet_prepare(
    *,
    panel: Panel,
    budget_line: BudgetLine,
    basis: str,
    actor: User,
    half_days: int | None = None,
) -> ExpertFeeSheet:
    """The fee sheet of a closed panel at the programme's rate, on ``budget_line``."""
    panel = _lock_panel(panel)
    if not actor.has_perm("reviews.prepare_expertfeesheet", panel):
        raise ReviewError(_("You may not prepare the expert fees of this panel."))
    if panel.status != Panel.Status.CLOSED:
        raise ReviewError(
            _("The panel is not finished; expert fees are prepared once it is closed.")
        )
    if basis not in FeeBasis.values:
        raise ReviewError(_("Choose the fee basis: per item or per half-day."))
    programme = panel.call.programme
    rate = ExpertFeeRate.objects.filter(programme=programme, basis=basis).first()
    if rate is None:
        raise ReviewError(
            _("Programme %(programme)s has no expert fee rate %(basis)s.")
            % {"programme": programme.name, "basis": FeeBasis(basis).label}
        )
    if basis == FeeBasis.HALF_DAY:
        if half_days is None or not 1 <= half_days <= MAX_HALF_DAYS:
            raise ReviewError(
                _("Half-day sessions: a whole number from 1 to %(max)d.") % {"max": MAX_HALF_DAYS}
            )
    else:
        half_days = None
    if not budget_lines_for(panel).filter(pk=budget_line.pk).exists():
        raise ReviewError(
            _(
                "Budget line %(line)s is not a line of programme %(programme)s for this "
                "panel's region; choose one of the programme's lines."
            )
            % {"line": budget_line.name, "programme": programme.name}
        )
    if ExpertFeeSheet.objects.filter(panel=panel).exclude(status="rejected").exists():
        raise ReviewError(_("This panel already has a fee sheet."))
    rows = fee_rows(panel, basis=basis, rate_fen=rate.amount_fen, half_days=half_days)
    if not rows:
        raise ReviewError(_("No expert submitted scores on this panel; there is nothing to pay."))
    gross = sum(r.gross_fen for r in rows)
    tax = sum(r.tax_fen for r in rows)
    available = BudgetLine.objects.with_figures().get(pk=budget_line.pk).available_fen
    if available < gross:
        raise ReviewError(
            _(
                "Budget line %(line)s has %(available)s yuan available; the fees need "
                "%(gross)s yuan."
            )
            % {
                "line": budget_line.name,
                "available": format_fen(available),
                "gross": format_fen(gross),
            }
        )
    known = _known_accounts([r.expert.pk for r in rows])
    sheet = ExpertFeeSheet(
        number=f"tmp-{uuid.uuid4().hex[:12]}",
        panel=panel,
        basis=basis,
        rate_fen=rate.amount_fen,
        half_days=half_days,
        budget_line=budget_line,
        gross_fen=gross,
        tax_fen=tax,
        net_fen=gross - tax,
        made_by=actor,
        made_at=clock.now(),
    )
    try:
        with transaction.atomic():
            sheet.save()
    except IntegrityError as error:  # prepared by someone else at the same moment
        raise ReviewError(_("This panel already has a fee sheet.")) from error
    sheet.number = f"ZJF{clock.today().year}{sheet.pk:06d}"
    ExpertFeeSheet.objects.filter(pk=sheet.pk).update(number=sheet.number)
    ExpertFeeLine.objects.bulk_create(
        [
            ExpertFeeLine(
                sheet=sheet,
                expert=r.expert,
                items=r.items,
                units=r.units,
                gross_fen=r.gross_fen,
                taxable_fen=r.taxable_fen,
                tax_fen=r.tax_fen,
                net_fen=r.net_fen,
                payee_account=known.get(r.expert.pk, ""),
            )
            for r in rows
        ]
    )
    return sheet


def _known_accounts(expert_ids: list[int]) -> dict[int, str]:
    """The bank account each expert was last paid to, where one is on record."""
    known: dict[int, str] = {}
    for expert_id, account in (
        ExpertFeeLine.objects.filter(expert_id__in=expert_ids)
        .exclude(payee_account="")
        .order_by("pk")
        .values_list("expert_id", "payee_account")
    ):
        known[expert_id] = account
    return known


@transaction.atomic
def fee_line_set_account(*, line: ExpertFeeLine, account: str, actor: User) -> ExpertFeeLine:
    """The expert's bank account (开户账号) for the 发放表, before the sheet is paid."""
    sheet = _lock_sheet(line.sheet)
    if not actor.has_perm("reviews.prepare_expertfeesheet", sheet.panel):
        raise ReviewError(_("You may not change this fee sheet."))
    if sheet.status != ExpertFeeSheet.Status.PREPARED:
        raise ReviewError(_("The fee sheet is decided; its lines cannot change."))
    account = "".join(account.split())
    if account and not (account.isascii() and account.isdigit() and 8 <= len(account) <= 30):
        raise ReviewError(_("Bank account: 8 to 30 digits."))
    line.payee_account = account
    line.save(update_fields=["payee_account"])
    return line


# --- deciding and paying -------------------------------------------------------------------


@transaction.atomic
def fee_sheet_approve(*, sheet: ExpertFeeSheet, actor: User, note: str = "") -> ExpertFeeSheet:
    """The finance checker approves: the gross is reserved on the budget line. Refused to
    the person who prepared the sheet."""
    sheet = _lock_sheet(sheet)
    if not actor.has_perm("reviews.approve_expertfeesheet", sheet):
        raise ReviewError(_("Only the finance checker approves expert fees."))
    if sheet.made_by_id == actor.pk:
        raise ReviewError(_("You prepared this fee sheet; a second person must approve it."))
    _transition(sheet, "approve")
    try:
        sheet.approve_entry = ledger.expert_fees_approve(
            budget_line=sheet.budget_line,
            gross_fen=sheet.gross_fen,
            reference=sheet.number,
            maker_id=sheet.made_by_id,
            actor=actor,
            value_date=clock.today(),
        )
    except LedgerError as error:
        raise ReviewError(str(error)) from error
    sheet.approved_by = actor
    sheet.approved_at = clock.now()
    sheet.decision_note = note.strip()[:300]
    _save(sheet)
    return sheet


@transaction.atomic
def fee_sheet_reject(*, sheet: ExpertFeeSheet, actor: User, note: str) -> ExpertFeeSheet:
    """The finance checker sends the sheet back with the reason; a new one may be made."""
    sheet = _lock_sheet(sheet)
    if not actor.has_perm("reviews.approve_expertfeesheet", sheet):
        raise ReviewError(_("Only the finance checker approves expert fees."))
    if not note.strip():
        raise ReviewError(_("Say why the fee sheet is rejected."))
    _transition(sheet, "reject")
    sheet.approved_by = actor
    sheet.approved_at = clock.now()
    sheet.decision_note = note.strip()[:300]
    _save(sheet)
    return sheet


@transaction.atomic
def fee_sheet_pay(
    *,
    sheet: ExpertFeeSheet,
    bank_account: BankAccount,
    paid_on: dt.date,
    bank_reference: str,
    actor: User,
) -> ExpertFeeSheet:
    """The bank paid the experts: Dr expense the gross, Cr bank the net, Cr tax withheld
    the tax (and the line's approved money becomes disbursed). The sheet is locked."""
    sheet = _lock_sheet(sheet)
    if not actor.has_perm("reviews.pay_expertfeesheet", sheet):
        raise ReviewError(_("Only finance records the payment of expert fees."))
    bank_reference = bank_reference.strip()
    if not bank_reference or len(bank_reference) > 60:
        raise ReviewError(_("The bank reference (流水号) of the payment is required (≤ 60)."))
    if ExpertFeeSheet.objects.filter(bank_reference=bank_reference).exclude(pk=sheet.pk).exists():
        raise ReviewError(
            _("Bank reference %(ref)s is already used by another payment.")
            % {"ref": bank_reference}
        )
    _transition(sheet, "pay")
    approved_on = clock.local_date(sheet.approved_at) if sheet.approved_at else None
    try:
        sheet.pay_entry = ledger.expert_fees_pay(
            budget_line=sheet.budget_line,
            gross_fen=sheet.gross_fen,
            tax_fen=sheet.tax_fen,
            bank_account=bank_account,
            paid_on=paid_on,
            reference=sheet.number,
            actor=actor,
            earliest=approved_on,
            memo=_("Expert fees %(number)s, %(panel)s")
            % {"number": sheet.number, "panel": sheet.panel.name},
        )
    except LedgerError as error:
        raise ReviewError(str(error)) from error
    sheet.paid_by = actor
    sheet.paid_on = paid_on
    sheet.bank_account = bank_account
    sheet.bank_reference = bank_reference
    try:
        with transaction.atomic():
            _save(sheet)
    except IntegrityError as error:
        raise ReviewError(
            _("Bank reference %(ref)s is already used by another payment.")
            % {"ref": bank_reference}
        ) from error
    return sheet


def _paths_above(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def banks_for(sheet: ExpertFeeSheet) -> Any:
    """The bank accounts the fees may be paid from: the budget line's region or above."""
    return BankAccount.objects.filter(
        scope_path__in=_paths_above(sheet.budget_line.scope_path)
    ).order_by("name", "pk")
