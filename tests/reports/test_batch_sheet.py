"""The 批次汇总 sheet of the year-end workbook ties to the other sheets, and its page
shows the same figures in Chinese words."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.models import Application
from reports.batches import batch_summary
from reports.scope import whole_database
from tests.conftest import login

from .conftest import fen, read_book, rows_of, totals_of

pytestmark = pytest.mark.django_db


def book_of(tmp_path, year):
    out = tmp_path / f"report-{year}.xlsx"
    call_command("year_end_report", "--year", str(year), "--out", str(out), stdout=io.StringIO())
    return read_book(out)


def _more_approved(prefix: str, count: int, instrument: str, fen: int):
    """``count`` approved applications in the call of the first approved one of 2025, each
    funded ``fen`` by ``instrument``: (that first application, the ones made)."""
    from projects.models import ApplicationFunding

    first = Application.objects.filter(call__year=2025, approved_amount_fen__isnull=False).first()
    made = Application.objects.bulk_create(
        Application(
            number=f"{prefix}-{n:04d}",
            call=first.call,
            category=first.category,
            title=f"批量 {n}",
            organisation=first.organisation,
            district=first.district,
            status="approved",
            approved_amount_fen=fen,
            created_by=first.created_by,
        )
        for n in range(count)
    )
    ApplicationFunding.objects.bulk_create(
        ApplicationFunding(application=a, instrument=instrument, amount_fen=fen, approved_fen=fen)
        for a in made
    )
    return first, made


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_batch_sheet_ties_to_the_project_and_repayable_sheets(demo, tmp_path, year):
    # given the demo world's books of the year
    book = book_of(tmp_path, year)
    batches = rows_of(book, "批次汇总")
    assert batches, "the demo year has approved projects"
    totals = totals_of(book, "批次汇总")
    projects = totals_of(book, "项目汇总")
    # then what was approved and paid adds up to the project sheet's totals, to the fen
    assert fen(totals["立项金额"]) == fen(projects["立项金额"])
    assert fen(totals["已拨付"]) == fen(projects["已拨付"])
    assert sum(fen(r["立项金额"]) for r in batches) == fen(totals["立项金额"])
    # and the repayable part committed is the principal the project sheet expects back
    repayable = [r for r in batches if r["资金性质"] == "有偿资助"]
    assert sum(fen(r["已承诺"]) for r in repayable) == (fen(projects["应收回"]) or 0)
    # the number of projects per batch is the number approved in it
    approved = Application.objects.filter(call__year=year, approved_amount_fen__isnull=False)
    summary = batch_summary(scope=whole_database(), year=year)
    assert sum(b.projects for b in summary.batches) == approved.count()
    assert {r["资金性质"] for r in batches} <= {"无偿资助", "贷款贴息", "有偿资助", "以奖代补"}


def test_the_batch_page_shows_each_batch_by_instrument(demo):
    client = login("city_officer")
    response = client.get(reverse("reports:batches") + "?year=2025")
    assert response.status_code == 200
    html = response.content.decode()
    summary = batch_summary(scope=whole_database(), year=2025)
    for batch in summary.batches:
        assert batch.title in html
    assert "无偿资助" in html
    assert login("applicant").get(reverse("reports:batches")).status_code == 403


def test_the_batch_summary_reads_in_a_fixed_number_of_queries(demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            batch_summary(scope=whole_database(), year=2025)
        return len(captured)

    small = queries()
    # given: many more approved projects in the year's batch
    first, _made = _more_approved("BATCH", 30, "grant", 100_000)
    # then the same number of queries, and the new projects are counted
    assert queries() == small
    summary = batch_summary(scope=whole_database(), year=2025)
    batch = next(b for b in summary.batches if b.call_id == first.call_id)
    assert dict(batch.rows)["grant"].approved_fen >= 30 * 100_000


def test_the_recovery_sheet_ties_to_the_repayable_sheet_and_the_case_rows(demo, tmp_path):
    from django.db.models import Sum

    from ledger.models import LegalCase, Repayment, WriteOff

    # given the demo's books of 2026 (an account chased, one in court, one written off)
    book = book_of(tmp_path, 2026)
    recovery = {r["项目"]: r for r in rows_of(book, "收回情况")}
    assert list(recovery) == ["年末逾期本金", "催收收回", "诉讼收回", "移送法院", "核销"]
    # then the overdue principal is what the 有偿资金 sheet's overdue rows still owe
    overdue = [r for r in rows_of(book, "有偿资金") if r["逾期天数"] > 0]
    assert overdue
    owed = sum(fen(r["本金"]) - (fen(r["已还本金"]) or 0) for r in overdue)
    assert fen(recovery["年末逾期本金"]["金额"]) == owed
    assert recovery["年末逾期本金"]["户数"] == len(overdue)

    # the money recovered on each path is the year's repayments recorded on it
    def repaid(path):
        rows = Repayment.objects.filter(path=path, value_date__year=2026)
        return rows.aggregate(fen=Sum("amount_fen"))["fen"] or 0

    assert fen(recovery["催收收回"]["金额"]) == repaid("dunning") > 0
    assert fen(recovery["诉讼收回"]["金额"]) == repaid("court") > 0
    # handed to the courts: the cases referred in the year, at the principal then owed
    cases = LegalCase.objects.filter(referred_on__year=2026)
    assert fen(recovery["移送法院"]["金额"]) == sum(c.principal_referred_fen for c in cases)
    assert recovery["移送法院"]["户数"] == cases.count() == 1
    # written off: the write-offs approved with a 2026 date, as booked
    written = WriteOff.objects.filter(status="approved", value_date__year=2026)
    assert fen(recovery["核销"]["金额"]) == sum(w.total_fen for w in written) > 0


def test_the_district_report_downloads_from_the_batch_page_on_one_page(demo):
    from pypdf import PdfReader

    from core.money import format_fen

    client = login("city_officer")
    html = client.get(reverse("reports:batches") + "?year=2026").content.decode()
    address = reverse("reports:district_report") + "?year=2026"
    assert address in html and "催收收回" in html and "诉讼收回" in html
    response = client.get(address)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace("\n", "")
    r = batch_summary(scope=whole_database(), year=2026).recovery
    assert f"通过催收收回{format_fen(r.dunning_fen)}元" in text
    assert f"通过诉讼收回{format_fen(r.court_fen)}元" in text
    assert f"核销{format_fen(r.written_off_fen)}元" in text
    assert login("applicant").get(address).status_code == 403


def test_the_ledger_figures_of_each_batch_are_the_sums_over_its_own_projects(demo):
    from collections import defaultdict

    from ledger.models import Disbursement, Leg, RepayableAccount

    # given the batches of 2025 (the demo's year with commitments and payments), the
    # ledger's rows joined to the projects in one statement
    year = 2025
    summary = batch_summary(scope=whole_database(), year=year)
    got = {
        (b.call_id, instrument): (f.committed_fen, f.paid_fen)
        for b in summary.batches
        for instrument, f in b.rows
    }
    # then each batch's committed and paid figures are those of its projects, read here
    # one project at a time
    expected: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    approved = Application.objects.filter(call__year=year, approved_amount_fen__isnull=False)
    for app in approved:
        for leg in Leg.objects.filter(
            account__kind="committed",
            account__project_ref=app.number,
            entry__kind__in=["commit", "release"],
        ).select_related("account__budget_line"):
            expected[(app.call_id, leg.account.budget_line.instrument)][0] += leg.amount
        for account in RepayableAccount.objects.filter(project_ref=app.number):
            expected[(app.call_id, "repayable")][0] += account.principal_fen
        for d in Disbursement.objects.filter(
            project_ref=app.number, status__in=["paid", "reconciled"]
        ).select_related("budget_line"):
            expected[(app.call_id, d.budget_line.instrument)][1] += d.amount_fen
    assert any(committed for committed, _paid in expected.values())
    assert any(paid for _committed, paid in expected.values())
    for key, (committed, paid) in expected.items():
        assert got[key] == (committed, paid), key
    for key, figures in got.items():
        assert figures == tuple(expected.get(key, (0, 0))), key


def test_the_batch_page_reads_in_the_same_number_of_queries_as_the_year_grows(demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("city_officer")
    address = reverse("reports:batches") + "?year=2025"
    client.get(address)  # warm the session

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured)

    small = queries()
    # given ten times more approved projects in one of the year's batches
    first, made = _more_approved("GROW", 10 * Application.objects.count(), "award", 50_000)
    # then the page reads in as many queries, and shows them
    assert queries() == small
    summary = batch_summary(scope=whole_database(), year=2025)
    batch = next(b for b in summary.batches if b.call_id == first.call_id)
    assert dict(batch.rows)["award"].projects >= len(made)
