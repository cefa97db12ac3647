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

Three grouped queries whatever the number of projects; amounts in fen."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce

from funding.models import Call, Instrument
from ledger.models import Account, Disbursement, Entry, Leg, RepayableAccount
from projects.models import Application, ApplicationFunding

from .scope import ReportScope

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
class BatchSummary:
    year: int
    batches: list[Batch]

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


def batch_summary(*, scope: ReportScope, year: int) -> BatchSummary:
    approved = (
        Application.objects.filter(call__year=year, approved_amount_fen__isnull=False)
        .filter(scope.region_q("district__path"))
        .values("pk")
    )
    numbers = Application.objects.filter(pk__in=approved).values("number")
    call_of = dict(Application.objects.filter(pk__in=approved).values_list("number", "call_id"))
    calls = {
        c.pk: c
        for c in Call.objects.filter(pk__in=set(call_of.values())).select_related("programme")
    }
    batches = {
        pk: Batch(
            call_id=pk,
            title=call.title,
            programme=call.programme.name,
            document_no=call.doc_number,
        )
        for pk, call in sorted(calls.items(), key=lambda kv: (kv[1].opens_on, kv[0]))
    }
    figures: dict[tuple[int, str], Figures] = defaultdict(Figures)
    funding = (
        ApplicationFunding.objects.filter(application__in=approved)
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
    for call_id, n in (
        Application.objects.filter(pk__in=approved)
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    ):
        batches[call_id].projects = n
    committed = (
        Leg.objects.filter(
            account__kind=Account.Kind.COMMITTED,
            account__project_ref__in=numbers,
            entry__kind__in=[Entry.Kind.COMMIT, Entry.Kind.RELEASE],
        )
        .values("account__project_ref", "account__budget_line__instrument")
        .annotate(fen=Sum("amount"))
        .values_list("account__project_ref", "account__budget_line__instrument", "fen")
    )
    for ref, instrument, fen in committed:
        figures[(call_of[ref], instrument)].committed_fen += fen or 0
    principal = (
        RepayableAccount.objects.filter(project_ref__in=numbers)
        .values("project_ref")
        .annotate(fen=Sum("principal_fen"))
        .values_list("project_ref", "fen")
    )
    for ref, fen in principal:
        figures[(call_of[ref], Instrument.REPAYABLE)].committed_fen += fen or 0
    paid = (
        Disbursement.objects.filter(project_ref__in=numbers, status__in=PAID)
        .values("project_ref", instrument=F("budget_line__instrument"))
        .annotate(fen=Sum("amount_fen"))
        .values_list("project_ref", "instrument", "fen")
    )
    for ref, instrument, fen in paid:
        figures[(call_of[ref], instrument)].paid_fen += fen or 0
    for (call_id, instrument), f in figures.items():
        batches[call_id].by_instrument[instrument] = f
    return BatchSummary(year=year, batches=list(batches.values()))


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
