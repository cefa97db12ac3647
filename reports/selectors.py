"""Reads for the year-end workbook and the dashboards.

Every read is scoped by a ``ReportScope`` (the user's subtrees, or the system's whole
database) and runs a fixed number of grouped queries, whatever the number of rows.

Where the figures come from:

* projects: ``Application`` of the calls of the year (drafts are nobody's report);
  score and rank from the latest closed city panel (终审) of the application's call.
* money per project, from the ledger by the project's number (``project_ref``): paid =
  disbursements paid or reconciled; 应收回 = principal of its repayable accounts;
  已收回 = principal repaid plus what was recovered after a write-off. The project row is
  in scope, so its money is read whoever's books it sits in (city lines pay district
  projects).
* budget execution: the budget lines' own account balances (``BudgetLine.with_figures``),
  the same figures as the ledger's pages.
* repayable funding: the repayable accounts in scope, their repayments and their
  usage-fee income account.

Amounts stay integer fen here (pandas ``Int64``: exact, with a missing value that stays
missing); the workbook turns them into yuan at the last moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import OrgUnit
from core import clock
from funding.models import Call
from ledger.aging import OPEN, UNPAID, bucket_for, with_current_aging
from ledger.models import (
    Account,
    AgingBucket,
    BudgetLine,
    Disbursement,
    Instalment,
    RepayableAccount,
    Repayment,
    WriteOff,
)
from projects.models import Acceptance, Application, ContractIndicator, IndicatorActual
from reviews.models import Panel, PanelItem

from .scope import ReportScope

S = Application.Status

# The states an application reaches only after its district recommended it (DESIGN §3);
# a rejection records the stage it happened at.
PAST_RECOMMENDATION = (
    S.RECOMMENDED,
    S.UNDER_REVIEW,
    S.REVIEWED,
    S.PUBLICITY,
    S.APPROVED,
    S.CONTRACTED,
    S.IN_PROGRESS,
    S.ACCEPTANCE_REQUESTED,
    S.ACCEPTANCE_REVIEW,
    S.RECTIFYING,
    S.ACCEPTED,
    S.FAILED,
    S.CLOSED,
    S.TERMINATED,
    S.DISQUALIFIED,
)
REJECTED_AT_CITY = (S.RECOMMENDED, S.REVIEWED, S.PUBLICITY)
PAID = (Disbursement.Status.PAID, Disbursement.Status.RECONCILED)
OPEN_REPAYABLE = (
    RepayableAccount.Status.SCHEDULED,
    RepayableAccount.Status.ACTIVE,
    RepayableAccount.Status.OVERDUE,
    RepayableAccount.Status.RESCHEDULED,
)
OVERDUE_BUCKETS = (
    AgingBucket.D1_30,
    AgingBucket.D31_90,
    AgingBucket.D91_180,
    AgingBucket.D181_365,
    AgingBucket.OVER_365,
)


def _ints(values: Iterable[int | None]) -> Any:
    """An exact integer column whose unknown values stay unknown (never 0, never NaN)."""
    return pd.array(list(values), dtype="Int64")


def _frame(
    rows: list[tuple[Any, ...]], columns: list[str], *, ints: Iterable[str] = ()
) -> pd.DataFrame:
    """A frame of query rows, column by column: ``ints`` become exact ``Int64`` columns
    (pandas would otherwise turn integers with a missing value into floats)."""
    exact = set(ints)
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pd.DataFrame(
        {
            name: _ints(column) if name in exact else list(column)
            for name, column in zip(columns, values, strict=True)
        },
        columns=columns,
    )


# --- projects -----------------------------------------------------------------------------


def year_applications(*, scope: ReportScope, year: int) -> QuerySet[Application]:
    """The applications of the calls of ``year`` in the scope (drafts excluded)."""
    return (
        Application.objects.filter(call__year=year)
        .exclude(status=S.DRAFT)
        .filter(scope.region_q("district__path"))
    )


def _city_results(applications: QuerySet[Application]) -> dict[int, tuple[Any, Any]]:
    """application id → (score, rank) on the latest closed city panel of its call."""
    items = (
        PanelItem.objects.filter(
            application__in=applications.values("pk"),
            panel__stage=Panel.Stage.CITY,
            panel__status=Panel.Status.CLOSED,
            panel__call_id=F("application__call_id"),
        )
        .order_by("panel__closed_at", "panel_id")
        .values_list("application_id", "score", "rank")
    )
    return {app_id: (score, rank) for app_id, score, rank in items}


def _latest_conclusions(applications: QuerySet[Application]) -> dict[int, str]:
    rows = (
        Acceptance.objects.filter(application__in=applications.values("pk"))
        .exclude(conclusion="")
        .order_by("round")
        .values_list("application_id", "conclusion")
    )
    return dict(rows)


def project_money(numbers: QuerySet[Any]) -> dict[str, dict[str, int]]:
    """Per project number: paid, repayable principal, principal repaid and recovered
    (fen), from the ledger. ``numbers`` is a queryset of ``number`` values."""
    out: dict[str, dict[str, int]] = {}
    paid = (
        Disbursement.objects.filter(project_ref__in=numbers, status__in=PAID)
        .values("project_ref")
        .annotate(total=Sum("amount_fen"))
        .values_list("project_ref", "total")
    )
    for ref, total in paid:
        out.setdefault(ref, {})["paid"] = total
    principal = (
        RepayableAccount.objects.filter(project_ref__in=numbers)
        .values("project_ref")
        .annotate(total=Sum("principal_fen"))
        .values_list("project_ref", "total")
    )
    for ref, total in principal:
        out.setdefault(ref, {})["principal"] = total
    back = (
        Repayment.objects.filter(account__project_ref__in=numbers)
        .values("account__project_ref")
        .annotate(principal=Sum("principal_fen"), recovered=Sum("recovery_fen"))
        .values_list("account__project_ref", "principal", "recovered")
    )
    for ref, repaid, recovered in back:
        out.setdefault(ref, {})["recovered"] = (repaid or 0) + (recovered or 0)
    return out


PROJECT_FIELDS = [
    "id",
    "number",
    "title",
    "programme",
    "category",
    "applicant",
    "district_id",
    "district",
    "district_path",
    "status",
    "rejected_stage",
    "approved_fen",
]


def project_summary(*, scope: ReportScope, year: int) -> pd.DataFrame:
    """One row per application of the year, with its review result, money and the
    conclusion of its latest concluded acceptance."""
    applications = year_applications(scope=scope, year=year)
    rows = (
        applications.annotate(
            applicant=Case(
                When(
                    category__applicant_kind="person",
                    person__isnull=False,
                    then=F("person__name"),
                ),
                default=Coalesce(F("organisation__name"), F("person__name")),
            )
        )
        .order_by("call__programme__code", "number")
        .values_list(
            "pk",
            "number",
            "title",
            "call__programme__name",
            "category__name",
            "applicant",
            "district_id",
            "district__name",
            "district__path",
            "status",
            "rejected_stage",
            "approved_amount_fen",
        )
    )
    frame = _frame(list(rows), PROJECT_FIELDS, ints=("approved_fen",))
    results = _city_results(applications)
    conclusions = _latest_conclusions(applications)
    money = project_money(applications.values("number"))
    ids, numbers = frame["id"].tolist(), frame["number"].tolist()
    approved = [None if a is pd.NA else a for a in frame["approved_fen"].tolist()]
    frame["score"] = [results.get(i, (None, None))[0] for i in ids]
    frame["rank"] = _ints(results.get(i, (None, None))[1] for i in ids)
    ledger = [money.get(n, {}) for n in numbers]
    # Paid is known for every project the ledger knows or that was approved (nothing
    # paid yet is 0); for an application never funded it is blank, not 0.
    frame["paid_fen"] = _ints(
        m.get("paid", 0) if ("paid" in m or a is not None) else None
        for m, a in zip(ledger, approved, strict=True)
    )
    frame["repayable_fen"] = _ints(m.get("principal") for m in ledger)
    frame["recovered_fen"] = _ints(
        m.get("recovered", 0) if "principal" in m else None for m in ledger
    )
    frame["conclusion"] = [conclusions.get(i, "") for i in ids]
    statuses = frame["status"].tolist()
    stages = frame["rejected_stage"].tolist()
    frame["recommended"] = [
        s in PAST_RECOMMENDATION or (s == S.REJECTED and r in REJECTED_AT_CITY)
        for s, r in zip(statuses, stages, strict=True)
    ]
    return frame


def districts_in(scope: ReportScope) -> pd.DataFrame:
    rows = (
        OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT)
        .filter(scope.region_q("path"))
        .order_by("path")
        .values_list("pk", "name", "path")
    )
    return pd.DataFrame.from_records(list(rows), columns=["district_id", "district", "path"])


def district_statistics(*, scope: ReportScope, projects: pd.DataFrame) -> pd.DataFrame:
    """Per district of the scope (every one, zeros included): applications, recommended,
    approved (count and amount), paid and accepted, from the project rows."""
    districts = districts_in(scope)
    work = pd.DataFrame(
        {
            "district_id": projects["district_id"],
            "district": projects["district"],
            "path": projects["district_path"],
            "applied": 1,
            "recommended": projects["recommended"].astype("int64"),
            "approved": projects["approved_fen"].notna().astype("int64"),
            "approved_fen": projects["approved_fen"],
            "paid_fen": projects["paid_fen"],
            "accepted": (projects["conclusion"] == Acceptance.Conclusion.ACCEPT).astype("int64"),
        }
    )
    grouped = (
        work.groupby(["district_id", "district", "path"], as_index=False)
        .agg(
            applied=("applied", "sum"),
            recommended=("recommended", "sum"),
            approved=("approved", "sum"),
            approved_fen=("approved_fen", "sum"),
            paid_fen=("paid_fen", "sum"),
            accepted=("accepted", "sum"),
        )
        .astype({"approved_fen": "Int64", "paid_fen": "Int64"})
    )
    merged = districts.merge(grouped, on=["district_id", "district", "path"], how="outer")
    counts = ["applied", "recommended", "approved", "accepted"]
    merged[counts] = merged[counts].fillna(0).astype("int64")
    for money in ("approved_fen", "paid_fen"):
        merged[money] = merged[money].astype("Int64").fillna(0)
    return merged.sort_values("path", kind="stable").reset_index(drop=True)


# --- budget execution -------------------------------------------------------------------


def budget_execution(*, scope: ReportScope, year: int) -> QuerySet[BudgetLine]:
    """The year's budget lines in the scope, with their balances (fen, normal side)."""
    return (
        BudgetLine.objects.filter(year=year)
        .filter(scope.ledger_q())
        .with_figures()
        .order_by("scope_path", "programme_code", "code")
    )


