"""Reads for the ledger's pages, scoped by the region paths the user reads under."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import clock

from .access import payee_refs_for, reader_paths
from .aging import with_current_aging
from .models import (
    Account,
    AgingBucket,
    BankAccount,
    BankStatement,
    BudgetAdjustment,
    BudgetIndicator,
    BudgetLine,
    Commitment,
    Disbursement,
    DunningStep,
    Instalment,
    LegalCase,
    RepayableAccount,
    Repayment,
    Reschedule,
    StatementLine,
    SurplusReturn,
    WriteOff,
    scope_q,
)


def budget_line_list(*, user: Any) -> QuerySet[BudgetLine]:
    return (
        BudgetLine.objects.in_scope(reader_paths(user))
        .with_figures()
        .order_by("-year", "programme_code", "scope_path", "code")
    )


def commitment_list(*, line: BudgetLine) -> QuerySet[Commitment]:
    return Commitment.objects.filter(budget_line=line).select_related("account")


def adjustment_list(*, line: BudgetLine) -> QuerySet[BudgetAdjustment]:
    return BudgetAdjustment.objects.filter(budget_line=line).select_related(
        "requested_by", "decided_by"
    )


def indicator_list(*, line: BudgetLine) -> QuerySet[BudgetIndicator]:
    return BudgetIndicator.objects.filter(Q(from_line=line) | Q(to_line=line)).select_related(
        "from_line", "to_line"
    )


def disbursement_list(*, user: Any) -> QuerySet[Disbursement]:
    return Disbursement.objects.in_scope(reader_paths(user)).select_related(
        "budget_line", "maker", "approver"
    )


def disbursement_counts(*, user: Any) -> dict[str, int]:
    rows = (
        Disbursement.objects.in_scope(reader_paths(user))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return dict(rows)


def repayable_list(*, user: Any) -> Any:
    """With the outstanding principal, fee and overdue fee (fen), each a subquery on the
    account's ledger account of that kind (one probe of the (repayable, kind) index).

    Not a GROUP BY over the join of every account's ledger accounts: then the page's 50
    rows waited for all of them to be grouped and sorted, and the paginator's count ran
    the whole grouped query again. A subquery in the select list is read only for the
    rows the page returns, and the count leaves it out."""

    def owed(kind: str) -> Any:
        balances = (
            Account.objects.filter(repayable=OuterRef("pk"), kind=kind)
            .order_by()
            .values("repayable")
            .annotate(fen=Sum("balance"))
            .values("fen")
        )
        return Subquery(balances, output_field=BigIntegerField())

    return (
        with_current_aging(RepayableAccount.objects.in_scope(reader_paths(user)), clock.today())
        .annotate(
            principal_owed_fen=owed(Account.Kind.RECEIVABLE),
            fee_owed_fen=owed(Account.Kind.FEE_RECEIVABLE),
            penalty_owed_fen=owed(Account.Kind.PENALTY_RECEIVABLE),
            recovered_fen=-owed(Account.Kind.RECOVERY_INCOME),
            # the path it is on (``recovery_path_label``), in the same query
            legal_stage=F("legal_case__stage"),
            chased=Exists(DunningStep.objects.filter(account=OuterRef("pk"))),
        )
        .order_by(F("overdue_since").asc(nulls_last=True), "number")
    )


def recovery_path_label(account: RepayableAccount) -> str:
    """正常 / 催收中 / 诉讼中 · stage / 已核销, from ``repayable_list``'s annotations."""
    if account.status == RepayableAccount.Status.WRITTEN_OFF:
        return pgettext("recovery", "Written off")
    stage = getattr(account, "legal_stage", None)
    if stage:
        return _("In court · %(stage)s") % {"stage": LegalCase.Stage(stage).label}
    overdue = getattr(account, "current_aging", AgingBucket.CURRENT) != AgingBucket.CURRENT
    if getattr(account, "chased", False) and overdue:
        return pgettext("recovery", "Being chased")
    return pgettext("recovery", "Normal")


def aging_summary(*, user: Any) -> list[dict[str, Any]]:
    """Overdue accounts per aging bucket, in the buckets' order (1–30 days first)."""
    order = {code: n for n, code in enumerate(AgingBucket.values)}
    # read from the schedule as of today, whether or not the nightly aging ran
    rows = (
        with_current_aging(RepayableAccount.objects.in_scope(reader_paths(user)), clock.today())
        .exclude(current_aging=AgingBucket.CURRENT)
        .values("current_aging")
        .annotate(n=Count("pk"), principal=Sum("principal_fen"))
        .order_by()
    )
    rows = [{"aging": r["current_aging"], "n": r["n"], "principal": r["principal"]} for r in rows]
    return sorted(rows, key=lambda row: order.get(row["aging"], len(order)))


