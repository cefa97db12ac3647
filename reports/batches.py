"""The 批次 summary: per call (批次) of a year and for the whole year, by instrument
(无偿资助 / 贷款贴息 / 有偿资助 / 以奖代补): how many projects, how much was approved,
committed and paid.

Where the figures come from (the same sources as the other sheets, so they tie):

* projects and approved (立项金额): the year's applications in the scope that were
  approved, by instrument from ``ApplicationFunding.approved_fen`` (what was asked less
  any 核减); a project counts once under each instrument it was granted.
* committed (已承诺): from the ledger, by the project's number — for grants, interest
  subsidies and awards what the commitments received less what was released (a
  terminated project's unpaid part); for repayable funding the principal of its
  repayable accounts.
* paid (已拨付): disbursements paid or reconciled, by the instrument of their budget
  line (returned ones are not paid).

A fixed number of grouped queries whatever the number of projects (the ledger's rows
joined to the year's applications by project number in SQL, a few rows per batch
coming back); amounts in fen.

The year's recovery figures (``year_recovery``, issue 15), from the ledger and the case
rows, in the scope:

* overdue principal at the year's end: the principal the ledger shows owed at the end of
  31 December (today within the year) on the accounts of the year's repayable portfolio
  (the 有偿资金 sheet's rows) that were overdue that day by their schedule;
* recovered by 催收 / through the courts: what the repayable accounts were credited by
  entries of kind ``repayment_dunning`` / ``repayment_court`` dated in the year (the
  path is fixed when the money is recorded, ``ledger.services.recovery_rules``);
* handed to the courts: the cases referred (移送) in the year, and the principal the
  ledger showed owed on each the day it was referred;
* written off: the write-off entries dated in the year (principal, usage and overdue
  fee, as booked).

Three queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import CharField, Count, F, Sum, Value
from django.db.models.functions import Coalesce

from core import clock
from funding.models import Call, Instrument
from ledger.aging import overdue_on
from ledger.models import Account, Disbursement, Entry, Leg, LegalCase, RepayableAccount
from projects.models import Application, ApplicationFunding

from .scope import ReportScope
from .selectors import repayable_accounts

PAID = (Disbursement.Status.PAID, Disbursement.Status.RECONCILED)
# the order of the columns and rows, as the district reports write them
INSTRUMENTS = (
    Instrument.GRANT,
    Instrument.INTEREST_SUBSIDY,
    Instrument.REPAYABLE,
    Instrument.AWARD,
)
INSTRUMENT_ZH = {
    Instrument.GRANT: "无偿资助",
    Instrument.INTEREST_SUBSIDY: "贷款贴息",
    Instrument.REPAYABLE: "有偿资助",
    Instrument.AWARD: "以奖代补",
}


def instrument_label(code: str) -> str:
    """The instrument in the user's language (无偿资助 … in Chinese)."""
    return str(Instrument(code).label)


@dataclass
class Figures:
    projects: int = 0
    approved_fen: int = 0
    committed_fen: int = 0
    paid_fen: int = 0

    def add(self, other: Figures) -> None:
        self.projects += other.projects
        self.approved_fen += other.approved_fen
        self.committed_fen += other.committed_fen
        self.paid_fen += other.paid_fen


@dataclass
class Batch:
    call_id: int
    title: str
    programme: str
    document_no: str
    projects: int = 0
    by_instrument: dict[str, Figures] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[str, Figures]]:
        return [(i, self.by_instrument[i]) for i in INSTRUMENTS if i in self.by_instrument]

    @property
    def display_rows(self) -> list[tuple[str, Figures]]:
        return [(instrument_label(i), f) for i, f in self.rows]

    @property
    def total(self) -> Figures:
        total = Figures(projects=self.projects)
        for _i, figures in self.rows:
            total.approved_fen += figures.approved_fen
            total.committed_fen += figures.committed_fen
            total.paid_fen += figures.paid_fen
        return total


@dataclass
class Recovery:
    """The year's recovery of repayable funds, in fen (see the module's docstring)."""

    as_of: dt.date
    overdue_principal_fen: int = 0
    overdue_accounts: int = 0
    dunning_fen: int = 0
    court_fen: int = 0
    referred_fen: int = 0
    referred_cases: int = 0
    written_off_fen: int = 0

    @property
    def rows(self) -> list[tuple[str, int, int | None]]:
        """(the figure in Chinese, fen, how many accounts or cases where it counts them)."""
        return [
            ("年末逾期本金", self.overdue_principal_fen, self.overdue_accounts),
            ("催收收回", self.dunning_fen, None),
            ("诉讼收回", self.court_fen, None),
            ("移送法院", self.referred_fen, self.referred_cases),
            ("核销", self.written_off_fen, None),
        ]