def budget_frame(*, scope: ReportScope, year: int) -> pd.DataFrame:
    lines = budget_execution(scope=scope, year=year)
    source = dict(BudgetLine.Source.choices)
    instrument = dict(BudgetLine._meta.get_field("instrument").choices or [])
    rows = [
        (
            line.name,
            line.year,
            str(source.get(line.funding_source, line.funding_source)),
            str(instrument.get(line.instrument, line.instrument)),
            line.appropriation_fen,  # type: ignore[attr-defined]
            line.committed_fen + line.approved_fen,  # type: ignore[attr-defined]
            line.disbursed_fen,  # type: ignore[attr-defined]
            line.available_fen,  # type: ignore[attr-defined]
            line.transferred_fen,  # type: ignore[attr-defined]
        )
        for line in lines
    ]
    frame = pd.DataFrame.from_records(
        rows,
        columns=[
            "name",
            "year",
            "source",
            "instrument",
            "appropriation_fen",
            "committed_fen",
            "disbursed_fen",
            "available_fen",
            "transferred_fen",
        ],
    )
    for column in frame.columns[4:]:
        frame[column] = frame[column].astype("Int64")
    return frame


# --- repayable funding ------------------------------------------------------------------


def repayable_accounts(*, scope: ReportScope, year: int) -> QuerySet[RepayableAccount]:
    """The repayable accounts of the year's portfolio: lent under a budget line of that
    year or before, and either still open, lent that year, or repaid or written off
    (in part) that year."""
    repaid_that_year = Repayment.objects.filter(account=OuterRef("pk"), value_date__year=year)
    written_off_that_year = WriteOff.objects.filter(
        account=OuterRef("pk"), status="approved", value_date__year=year
    )
    return (
        RepayableAccount.objects.filter(scope.ledger_q())
        .filter(budget_line__year__lte=year)
        .filter(
            Q(status__in=OPEN_REPAYABLE)
            | Q(budget_line__year=year)
            | Exists(repaid_that_year)
            | Exists(written_off_that_year)
        )
    )


