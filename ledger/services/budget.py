"""Budget lines (预算科目), adjustments (预算调剂), budget indicators to districts
(预算指标下达) and commitments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import LedgerError
from ..locks import lock_one, lock_rows
from ..models import (
    Account,
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    Commitment,
    Entry,
)
from ..money import format_fen, positive_fen, yuan_to_fen
from .posting import (
    LINE_KINDS,
    Kind,
    _actor_id,
    _credit,
    _debit,
    _new_account,
    _not_the_maker,
    _save_transition,
    _transition,
    entry_post,
)

# --- budget lines --------------------------------------------------------------------


def _scope_code(scope_path: str) -> str:
    parts = [p for p in scope_path.split("/") if p]
    if not parts:
        raise LedgerError(_("A region path like /330000/330100/ is required."))
    return parts[-1]


def line_account(line: BudgetLine, kind: str) -> Account:
    return Account.objects.get(budget_line=line, kind=kind, project_ref="")


@transaction.atomic
def budget_line_create(
    *,
    year: int,
    funding_source: str,
    instrument: str,
    programme_code: str,
    name: str,
    scope_path: str,
    amount: Decimal,
    value_date: dt.date,
    actor: Any,
    parent: BudgetLine | None = None,
    document_no: str = "",
) -> BudgetLine:
    """A budget line (预算科目) with its accounts; ``amount`` (may be 0) is issued at once
    (Dr available, Cr appropriation)."""
    programme_code = programme_code.strip().upper()
    exists = BudgetLine.objects.filter(
        year=year,
        funding_source=funding_source,
        instrument=instrument,
        programme_code=programme_code,
        scope_path=scope_path,
    ).exists()
    if exists:
        raise LedgerError(_("This budget line already exists."))
    code = f"{year}-{programme_code}-{instrument}-{funding_source}-{_scope_code(scope_path)}"
    line = BudgetLine.objects.create(
        code=code,
        name=name.strip(),
        year=year,
        funding_source=funding_source,
        instrument=instrument,
        programme_code=programme_code,
        scope_path=scope_path,
        parent=parent,
        created_by_id=_actor_id(actor),
    )
    labels = dict(Kind.choices)
    for kind in LINE_KINDS:
        _new_account(
            code=f"{code}:{kind}",
            name=f"{line.name} · {labels[kind]}",
            kind=kind,
            scope_path=scope_path,
            budget_line=line,
        )
    fen = yuan_to_fen(amount)
    if fen < 0:
        raise LedgerError(_("The amount must not be negative."))
    if fen:
        entry_post(
            idempotency_key=f"budget-issue:{code}",
            kind=Entry.Kind.BUDGET_ISSUE,
            value_date=value_date,
            legs=[
                _debit(line_account(line, Kind.AVAILABLE), fen),
                _credit(line_account(line, Kind.APPROPRIATION), fen),
            ],
            actor=actor,
            memo=document_no or _("Budget issued"),
        )
    return line


@transaction.atomic
def budget_adjustment_request(
    *,
    budget_line: BudgetLine,
    amount: Decimal,
    reason: str,
    actor: Any,
    document_no: str = "",
) -> BudgetAdjustment:
    """预算调剂: ``amount`` is signed (negative reduces the line). It takes effect when a
    second person approves it."""
    fen = yuan_to_fen(amount)
    if fen == 0:
        raise LedgerError(_("An adjustment of zero changes nothing."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the adjustment."))
    return BudgetAdjustment.objects.create(
        budget_line=budget_line,
        amount_fen=fen,
        reason=reason.strip(),
        document_no=document_no.strip(),
        scope_path=budget_line.scope_path,
        requested_by_id=_actor_id(actor),
    )


@transaction.atomic
def budget_adjustment_approve(*, adjustment: BudgetAdjustment, actor: Any) -> BudgetAdjustment:
    adjustment = lock_one(BudgetAdjustment, adjustment.pk)
    _not_the_maker(adjustment.requested_by_id, actor, _("adjustment"))
    _transition(adjustment, "approve")
    line = adjustment.budget_line
    available = line_account(line, Kind.AVAILABLE)
    appropriation = line_account(line, Kind.APPROPRIATION)
    fen = abs(adjustment.amount_fen)
    if adjustment.amount_fen > 0:
        legs = [_debit(available, fen), _credit(appropriation, fen)]
    else:
        legs = [_debit(appropriation, fen), _credit(available, fen)]
    adjustment.entry = entry_post(
        idempotency_key=f"budget-adjust:{adjustment.pk}",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=timezone.localdate(),
        legs=legs,
        actor=actor,
        memo=adjustment.reason,
    )
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = timezone.now()
    _save_transition(adjustment)
    return adjustment


@transaction.atomic
def budget_adjustment_reject(*, adjustment: BudgetAdjustment, actor: Any) -> BudgetAdjustment:
    adjustment = lock_one(BudgetAdjustment, adjustment.pk)
    _not_the_maker(adjustment.requested_by_id, actor, _("adjustment"))
    _transition(adjustment, "reject")
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = timezone.now()
    _save_transition(adjustment)
    return adjustment


@transaction.atomic
def budget_indicator_issue(
    *,
    from_line: BudgetLine,
    district_scope_path: str,
    district_name: str,
    amount: Decimal,
    value_date: dt.date,
    document_no: str,
    actor: Any,
) -> BudgetIndicator:
    """预算指标下达 (award flow): the city moves part of its line to a district finance
    bureau's line (created on first use), which then commits and pays the awardees.
    City: Dr issued-to-districts, Cr available; district: Dr available, Cr appropriation."""
    fen = positive_fen(amount)
    if not document_no.strip():
        raise LedgerError(_("A budget indicator needs its document number."))
    if (
        not district_scope_path.startswith(from_line.scope_path)
        or district_scope_path == from_line.scope_path
    ):
        raise LedgerError(_("Indicators go to a district under the issuing region."))
    to_line = BudgetLine.objects.filter(
        year=from_line.year,
        funding_source=BudgetLine.Source.TRANSFER,
        instrument=from_line.instrument,
        programme_code=from_line.programme_code,
        scope_path=district_scope_path,
    ).first()
    if to_line is None:
        to_line = budget_line_create(
            year=from_line.year,
            funding_source=BudgetLine.Source.TRANSFER,
            instrument=from_line.instrument,
            programme_code=from_line.programme_code,
            name=f"{district_name} {from_line.name}",
            scope_path=district_scope_path,
            amount=Decimal(0),
            value_date=value_date,
            actor=actor,
            parent=from_line,
        )
    entry = entry_post(
        idempotency_key=f"indicator:{document_no.strip()}:{to_line.code}",
        kind=Entry.Kind.INDICATOR,
        value_date=value_date,
        legs=[
            _debit(line_account(from_line, Kind.TRANSFERRED), fen),
            _credit(line_account(from_line, Kind.AVAILABLE), fen),
            _debit(line_account(to_line, Kind.AVAILABLE), fen),
            _credit(line_account(to_line, Kind.APPROPRIATION), fen),
        ],
        actor=actor,
        memo=document_no,
    )
    indicator = BudgetIndicator.objects.filter(entry=entry).first()
    if indicator is not None:
        return indicator
    return BudgetIndicator.objects.create(
        document_no=document_no.strip(),
        from_line=from_line,
        to_line=to_line,
        amount_fen=fen,
        value_date=value_date,
        scope_path=to_line.scope_path,
        issued_by_id=_actor_id(actor),
        entry=entry,
    )


# --- commitments ---------------------------------------------------------------------


@transaction.atomic
def commitment_post(
    *,
    budget_line: BudgetLine,
    project_ref: str,
    amount: Decimal,
    value_date: dt.date,
    actor: Any,
    payee_name: str = "",
    scope_path: str = "",
    memo: str = "",
    idempotency_key: str = "",
) -> Commitment:
    """Set money of a line aside for a project (contract signed, award granted): Dr the
    project's committed account, Cr available. Called again with the same key it posts
    nothing more; with a new key it adds to the project's commitment."""
    fen = positive_fen(amount)
    project_ref = project_ref.strip()
    if not project_ref:
        raise LedgerError(_("A commitment needs the project reference."))
    # Locking the line's available account first serialises the commitments of a line,
    # so two retries of the same call cannot both create the project's account.
    available = line_account(budget_line, Kind.AVAILABLE)
    lock_rows(Account, [available.pk])
    commitment = Commitment.objects.filter(budget_line=budget_line, project_ref=project_ref).first()
    if commitment is None:
        account = _new_account(
            code=f"{budget_line.code}:committed:{project_ref}",
            name=f"{budget_line.name} · {_('Committed')} · {project_ref}",
            kind=Kind.COMMITTED,
            scope_path=budget_line.scope_path,
            budget_line=budget_line,
            project_ref=project_ref,
        )
        commitment = Commitment.objects.create(
            budget_line=budget_line,
            project_ref=project_ref,
            payee_name=payee_name.strip(),
            account=account,
            scope_path=scope_path or budget_line.scope_path,
            created_by_id=_actor_id(actor),
        )
    entry_post(
        idempotency_key=idempotency_key or f"commit:{budget_line.code}:{project_ref}",
        kind=Entry.Kind.COMMIT,
        value_date=value_date,
        legs=[
            _debit(commitment.account, fen),
            _credit(available, fen),
        ],
        actor=actor,
        memo=memo or _("Commitment for %(project)s") % {"project": project_ref},
    )
    return commitment


@transaction.atomic
def commitment_release(
    *,
    commitment: Commitment,
    value_date: dt.date,
    actor: Any,
    amount: Decimal | None = None,
    reason: str = "",
    idempotency_key: str = "",
) -> Entry | None:
    """Give back to available what is committed and not paid (a project terminated, an
    award withdrawn): all of it when ``amount`` is None. Returns None if nothing is left."""
    account = lock_one(Account, commitment.account_id)
    remaining = account.normal_balance
    fen = remaining if amount is None else positive_fen(amount)
    if fen == 0:
        return None
    if fen > remaining:
        raise LedgerError(
            _("Only %(left)s yuan of this commitment is left to release.")
            % {"left": format_fen(remaining)}
        )
    return entry_post(
        idempotency_key=idempotency_key
        or f"release:{commitment.pk}:{Entry.objects.filter(legs__account=account).count()}",
        kind=Entry.Kind.RELEASE,
        value_date=value_date,
        legs=[
            _debit(line_account(commitment.budget_line, Kind.AVAILABLE), fen),
            _credit(account, fen),
        ],
        actor=actor,
        memo=reason or _("Commitment released"),
    )