def _credited(scope: ReportScope, year: int, kinds: tuple[str, ...]) -> dict[str, int]:
    """What the repayable accounts in the scope were credited by entries of each of
    ``kinds`` dated in ``year`` (a debit, for a write-off loss): one grouped pass over
    the year's legs, not one per kind."""
    rows = (
        Leg.objects.filter(
            scope.ledger_q("account__scope_path"),
            account__repayable__isnull=False,
            entry__kind__in=kinds,
            entry__value_date__year=year,
        )
        .exclude(account__kind=Account.Kind.WRITE_OFF)
        .values("entry__kind")
        .annotate(fen=Sum("amount"))
        .order_by()
    )
    by_kind = {row["entry__kind"]: -int(row["fen"] or 0) for row in rows}
    return {kind: by_kind.get(kind, 0) for kind in kinds}


def _overdue_principal(scope: ReportScope, year: int, as_of: dt.date) -> tuple[int, int]:
    """The principal owed on ``as_of`` (receivable legs dated up to that day) on the
    accounts of the year's portfolio overdue that day, and how many of them owe by the
    ledger (have such legs).

    One join, the overdue accounts found by ``overdue_on`` (a semi-join PostgreSQL can
    estimate). A correlated sum per account reads fewer rows but is estimated at the
    average account's legs (the bank accounts' hundreds of thousands inflate it): the
    plan's cost crosses ``jit_above_cost`` and compiling it took 0.3 s."""
    overdue = repayable_accounts(scope=scope, year=year).filter(overdue_on(as_of))
    row = Leg.objects.filter(
        account__repayable__in=overdue.values("pk"),
        account__kind=Account.Kind.RECEIVABLE,
        entry__value_date__lte=as_of,
    ).aggregate(fen=Sum("amount"), n=Count("account__repayable", distinct=True))
    return int(row["fen"] or 0), row["n"]


def year_recovery(*, scope: ReportScope, year: int) -> Recovery:
    as_of = min(clock.today(), dt.date(year, 12, 31))
    figures = Recovery(as_of=as_of)
    figures.overdue_principal_fen, figures.overdue_accounts = _overdue_principal(scope, year, as_of)
    credited = _credited(
        scope,
        year,
        (Entry.Kind.REPAYMENT_DUNNING, Entry.Kind.REPAYMENT_COURT, Entry.Kind.WRITE_OFF),
    )
    figures.dunning_fen = credited[Entry.Kind.REPAYMENT_DUNNING]
    figures.court_fen = credited[Entry.Kind.REPAYMENT_COURT]
    cases = LegalCase.objects.filter(scope.ledger_q(), referred_on__year=year).aggregate(
        fen=Sum("principal_referred_fen"), n=Count("pk")
    )
    figures.referred_fen, figures.referred_cases = int(cases["fen"] or 0), cases["n"]
    figures.written_off_fen = credited[Entry.Kind.WRITE_OFF]
    return figures


@dataclass
class BatchSummary:
    year: int
    batches: list[Batch]
    recovery: Recovery

    @property
    def year_rows(self) -> list[tuple[str, Figures]]:
        totals: dict[str, Figures] = {}
        for batch in self.batches:
            for instrument, figures in batch.rows:
                totals.setdefault(instrument, Figures()).add(figures)
        return [(i, totals[i]) for i in INSTRUMENTS if i in totals]

    @property
    def year_display_rows(self) -> list[tuple[str, Figures]]:
        return [(instrument_label(i), f) for i, f in self.year_rows]

    @property
    def year_total(self) -> Figures:
        total = Figures(projects=sum(b.projects for b in self.batches))
        for _i, figures in self.year_rows:
            total.approved_fen += figures.approved_fen
            total.committed_fen += figures.committed_fen
            total.paid_fen += figures.paid_fen
        return total


