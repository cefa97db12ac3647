"""Budget lines (预算科目), adjustments (预算调剂), budget indicators to districts
(预算指标下达) and commitments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock

from ..errors import LedgerError
from ..locks import lock_accounts, lock_one, lock_rows
from ..models import (
    Account,
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    ChangeStatus,
    Commitment,
    Entry,
    IndicatorSupplement,
)
from ..money import format_fen, positive_fen, yuan_to_fen
from .posting import (
    LINE_KINDS,
    Kind,
    Posting,
    _actor_id,
    _credit,
    _debit,
    _new_account,
    _not_the_maker,
    _save_transition,
    _transition,
    ahead,
    check_value_date,
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
    if not 2000 <= year <= clock.today().year + 1:
        raise LedgerError(
            _("The budget year must be between 2000 and %(max)d; %(year)s is not.")
            % {"max": clock.today().year + 1, "year": year}
        )
    check_value_date(
        value_date,
        what=_("The issue date of the budget"),
        earliest=(dt.date(year - 1, 1, 1), _("the year before the budget year")),
        latest=ahead(),
    )
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
    try:
        with transaction.atomic():
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
    except IntegrityError as error:  # created by someone else at the same moment
        raise LedgerError(_("This budget line already exists.")) from error
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
        value_date=clock.today(),
        legs=legs,
        actor=actor,
        memo=adjustment.reason,
    )
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = clock.now()
    _save_transition(adjustment)
    return adjustment


@transaction.atomic
def budget_adjustment_reject(*, adjustment: BudgetAdjustment, actor: Any) -> BudgetAdjustment:
    adjustment = lock_one(BudgetAdjustment, adjustment.pk)
    _not_the_maker(adjustment.requested_by_id, actor, _("adjustment"))
    _transition(adjustment, "reject")
    adjustment.decided_by_id = actor.pk
    adjustment.decided_at = clock.now()
    _save_transition(adjustment)
    return adjustment


def _issued_message(indicator: BudgetIndicator) -> str:
    return _(
        "The budget indicator for this has already been issued to %(line)s: %(doc)s of "
        "%(date)s, %(amount)s yuan. More money for it is a supplement (追加), with a reason "
        "and a second person's approval."
    ) % {
        "line": indicator.to_line.name,
        "doc": indicator.document_no,
        "date": indicator.value_date.isoformat(),
        "amount": format_fen(indicator.amount_fen),
    }


def _indicator_legs(from_line: BudgetLine, to_line: BudgetLine, fen: int) -> list[Posting]:
    """City: Dr issued-to-districts, Cr available; district: Dr available, Cr appropriation."""
    return [
        _debit(line_account(from_line, Kind.TRANSFERRED), fen),
        _credit(line_account(from_line, Kind.AVAILABLE), fen),
        _debit(line_account(to_line, Kind.AVAILABLE), fen),
        _credit(line_account(to_line, Kind.APPROPRIATION), fen),
    ]


def _lock_issuing_line(from_line: BudgetLine) -> None:
    """Every indicator from a line locks its available account first (level 3 of
    ``ledger.locks``, before a district's line may be created): indicators of one line are
    issued one at a time, so two first indicators to a new district cannot both create
    its line, and two issues for one purpose cannot both pass the check."""
    lock_accounts([line_account(from_line, Kind.AVAILABLE).pk])


def _indicator_date(value_date: dt.date, from_line: BudgetLine) -> None:
    check_value_date(
        value_date,
        what=_("The issue date of the indicator"),
        earliest=(dt.date(from_line.year, 1, 1), _("the start of the budget year")),
    )


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
    reference: str,
) -> BudgetIndicator:
    """预算指标下达 (award flow): the city moves part of its line to a district finance
    bureau's line (created on first use), which then commits and pays the awardees.
    ``reference`` names what the indicator is for (e.g. an award call): one per reference
    and district; more later is a supplement (``indicator_supplement_request``)."""
    fen = positive_fen(amount)
    reference = reference.strip()
    if not reference:
        raise LedgerError(_("A budget indicator needs what it is issued for."))
    if not document_no.strip():
        raise LedgerError(_("A budget indicator needs its document number."))
    if (
        not district_scope_path.startswith(from_line.scope_path)
        or district_scope_path == from_line.scope_path
    ):
        raise LedgerError(_("Indicators go to a district under the issuing region."))
    _indicator_date(value_date, from_line)
    _lock_issuing_line(from_line)
    to_line = BudgetLine.objects.filter(
        year=from_line.year,
        funding_source=BudgetLine.Source.TRANSFER,
        instrument=from_line.instrument,
        programme_code=from_line.programme_code,
        scope_path=district_scope_path,
    ).first()
    if to_line is not None:
        issued = (
            BudgetIndicator.objects.filter(
                reference=reference, to_line=to_line, kind=BudgetIndicator.Kind.ISSUE
            )
            .select_related("to_line")
            .first()
        )
        if issued is not None:
            raise LedgerError(_issued_message(issued))
    else:
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
        idempotency_key=f"indicator:{reference}:{to_line.code}",
        kind=Entry.Kind.INDICATOR,
        value_date=value_date,
        legs=_indicator_legs(from_line, to_line, fen),
        actor=actor,
        memo=document_no,
    )
    try:
        with transaction.atomic():
            return BudgetIndicator.objects.create(
                kind=BudgetIndicator.Kind.ISSUE,
                reference=reference,
                document_no=document_no.strip(),
                from_line=from_line,
                to_line=to_line,
                amount_fen=fen,
                value_date=value_date,
                scope_path=to_line.scope_path,
                issued_by_id=_actor_id(actor),
                entry=entry,
            )
    except IntegrityError as error:  # pragma: no cover - the line lock above prevents it
        raise LedgerError(_("The budget indicator for this has already been issued.")) from error


@transaction.atomic
def indicator_supplement_request(
    *,
    indicator: BudgetIndicator,
    amount: Decimal,
    document_no: str,
    value_date: dt.date,
    reason: str,
    actor: Any,
) -> IndicatorSupplement:
    """追加: asks for more money for what ``indicator`` was issued for; a second person
    approves it (``indicator_supplement_approve``), which posts it."""
    fen = positive_fen(amount)
    if indicator.kind != BudgetIndicator.Kind.ISSUE:
        raise LedgerError(_("A supplement adds to an issued indicator."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the supplement."))
    if not document_no.strip():
        raise LedgerError(_("A budget indicator needs its document number."))
    _indicator_date(value_date, indicator.from_line)
    if indicator.supplements.filter(status=ChangeStatus.REQUESTED).exists():
        raise LedgerError(_("A supplement to this indicator is already waiting for approval."))
    return IndicatorSupplement.objects.create(
        indicator=indicator,
        amount_fen=fen,
        document_no=document_no.strip(),
        value_date=value_date,
        reason=reason.strip(),
        scope_path=indicator.scope_path,
        requested_by_id=_actor_id(actor),
    )


@transaction.atomic
def indicator_supplement_approve(
    *, supplement: IndicatorSupplement, actor: Any
) -> IndicatorSupplement:
    """The second person approves the supplement: posted like the indicator itself."""
    supplement = lock_one(IndicatorSupplement, supplement.pk)
    _not_the_maker(supplement.requested_by_id, actor, _("supplement"))
    indicator = BudgetIndicator.objects.select_related("from_line", "to_line").get(
        pk=supplement.indicator_id
    )
    _transition(supplement, "approve")
    _lock_issuing_line(indicator.from_line)
    fen = supplement.amount_fen
    entry = entry_post(
        idempotency_key=f"indicator-supplement:{supplement.pk}",
        kind=Entry.Kind.INDICATOR,
        value_date=supplement.value_date,
        legs=_indicator_legs(indicator.from_line, indicator.to_line, fen),
        actor=actor,
        memo=f"{supplement.document_no} {supplement.reason}",
    )
    supplement.posted = BudgetIndicator.objects.create(
        kind=BudgetIndicator.Kind.SUPPLEMENT,
        reference=indicator.reference,
        document_no=supplement.document_no,
        from_line=indicator.from_line,
        to_line=indicator.to_line,
        amount_fen=fen,
        value_date=supplement.value_date,
        scope_path=indicator.scope_path,
        issued_by_id=_actor_id(actor),
        entry=entry,
    )
    supplement.decided_by_id = actor.pk
    supplement.decided_at = clock.now()
    _save_transition(supplement)
    return supplement


@transaction.atomic
def indicator_supplement_reject(
    *, supplement: IndicatorSupplement, actor: Any
) -> IndicatorSupplement:
    supplement = lock_one(IndicatorSupplement, supplement.pk)
    _not_the_maker(supplement.requested_by_id, actor, _("supplement"))
    _transition(supplement, "reject")
    supplement.decided_by_id = actor.pk
    supplement.decided_at = clock.now()
    _save_transition(supplement)
    return supplement


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
    available = line_account(commitment.budget_line, Kind.AVAILABLE)
    lock_accounts([available.pk, commitment.account_id])
    account = Account.objects.get(pk=commitment.account_id)
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
            _debit(available, fen),
            _credit(account, fen),
        ],
        actor=actor,
        memo=reason or _("Commitment released"),
    )