def repayable_detail(account: RepayableAccount) -> dict[str, Any]:
    balances = {a.kind: a.normal_balance for a in Account.objects.filter(repayable=account)}
    return {
        "balances": balances,
        "instalments": list(Instalment.objects.filter(account=account).order_by("due_date", "seq")),
        "repayments": list(Repayment.objects.filter(account=account).select_related("recorded_by")),
        "reschedules": list(
            Reschedule.objects.filter(account=account).select_related("requested_by", "decided_by")
        ),
        "write_offs": list(
            WriteOff.objects.filter(account=account).select_related("requested_by", "decided_by")
        ),
        "dunning_steps": list(
            DunningStep.objects.filter(account=account).select_related("recorded_by")
        ),
        "legal_case": LegalCase.objects.filter(account=account).first(),
    }


def bank_account_list(*, user: Any) -> QuerySet[BankAccount]:
    return BankAccount.objects.in_scope(reader_paths(user)).select_related("account")


def statement_list(*, user: Any) -> QuerySet[BankStatement]:
    return (
        BankStatement.objects.in_scope(reader_paths(user))
        .select_related("bank_account", "imported_by")
        .annotate(
            n_lines=Count("lines"),
            n_open=Count(
                "lines",
                filter=Q(
                    lines__status__in=[
                        StatementLine.MatchStatus.UNMATCHED,
                        StatementLine.MatchStatus.AMBIGUOUS,
                    ]
                ),
            ),
        )
        .order_by("-period_end", "-pk")
    )


def statement_lines(statement: BankStatement) -> list[StatementLine]:
    lines = list(
        statement.lines.select_related(
            "disbursement", "repayment", "repayment__account", "surplus_return"
        )
    )
    wanted: dict[str, set[int]] = {"disbursement": set(), "repayment": set(), "surplus": set()}
    for line in lines:
        for key in line.candidates:
            kind, _sep, pk = key.partition(":")
            if kind in wanted and pk.isdigit():
                wanted[kind].add(int(pk))
    found: dict[str, Any] = {}
    for d in Disbursement.objects.filter(pk__in=wanted["disbursement"]):
        found[f"disbursement:{d.pk}"] = d
    for r in Repayment.objects.filter(pk__in=wanted["repayment"]).select_related("account"):
        found[f"repayment:{r.pk}"] = r
    for s in SurplusReturn.objects.filter(pk__in=wanted["surplus"]):
        found[f"surplus:{s.pk}"] = s
    for line in lines:
        line.candidate_objects = [found[k] for k in line.candidates if k in found]  # type: ignore[attr-defined]
        choices = [(k, _candidate_text(found[k])) for k in line.candidates if k in found]
        line.candidate_choices = choices  # type: ignore[attr-defined]
    return lines


def _candidate_text(candidate: Any) -> str:
    if isinstance(candidate, Disbursement):
        return f"{candidate.number} {candidate.payee_name}"
    if isinstance(candidate, Repayment):
        return f"{candidate.number} {candidate.account.borrower_name}"
    return _("%(number)s %(unit)s (unspent balance)") % {
        "number": candidate.number,
        "unit": candidate.payer_name,
    }


def open_disbursements_for(line: StatementLine) -> QuerySet[Disbursement]:
    """What a person may match a payment line to: same amount, not yet matched,
    approved on or before the line's date."""
    return Disbursement.objects.filter(
        scope_q([line.scope_path]),
        status__in=[Disbursement.Status.APPROVED, Disbursement.Status.PAID],
        amount_fen=line.amount_fen,
        statement_line__isnull=True,
        approved_at__lte=clock.end_of_day(line.txn_date),
    )


def repayables_for_receipt(line: StatementLine) -> QuerySet[RepayableAccount]:
    return RepayableAccount.objects.filter(
        scope_q([line.scope_path]),
        status__in=[
            RepayableAccount.Status.ACTIVE,
            RepayableAccount.Status.OVERDUE,
            RepayableAccount.Status.RESCHEDULED,
            RepayableAccount.Status.WRITTEN_OFF,
        ],
    ).order_by("number")


def my_funding(*, user: Any, today: dt.date) -> dict[str, Any]:
    """The applicant's own disbursements and repayment schedules, with what is due now
    (unpaid instalments due by ``today`` and the overdue fee booked so far)."""
    refs = payee_refs_for(user)
    disbursements = Disbursement.objects.filter(payee_ref__in=refs).exclude(
        status__in=[Disbursement.Status.DRAFT, Disbursement.Status.CANCELLED]
    )
    accounts = list(
        with_current_aging(RepayableAccount.objects.filter(borrower_ref__in=refs), today)
        .annotate(
            penalty_owed_fen=Sum(
                "accounts__balance", filter=Q(accounts__kind=Account.Kind.PENALTY_RECEIVABLE)
            )
        )
        .prefetch_related("instalments")
    )
    for account in accounts:
        instalments = list(account.instalments.all())
        due = [i for i in instalments if i.due_date <= today and i.unpaid_fen > 0]
        upcoming = [i for i in instalments if i.due_date > today and i.unpaid_fen > 0]
        penalty = account.penalty_owed_fen or 0
        account.due_now_fen = sum(i.unpaid_fen for i in due) + penalty
        account.next_instalment = upcoming[0] if upcoming else None
    return {"disbursements": disbursements.select_related("budget_line"), "accounts": accounts}