def repayable_frame(*, scope: ReportScope, year: int) -> pd.DataFrame:
    accounts = repayable_accounts(scope=scope, year=year)
    # How late each account is, read from its schedule as of the year's end (or today,
    # within the year): never the figure of the last nightly run, which may have missed.
    as_of = min(clock.today(), dt.date(year, 12, 31))
    rows = list(
        with_current_aging(accounts, as_of)
        .order_by("project_ref", "number")
        .values_list(
            "pk",
            "project_ref",
            "borrower_name",
            "principal_fen",
            "overdue_since",
            "current_aging",
            "status",
        )
    )
    repaid = {
        pk: (principal, fee)
        for pk, principal, fee in Repayment.objects.filter(account__in=accounts.values("pk"))
        .values("account_id")
        .annotate(principal=Sum("principal_fen"), fee=Sum("fee_fen"))
        .values_list("account_id", "principal", "fee")
    }
    # Usage fees fall due on the instalment dates and are booked then (Dr fee receivable,
    # Cr usage-fee income): what fell due so far is the income account's balance.
    fees_due = dict(
        Account.objects.filter(
            repayable__in=accounts.values("pk"), kind=Account.Kind.USAGE_FEE_INCOME
        ).values_list("repayable_id", "balance")
    )
    aging = dict(AgingBucket.choices)
    status = dict(RepayableAccount.Status.choices)
    frame = pd.DataFrame(
        {
            "project_ref": [r[1] for r in rows],
            "borrower": [r[2] for r in rows],
            "principal_fen": _ints(r[3] for r in rows),
            "repaid_fen": _ints(repaid.get(r[0], (0, 0))[0] for r in rows),
            "fee_due_fen": _ints(
                -fees_due[r[0]] if r[0] in fees_due else None  # a credit balance
                for r in rows
            ),
            "fee_paid_fen": _ints(repaid.get(r[0], (0, 0))[1] for r in rows),
            "days_overdue": _ints((as_of - r[4]).days if r[4] is not None else 0 for r in rows),
            "aging": [str(aging.get(r[5], r[5])) for r in rows],
            "status": [str(status.get(r[6], r[6])) for r in rows],
        }
    )
    return frame


