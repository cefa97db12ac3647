"""The year-end workbook (年度报表) on the demo books: every sheet and column of DESIGN §7,
figures that agree with the ledger and the review panels to the fen, one district's
rows only, and text that stays text."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger.models import Account, Disbursement, RepayableAccount
from projects.models import Acceptance, Application
from reports.scope import whole_database
from reports.workbook import year_end_data, year_end_workbook
from reviews.models import PanelItem

from .conftest import SHEETS, fen, read_book, rows_of, totals_of

pytestmark = pytest.mark.django_db


def command_book(tmp_path, year, *extra):
    out = tmp_path / f"report-{year}.xlsx"
    call_command(
        "year_end_report", "--year", str(year), "--out", str(out), *extra, stdout=io.StringIO()
    )
    return read_book(out)


def web_book(client, year, **params):
    query = "&".join(f"{k}={v}" for k, v in {"year": year, **params}.items())
    response = client.get(reverse("reports:year_end") + "?" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return read_book(b"".join(response.streaming_content))


def all_values(book):
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


# --- acceptance 1 ----------------------------------------------------------------------------


def test_every_sheet_and_column_of_design_7(demo, tmp_path):
    # when
    book = command_book(tmp_path, 2025)
    # then: the six sheets, in order, with exactly the headers of DESIGN §7
    assert book.sheetnames == list(SHEETS)
    for name, headers in SHEETS.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == headers, name
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
    # money as numbers with two decimals, dates as dates
    first = book["项目汇总"]["J2"]
    assert first.data_type == "n" and first.number_format == "#,##0.00"
    concluded = book["验收情况"]["E2"]
    assert concluded.is_date and concluded.number_format == "yyyy-mm-dd"
    # a chart on 区县统计
    assert book["区县统计"]._charts


@pytest.mark.parametrize("year", [2025, 2026])
def test_budget_execution_totals_equal_the_ledger_balances_to_the_fen(demo, tmp_path, year):
    # given: the ledger's own balances of the year's budget lines
    def balance(kind):
        accounts = Account.objects.filter(budget_line__year=year, kind=kind)
        return accounts.aggregate(t=Sum("balance"))["t"] or 0

    expected = {
        "预算额": -balance(Account.Kind.APPROPRIATION),
        "已承诺": balance(Account.Kind.COMMITTED) + balance(Account.Kind.APPROVED),
        "已拨付": balance(Account.Kind.DISBURSED),
        "可用余额": balance(Account.Kind.AVAILABLE),
    }
    assert expected["预算额"] > 0
    # when
    book = command_book(tmp_path, year)
    # then
    totals = totals_of(book, "预算执行")
    assert {k: fen(totals[k]) for k in expected} == expected
    # and row by row the rows add up to the totals
    rows = rows_of(book, "预算执行")
    for column, total in expected.items():
        assert sum(fen(r[column]) for r in rows) == total


def test_paid_per_project_equals_the_ledger(demo, tmp_path):
    # given: what the ledger paid per project (paid or reconciled disbursements)
    paid = dict(
        Disbursement.objects.filter(status__in=["paid", "reconciled"])
        .values("project_ref")
        .annotate(t=Sum("amount_fen"))
        .values_list("project_ref", "t")
    )
    # when
    book = command_book(tmp_path, 2025)
    rows = rows_of(book, "项目汇总")
    # then
    assert len(rows) == Application.objects.filter(call__year=2025).exclude(status="draft").count()
    funded = [r for r in rows if r["立项金额"] is not None]
    assert len(funded) >= 4
    for row in funded:
        assert fen(row["已拨付"]) == paid.get(row["项目编号"], 0), row["项目编号"]
    assert fen(totals_of(book, "项目汇总")["已拨付"]) == sum(
        paid.get(r["项目编号"], 0) for r in rows
    )
    # an application never funded has no paid figure at all (blank, not 0)
    rejected = next(r for r in rows if r["项目编号"] == "KJJH-2025-0002")
    assert rejected["立项金额"] is None and rejected["已拨付"] is None
    # repayable funding: principal to recover and what came back, from the ledger
    repayable = next(r for r in rows if r["项目编号"] == "KJJH-2025-0005")
    account = RepayableAccount.objects.get(project_ref="KJJH-2025-0005")
    assert fen(repayable["应收回"]) == account.principal_fen
    assert repayable["已收回"] == 0
    assert next(r for r in rows if r["项目编号"] == "KJJH-2025-0001")["应收回"] is None


def test_ranks_agree_with_scores(demo, tmp_path):
    # when
    rows = rows_of(command_book(tmp_path, 2025), "项目汇总")
    # then: within each programme's city panel, a better rank never has a lower score
    by_programme = defaultdict(list)
    for row in rows:
        if row["排名"] is not None:
            by_programme[row["计划"]].append(row)
    assert len(by_programme) == 2
    for ranked in by_programme.values():
        ranked.sort(key=lambda r: r["排名"])
        assert [r["排名"] for r in ranked] == list(range(1, len(ranked) + 1))
        scores = [r["评审得分"] for r in ranked]
        assert scores == sorted(scores, reverse=True)
    # and they are the panels' frozen results
    frozen = {
        i.application.number: (round(float(i.score), 4), i.rank)
        for i in PanelItem.objects.filter(
            panel__stage="city", panel__status="closed", application__call__year=2025
        ).select_related("application")
    }
    for row in rows:
        if row["排名"] is not None:
            assert (round(row["评审得分"], 4), row["排名"]) == frozen[row["项目编号"]]


def test_acceptance_sheets_follow_the_acceptances(demo, tmp_path):
    book = command_book(tmp_path, 2025)
    accepted = {r["项目编号"]: r for r in rows_of(book, "验收情况")}
    concluded = Acceptance.objects.exclude(conclusion="").select_related("application")
    for acceptance in concluded:
        row = accepted[acceptance.application.number]
        assert row["指标完成率"] == pytest.approx(float(acceptance.completion_pct) / 100)
        assert row["验收日期"].date() == timezone.localdate(acceptance.concluded_at)
    # the one still under review has no conclusion yet: blank, not invented
    pending = accepted["KPHN-2025-0002"]
    assert pending["验收结论"] is None and pending["验收日期"] is None
    indicators = rows_of(book, "指标完成")
    failed = [r for r in indicators if r["项目编号"] == "KJJH-2025-0005"]
    assert failed and all(r["完成率"] <= 1 for r in failed)
    # the mean of the capped rates is the acceptance's completion rate
    mean = sum(r["完成率"] for r in failed) / len(failed)
    assert mean == pytest.approx(accepted["KJJH-2025-0005"]["指标完成率"], abs=1e-4)


def test_district_statistics_add_up_to_the_projects(demo, tmp_path):
    book = command_book(tmp_path, 2025)
    projects = rows_of(book, "项目汇总")
    districts = {r["所属区县"]: r for r in rows_of(book, "区县统计")}
    assert set(districts) == {"上城区", "西湖区", "余杭区", "吴兴区", "南浔区", "德清县"}
    xihu = [p for p in projects if p["所属区县"] == "西湖区"]
    assert districts["西湖区"]["申报数"] == len(xihu)
    assert districts["西湖区"]["立项数"] == sum(1 for p in xihu if p["立项金额"] is not None)
    assert fen(districts["西湖区"]["拨付金额"]) == sum(fen(p["已拨付"]) or 0 for p in xihu)
    assert districts["西湖区"]["验收通过数"] == sum(1 for p in xihu if p["验收结论"] == "通过验收")
    assert districts["上城区"]["申报数"] == 0
    totals = totals_of(book, "区县统计")
    assert totals["申报数"] == len(projects)


# --- acceptance 2 ----------------------------------------------------------------------------


def test_one_district_from_the_command_and_on_the_web(demo, tmp_path, client):
    from accounts.models import User

    # when: the command for 西湖区, and the district officer of 西湖区 on the web
    from_command = command_book(tmp_path, 2025, "--district", "330106")
    client.force_login(User.objects.get(username="district_officer"))
    from_web = web_book(client, 2025)
    # then: only 西湖区's rows
    for book in (from_command, from_web):
        projects = rows_of(book, "项目汇总")
        assert projects and {r["所属区县"] for r in projects} == {"西湖区"}
        assert "KJJH-2025-0005" not in {r["项目编号"] for r in projects}  # 余杭区
        assert [r["所属区县"] for r in rows_of(book, "区县统计")] == ["西湖区"]
        lines = rows_of(book, "预算执行")
        assert lines and all(r["预算科目"].startswith("西湖区") for r in lines)
        assert "KJJH-2025-0005" not in {r["项目编号"] for r in rows_of(book, "验收情况")}
        assert "KJJH-2025-0005" not in {r["项目编号"] for r in rows_of(book, "指标完成")}
    # and the two are the same workbook
    assert all_values(from_command) == all_values(from_web)
    # while the whole province has more
    everything = rows_of(command_book(tmp_path, 2025), "项目汇总")
    assert len(everything) > len(rows_of(from_web, "项目汇总"))


def test_district_officer_cannot_widen_the_scope(demo, client):
    from accounts.models import User

    client.force_login(User.objects.get(username="district_officer"))
    # 余杭区 is not among the choices, so the form refuses it
    response = client.get(reverse("reports:year_end") + "?year=2025&district=330110")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # the city officer may narrow to 余杭区
    client.force_login(User.objects.get(username="city_officer"))
    book = web_book(client, 2025, district="330110")
    assert {r["所属区县"] for r in rows_of(book, "项目汇总")} == {"余杭区"}


def test_the_command_refuses_bad_arguments(demo, tmp_path):
    with pytest.raises(CommandError, match="999999"):
        call_command(
            "year_end_report",
            "--year",
            "2025",
            "--out",
            str(tmp_path / "a.xlsx"),
            "--district",
            "999999",
        )
    with pytest.raises(CommandError):
        call_command("year_end_report", "--year", "2025", "--out", str(tmp_path / "a.csv"))
    with pytest.raises(CommandError):
        call_command(
            "year_end_report", "--year", "2025", "--out", str(tmp_path / "nowhere" / "a.xlsx")
        )


# --- acceptance 4 ----------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x","y")'


def test_a_formula_in_a_name_comes_out_as_text(demo, tmp_path, client):
    from accounts.models import Organisation, User
    from accounts.services import organisation_update
    from ledger import services as ledger
    from ledger.models import BudgetLine

    # given: an organisation whose name is a formula, a project title and a borrower too
    organisation = Organisation.objects.get(name="杭州西湖智慧农业科技有限公司")
    organisation_update(organisation=organisation, name=FORMULA)
    Application.objects.filter(number="KJJH-2025-0003").update(title="+1+2")
    finance = User.objects.get(username="finance")
    ledger.repayable_open(
        budget_line=BudgetLine.objects.get(code__startswith="2025-KJJH-repayable"),
        project_ref="@SUM(A1)",
        borrower_name=FORMULA,
        principal=Decimal("1000.00"),
        start_date=dt.date(2025, 12, 1),
        term_months=24,
        grace_months=0,
        period_months=6,
        method="equal_principal",
        fee_rate=Decimal("0.02"),
        overdue_rate=Decimal("0.0005"),
        actor=finance,
    )
    client.force_login(User.objects.get(username="city_officer"))
    # when: every export: the command and the web download
    books = [command_book(tmp_path, 2025), web_book(client, 2025)]
    # then
    for book in books:
        found = []
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if cell.value in (FORMULA, "+1+2", "@SUM(A1)"):
                        assert cell.data_type == "s"
                        found.append((sheet.title, cell.value))
        assert ("项目汇总", FORMULA) in found
        assert ("有偿资金", FORMULA) in found
        assert ("有偿资金", "@SUM(A1)") in found
        assert ("项目汇总", "+1+2") in found


# --- reads ---------------------------------------------------------------------------------


def test_the_workbook_reads_in_a_fixed_number_of_queries(demo, tmp_path):
    from accounts.models import User

    def queries():
        with CaptureQueriesContext(connection) as captured:
            year_end_workbook(scope=whole_database(), year=2025, target=io.BytesIO())
        return len(captured)

    small = queries()
    # given: many more applications of the year in another district
    first = Application.objects.filter(call__year=2025).order_by("pk").first()
    from accounts.models import OrgUnit

    wuxing = OrgUnit.objects.get(code="330502")  # 吴兴区
    user = User.objects.get(username="city_officer")
    Application.objects.bulk_create(
        [
            Application(
                number=f"BULK-{n:04d}",
                call=first.call,
                category=first.category,
                title=f"批量 {n}",
                organisation=first.organisation,
                district=wuxing,
                status="submitted",
                created_by=user,
            )
            for n in range(40)
        ]
    )
    # then
    assert queries() == small
    data = year_end_data(scope=whole_database(), year=2025)
    assert len(data.projects) >= 47


def test_a_scope_with_nothing_in_it_still_makes_a_workbook(demo, tmp_path):
    book = command_book(tmp_path, 2019)
    assert book.sheetnames == list(SHEETS)
    assert rows_of(book, "项目汇总") == []
    assert totals_of(book, "区县统计")["申报数"] == 0
