"""The workbook and the dashboard on a small world built here through the ledger's
services, apart from the demo: exact figures that do not depend on the demo's."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from accounts.models import Organisation, OrgUnit, User
from accounts.services import organisation_update
from core import clock
from funding.models import Call
from ledger import services as ledger
from ledger.models import Account, BudgetLine
from projects.models import Application
from reports.charts import Series, bar_chart
from reports.scope import scope_for_region, whole_database
from reports.workbook import year_end_workbook

from .conftest import fen, read_book, rows_of, totals_of

pytestmark = pytest.mark.django_db

D = dt.date
YEAR = 2030
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
@clock.frozen(dt.datetime(YEAR, 7, 5, 10, 0))  # the ledger books nothing ahead of its day
def world(demo_world):
    """A 2030 call and grant line of 杭州市, two approved projects (西湖区, 余杭区), one
    paid. (2030: nobody else's rows, whether or not the demo is in the database.)"""
    finance = User.objects.get(username="finance")
    checker = User.objects.get(username="finance_checker")
    city = OrgUnit.objects.get(code="330100")
    line = ledger.budget_line_create(
        year=YEAR,
        funding_source=BudgetLine.Source.SCI_TECH,
        instrument="grant",
        programme_code="KJJH",
        name="2030年科技计划项目经费",
        scope_path=city.path,
        amount=Decimal("1000000.00"),
        value_date=D(YEAR, 1, 10),
        actor=finance,
    )
    bank = ledger.bank_account_open(
        name="杭州市财政局",
        bank_name="工商银行",
        account_number="1202000030000",
        scope_path=city.path,
    )
    pattern = Call.objects.get(year=2026, programme__flow="project")
    call = Call.objects.create(
        programme=pattern.programme,
        year=YEAR,
        title="2030年度科技计划项目",
        opens_on=D(YEAR, 3, 1),
        closes_on=D(YEAR, 4, 30),
        district_deadline=D(YEAR, 5, 31),
    )
    category = pattern.categories.order_by("pk").first()
    applications = []
    for number, code in (("T-2030-01", "330106"), ("T-2030-02", "330110")):
        district = OrgUnit.objects.get(code=code)
        organisation = Organisation.objects.filter(region=district).first()
        assert organisation is not None
        applications.append(
            Application(
                number=number,
                call=call,
                category=category,
                title=f"测试项目 {number}",
                organisation=organisation,
                district=district,
                status="contracted",
                approved_amount_fen=20_000_000,
                created_by=finance,
            )
        )
    Application.objects.bulk_create(applications)
    organisation_update(organisation=applications[0].organisation, name=FORMULA)
    commitment = ledger.commitment_post(
        budget_line=line,
        project_ref="T-2030-01",
        amount=Decimal("200000.00"),
        value_date=D(YEAR, 7, 1),
        actor=finance,
        scope_path="/330000/330100/330106/",
    )
    disbursement = ledger.disbursement_create(
        budget_line=line,
        commitment=commitment,
        amount=Decimal("120000.00"),
        payee_name="单位",
        payee_account="6222",
        project_ref="T-2030-01",
        actor=finance,
    )
    ledger.disbursement_submit(disbursement=disbursement, actor=finance)
    ledger.disbursement_approve(disbursement=disbursement, actor=checker)
    ledger.disbursement_pay(
        disbursement=disbursement,
        bank_account=bank,
        paid_on=D(YEAR, 7, 5),
        bank_reference="REF-T-2030-1",
        actor=finance,
    )
    return line


def test_the_small_world_workbook_agrees_with_the_ledger(world):
    # when
    buffer = io.BytesIO()
    year_end_workbook(scope=whole_database(), year=YEAR, target=buffer)
    book = read_book(buffer.getvalue())
    # then
    projects = {r["项目编号"]: r for r in rows_of(book, "项目汇总")}
    assert fen(projects["T-2030-01"]["已拨付"]) == 12_000_000
    assert projects["T-2030-02"]["已拨付"] == 0  # approved, nothing paid yet
    assert projects["T-2030-01"]["申报单位"] == FORMULA
    totals = totals_of(book, "预算执行")
    balances = {
        kind: Account.objects.filter(budget_line__year=YEAR, kind=kind).aggregate(t=Sum("balance"))[
            "t"
        ]
        or 0
        for kind in ("appropriation", "committed", "approved", "disbursed", "available")
    }
    assert fen(totals["预算额"]) == -balances["appropriation"] == 100_000_000
    assert fen(totals["已承诺"]) == balances["committed"] + balances["approved"] == 8_000_000
    assert fen(totals["已拨付"]) == balances["disbursed"] == 12_000_000
    assert fen(totals["可用余额"]) == balances["available"] == 80_000_000
    for sheet in book:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_the_small_world_one_district(world, client):
    buffer = io.BytesIO()
    year_end_workbook(scope=scope_for_region("330106"), year=YEAR, target=buffer)
    numbers = {r["项目编号"] for r in rows_of(read_book(buffer.getvalue()), "项目汇总")}
    assert "T-2030-01" in numbers and "T-2030-02" not in numbers
    # the budget line is the city's: not in a district's report
    assert rows_of(read_book(buffer.getvalue()), "预算执行") == []
    client.force_login(User.objects.get(username="district_officer"))
    html = client.get(reverse("reports:dashboard") + f"?year={YEAR}").content.decode()
    assert "西湖区" in html and "余杭区" not in html
    assert "120,000.00" in html  # paid to the 西湖区 project, from the city's line


def test_charts_escape_text_and_need_no_styles():
    svg = bar_chart(
        title="<b>标题</b>",
        categories=["西湖区", "<script>"],
        series=[Series("已拨付", [Decimal("12.50"), None]), Series("立项", [3, 0])],
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert svg.count("<rect") >= 4  # two legend keys, two bars (no bar for None or 0)
    stacked = bar_chart(
        title="t", categories=["a"], series=[Series("x", [1]), Series("y", [2])], stacked=True
    )
    assert ">3<" in stacked  # the stack's total at its end
    assert bar_chart(title="empty", categories=[], series=[]).startswith("<svg")