def aging_summary(*, scope: ReportScope) -> list[dict[str, Any]]:
    """Overdue repayable accounts by aging bucket: count and outstanding principal (the
    receivable balance, fen); every bucket, empty ones included."""
    # read from the schedule as of today (ledger.aging), whether or not the nightly ran:
    # the oldest unpaid instalment due before today of each open account, grouped by that
    # date with the accounts' receivable balances, then bucketed here (a few dozen dates).
    # Grouped over with_current_aging's annotation, the bucket's subquery ran once per
    # account and branch of the bucket, and PostgreSQL compiled the query (JIT).
    today = clock.today()
    oldest = (
        Instalment.objects.filter(due_date__lt=today)
        .filter(UNPAID, account__status__in=OPEN)
        .filter(scope.ledger_q("account__scope_path"))
        .order_by()
        .values("account_id")
        .annotate(since=Min("due_date"))
    )
    owed = (
        Account.objects.filter(kind=Account.Kind.RECEIVABLE, repayable__isnull=False)
        .order_by()
        .values("repayable_id")
        .annotate(owed=Sum("balance"))
    )
    a_sql, a_params = oldest.query.sql_with_params()
    o_sql, o_params = owed.query.sql_with_params()
    sql = (
        f"SELECT x.since, COUNT(*), SUM(o.owed) FROM ({a_sql}) x "  # noqa: S608 - Django's own SQL
        f"LEFT JOIN ({o_sql}) o ON o.repayable_id = x.account_id GROUP BY x.since"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*a_params, *o_params])
        by_date = cursor.fetchall()
    found: dict[str, tuple[int, int]] = {}
    for since, n, owed_fen in by_date:
        if isinstance(since, str):  # SQLite answers dates as text
            since = dt.date.fromisoformat(since)
        bucket = bucket_for(since, today)
        count, total = found.get(bucket, (0, 0))
        found[bucket] = (count + n, total + int(owed_fen or 0))
    labels = dict(AgingBucket.choices)
    return [
        {
            "bucket": bucket,
            "label": labels[bucket],
            "n": found.get(bucket, (0, 0))[0],
            "owed_fen": found.get(bucket, (0, 0))[1],
        }
        for bucket in OVERDUE_BUCKETS
    ]