def _by_call(approved: Any, **parts: Any) -> dict[str, list[tuple[int, str | None, int]]]:
    """For each of ``parts`` (querysets of ``ref``, ``instrument``, ``fen`` values: a
    project number, an instrument, an amount), (call, instrument, fen) over the
    ``approved`` applications.

    The ledger names a project by its number, not by key, so the ORM cannot join the
    two: the querysets' SQL is joined here, in one statement (a hash join each on
    PostgreSQL), answering a few rows per call, where grouping by project sent one row
    per project to Python. (Not a common table expression for the applications: a
    materialised CTE keeps PostgreSQL from planning the joins in parallel.)"""
    a_sql, a_params = approved.order_by().values("number", "call_id").query.sql_with_params()
    selects: list[str] = []
    params: list[Any] = []
    for n, rows in enumerate(parts.values()):
        r_sql, r_params = rows.order_by().query.sql_with_params()
        selects.append(
            f"SELECT {n}, a.call_id, r.instrument, SUM(r.fen) FROM ({a_sql}) a "  # noqa: S608 - Django's own SQL
            f"JOIN ({r_sql}) r ON r.ref = a.number GROUP BY a.call_id, r.instrument"
        )
        params.extend([*a_params, *r_params])
    sql = " UNION ALL ".join(selects)
    found: dict[str, list[tuple[int, str | None, int]]] = {name: [] for name in parts}
    names = list(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for n, call_id, instrument, fen in cursor:
            found[names[n]].append((call_id, instrument, int(fen or 0)))
    return found


def batch_summary(*, scope: ReportScope, year: int) -> BatchSummary:
    approved = Application.objects.filter(
        call__year=year, approved_amount_fen__isnull=False
    ).filter(scope.region_q("district__path"))
    projects = dict(
        approved.order_by().values("call_id").annotate(n=Count("pk")).values_list("call_id", "n")
    )
    calls = {
        c.pk: c for c in Call.objects.filter(pk__in=list(projects)).select_related("programme")
    }
    batches = {
        pk: Batch(
            call_id=pk,
            title=call.title,
            programme=call.programme.name,
            document_no=call.doc_number,
            projects=projects[pk],
        )
        for pk, call in sorted(calls.items(), key=lambda kv: (kv[1].opens_on, kv[0]))
    }
    figures: dict[tuple[int, str | None], Figures] = defaultdict(Figures)
    funding = (
        ApplicationFunding.objects.filter(application__in=approved.values("pk"))
        .values("application__call_id", "instrument")
        .annotate(
            n=Count("pk"),
            fen=Sum(Coalesce("approved_fen", "amount_fen")),
        )
        .values_list("application__call_id", "instrument", "n", "fen")
    )
    for call_id, instrument, n, fen in funding:
        f = figures[(call_id, instrument)]
        f.projects, f.approved_fen = n, fen or 0
    committed = Leg.objects.filter(
        account__kind=Account.Kind.COMMITTED,
        entry__kind__in=[Entry.Kind.COMMIT, Entry.Kind.RELEASE],
    ).values(
        ref=F("account__project_ref"),
        instrument=F("account__budget_line__instrument"),
        fen=F("amount"),
    )
    principal = RepayableAccount.objects.values(
        ref=F("project_ref"),
        instrument=Value(Instrument.REPAYABLE.value, output_field=CharField()),
        fen=F("principal_fen"),
    )
    paid = Disbursement.objects.filter(status__in=PAID).values(
        ref=F("project_ref"), instrument=F("budget_line__instrument"), fen=F("amount_fen")
    )
    ledger = _by_call(approved, committed=committed, principal=principal, paid=paid)
    for call_id, instr, fen in ledger["committed"] + ledger["principal"]:
        figures[(call_id, instr)].committed_fen += fen
    for call_id, instr, fen in ledger["paid"]:
        figures[(call_id, instr)].paid_fen += fen
    for (call_id, instr), f in figures.items():
        if call_id in batches and instr is not None:
            batches[call_id].by_instrument[instr] = f
    return BatchSummary(
        year=year,
        batches=list(batches.values()),
        recovery=year_recovery(scope=scope, year=year),
    )


def batch_frame(summary: BatchSummary) -> pd.DataFrame:
    """One row per batch and instrument, for the workbook's 批次汇总 sheet."""
    rows: list[tuple[Any, ...]] = []
    for batch in summary.batches:
        for instrument, f in batch.rows:
            rows.append(
                (
                    batch.title,
                    batch.document_no,
                    batch.programme,
                    INSTRUMENT_ZH.get(Instrument(instrument), instrument),
                    f.projects,
                    f.approved_fen,
                    f.committed_fen,
                    f.paid_fen,
                )
            )
    frame = pd.DataFrame.from_records(
        rows,
        columns=[
            "batch",
            "document_no",
            "programme",
            "instrument",
            "projects",
            "approved_fen",
            "committed_fen",
            "paid_fen",
        ],
    )
    for column in frame.columns[4:]:
        frame[column] = frame[column].astype("Int64")
    return frame


def recovery_frame(recovery: Recovery) -> pd.DataFrame:
    """The year's recovery figures, for the workbook's 收回情况 sheet."""
    frame = pd.DataFrame.from_records(
        [(label, fen, n) for label, fen, n in recovery.rows],
        columns=["figure", "amount_fen", "count"],
    )
    frame["amount_fen"] = frame["amount_fen"].astype("Int64")
    frame["count"] = frame["count"].astype("Int64")
    return frame