# --- acceptance -------------------------------------------------------------------------


def acceptances(*, scope: ReportScope, year: int) -> QuerySet[Acceptance]:
    """Acceptances of the year's projects, and those concluded in the year (Beijing
    time), in the scope."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    return Acceptance.objects.filter(scope.region_q("application__district__path")).filter(
        Q(application__call__year=year) | Q(concluded_at__gte=start, concluded_at__lt=end)
    )


def acceptance_frames(*, scope: ReportScope, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """验收情况 (one row per project: its latest acceptance round of the year) and
    指标完成 (that round's indicators with the actuals of its final report)."""
    population = acceptances(scope=scope, year=year)
    rows = list(
        population.order_by("application__number", "round").values_list(
            "pk",
            "application_id",
            "application__number",
            "application__title",
            "conclusion",
            "completion_pct",
            "concluded_at",
            "report_id",
        )
    )
    latest: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        latest[row[1]] = row  # ordered by round: the last one wins
    chosen = list(latest.values())
    summary = pd.DataFrame(
        {
            "number": [r[2] for r in chosen],
            "title": [r[3] for r in chosen],
            "conclusion": [r[4] for r in chosen],
            "completion_pct": [r[5] for r in chosen],
            "concluded_on": [timezone.localdate(r[6]) if r[6] else None for r in chosen],
        }
    )
    number_of = {r[1]: r[2] for r in chosen}
    report_of = {r[1]: r[7] for r in chosen}
    indicators = list(
        ContractIndicator.objects.filter(
            contract__application_id__in=population.values("application_id")
        )
        .order_by("contract__application__number", "order", "pk")
        .values_list("pk", "contract__application_id", "name", "unit", "target")
    )
    actuals = {
        (report, indicator): value
        for report, indicator, value in IndicatorActual.objects.filter(
            report__acceptance__in=population.values("pk")
        ).values_list("report_id", "indicator_id", "value")
    }
    detail_rows = []
    for pk, app_id, name, unit, target in indicators:
        if app_id not in report_of:
            continue
        value = actuals.get((report_of[app_id], pk))
        detail_rows.append(
            (number_of[app_id], name, unit, target, value, completion_rate(value, target))
        )
    detail = pd.DataFrame.from_records(
        detail_rows, columns=["number", "indicator", "unit", "target", "actual", "rate"]
    )
    return summary, detail


def completion_rate(actual: Decimal | None, target: Decimal) -> Decimal | None:
    """actual ÷ target, capped at 100 % and truncated to 0.01 % — the rule of the
    acceptance's 指标完成率, which is the mean of these."""
    if actual is None or not target:
        return None
    return min(actual / target, Decimal(1)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


# --- dashboards -------------------------------------------------------------------------


def applications_by_district(*, scope: ReportScope, year: int) -> list[dict[str, Any]]:
    """Per district and status: number of applications and amount approved (fen)."""
    # grouped on the district's key and the status alone (a hash aggregate over the
    # applications); grouped on the district's name and path too, PostgreSQL sorted every
    # application by text, on disk past work_mem. The names come from the regions.
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in year_applications(scope=scope, year=year)
        .order_by()
        .values("district_id", "status")
        .annotate(n=Count("pk"), approved_fen=Sum("approved_amount_fen"))
    ]
    names = {
        pk: (name, path)
        for pk, name, path in OrgUnit.objects.filter(
            pk__in={row["district_id"] for row in rows}
        ).values_list("pk", "name", "path")
    }
    for row in rows:
        row["district__name"], row["district__path"] = names[row["district_id"]]
    rows.sort(key=lambda row: (row["district__path"], row["status"]))
    return rows


def paid_by_district(*, scope: ReportScope, year: int) -> dict[int, int]:
    """district id → paid (fen) to the year's projects of that district, from the
    ledger's disbursements (by project number).

    A disbursement names its project by number, not by key, so the ORM cannot join the
    two; one grouped join of the two querysets' SQL (a hash join on PostgreSQL) replaces
    the subquery per disbursement that looked up its project's district."""
    applications = (
        year_applications(scope=scope, year=year).order_by().values("number", "district_id")
    )
    paid = (
        Disbursement.objects.filter(status__in=PAID).order_by().values("project_ref", "amount_fen")
    )
    a_sql, a_params = applications.query.sql_with_params()
    d_sql, d_params = paid.query.sql_with_params()
    sql = (
        f"SELECT a.district_id, SUM(d.amount_fen) FROM ({a_sql}) a "  # noqa: S608 - Django's own SQL
        f"JOIN ({d_sql}) d ON d.project_ref = a.number GROUP BY a.district_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*a_params, *d_params])
        return {district: int(total) for district, total in cursor.fetchall()}


def budget_lines_for_chart(
    *, scope: ReportScope, year: int, limit: int
) -> tuple[list[BudgetLine], int]:
    """The ``limit`` largest budget lines of the year (by appropriation) and how many
    lines there are in all."""
    lines: Any = budget_execution(scope=scope, year=year)  # annotated by with_figures()
    largest = list(lines.order_by("-appropriation_fen", "code")[:limit])
    return largest, lines.count()


def years_with_data(*, scope: ReportScope) -> list[int]:
    """Years that have calls with applications or budget lines in the scope, newest first."""
    # .order_by(): the models' orderings would otherwise join the DISTINCT. The calls
    # are few: each is asked whether it has an application in the scope's districts (one
    # probe of the call-and-district index), where reading every application of the
    # province for its call's year took 20-30 ms at province scale.
    districts = OrgUnit.objects.filter(scope.region_q("path")).values("pk")
    applied = Application.objects.filter(call=OuterRef("pk"), district__in=districts)
    years = set(
        Call.objects.filter(Exists(applied)).order_by().values_list("year", flat=True).distinct()
    )
    years |= set(
        BudgetLine.objects.filter(scope.ledger_q())
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(years, reverse=True)
