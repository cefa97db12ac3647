"""The report pages: a dashboard for each role with server-drawn charts, scoped to the
user's subtree, in a number of queries that does not grow with the rows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrgUnit, User
from core.money import fen_to_yuan
from ledger import services as ledger
from ledger.models import BudgetLine
from projects.models import Application

pytestmark = pytest.mark.django_db

READERS = [
    "admin",
    "auditor",
    "city_officer",
    "finance",
    "finance_checker",
    "district_officer",
    "district_finance",
    "district_officer_yh",
]


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def panels(html):
    return re.findall(r'id="panel-([a-z]+)"', html)


@pytest.mark.parametrize("username", READERS)
def test_every_region_reader_has_a_dashboard_with_charts(demo, client, username):
    client.force_login(User.objects.get(username=username))
    html = get(client, reverse("reports:dashboard") + "?year=2025")
    shown = panels(html)
    assert shown, username
    assert html.count("<svg") == len(shown)
    assert 'role="img"' in html
    # CSP allows no inline styles and no inline scripts: the charts need neither (the
    # site's one script is a file of its own)
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/js/app.js"]
    # the menu links the dashboard
    assert reverse("reports:dashboard") in html.split("<main")[0]


def test_each_role_sees_its_own_panels(demo, client):
    def shown(username):
        client.force_login(User.objects.get(username=username))
        return panels(get(client, reverse("reports:dashboard") + "?year=2025"))

    assert shown("district_officer") == ["applications", "funding"]
    assert shown("finance") == ["funding", "budget", "aging"]
    assert shown("district_finance") == ["funding", "budget", "aging"]
    assert shown("city_officer") == ["applications", "funding", "budget", "aging"]
    assert shown("auditor") == ["applications", "funding", "budget", "aging"]


@pytest.mark.parametrize("username", ["expert", "applicant"])
def test_people_who_read_no_region_get_no_reports(demo, client, username):
    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert client.get(reverse("reports:year_end") + "?year=2025").status_code == 403
    home = get(client, reverse("home"))
    # the menu's link (a progress report's own page, /reports/<n>/, is another thing)
    assert f'href="{reverse("reports:dashboard")}"' not in home
    assert f'href="{reverse("reports:batches")}"' not in home


def test_the_dashboard_shows_only_the_users_subtree(demo, client):
    client.force_login(User.objects.get(username="district_officer"))
    html = get(client, reverse("reports:dashboard") + "?year=2025")
    assert "西湖区" in html and "余杭区" not in html
    client.force_login(User.objects.get(username="city_officer"))
    html = get(client, reverse("reports:dashboard") + "?year=2025")
    assert "西湖区" in html and "余杭区" in html


def test_the_charts_carry_the_ledgers_figures(demo, client):
    client.force_login(User.objects.get(username="finance"))
    html = get(client, reverse("reports:dashboard") + "?year=2026")
    # 2026 grant line: 8,500,000 budget, 6,400,000 available; 1,350,000 committed
    # (950,000 committed plus 400,000 approved, waiting for the bank)
    budget = html.split('id="panel-budget"')[1].split("</section>")[0]
    assert "8,500,000.00" in budget and "6,400,000.00" in budget and "1,350,000.00" in budget
    aging = html.split('id="panel-aging"')[1].split("</section>")[0]
    for label in ("1–30", "31–90", "91–180", "181–365", "365"):
        assert label in aging
    assert "150,000.00" in aging  # the account more than a year overdue (建德)


def _more_rows(n: int) -> None:
    """n more applications of 2025 in 吴兴区, a budget line and an overdue account."""
    first = Application.objects.filter(call__year=2025).order_by("pk").first()
    user = User.objects.get(username="city_officer")
    for code in ("330106", "330502", "330503", "330521"):
        district = OrgUnit.objects.get(code=code)
        Application.objects.bulk_create(
            [
                Application(
                    number=f"MORE-{code}-{status[:3]}-{i:03d}",
                    call=first.call,
                    category=first.category,
                    title=f"更多 {i}",
                    organisation=first.organisation,
                    district=district,
                    status=status,
                    created_by=user,
                    approved_amount_fen=100_000 if status == "approved" else None,
                )
                for i in range(n)
                for status in ("submitted", "approved", "rejected")
            ]
        )
    finance = User.objects.get(username="finance")
    for source in ("transfer", "other"):
        ledger.budget_line_create(
            year=2025,
            funding_source=source,
            instrument="grant",
            programme_code="KJJH",
            name=f"2025年 {source}",
            scope_path="/330000/330500/",
            amount=fen_to_yuan(5_000_000),
            value_date=first.call.opens_on,
            actor=finance,
        )
    assert BudgetLine.objects.filter(year=2025).count() >= 6


@pytest.mark.parametrize("username", ["admin", "district_officer", "finance"])
def test_dashboard_query_counts_stay_flat(demo, client, username):
    client.force_login(User.objects.get(username=username))
    url = reverse("reports:dashboard") + "?year=2025"
    get(client, url)  # warm the session and the user's scope

    def queries():
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        return len(captured)

    small = queries()
    _more_rows(15)
    assert queries() == small


def test_year_end_download_query_count_stays_flat(demo, client):
    client.force_login(User.objects.get(username="auditor"))
    url = reverse("reports:year_end") + "?year=2025"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            b"".join(response.streaming_content)
        return len(captured)

    queries()
    small = queries()
    _more_rows(15)
    assert queries() == small


def test_the_year_end_page_offers_the_users_regions(demo, client):
    client.force_login(User.objects.get(username="city_officer"))
    html = get(client, reverse("reports:year_end"))
    assert 'value="330106"' in html and 'value="330110"' in html
    assert 'value="330502"' not in html  # 吴兴区 is in 湖州市, not the officer's city


# --- issue 16: the dashboard's reads at scale ---------------------------------------------------


def test_years_with_data_reads_one_row_per_year(demo):
    from reports.scope import whole_database
    from reports.selectors import years_with_data

    expected = set(Application.objects.values_list("call__year", flat=True))
    expected |= set(BudgetLine.objects.values_list("year", flat=True))
    with CaptureQueriesContext(connection) as captured:
        years = years_with_data(scope=whole_database())
    assert years == sorted(expected, reverse=True)
    # each query fetches the distinct years, not a row per application (the models'
    # orderings would put created_at and pk under the DISTINCT)
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute(query["sql"])
            assert len(cursor.fetchall()) <= len(expected), query["sql"]
    assert Application.objects.count() > len(expected)


@pytest.mark.parametrize("region", ["330100", "330106"])
def test_years_with_data_of_a_region_are_its_applications_and_budget_lines_years(demo, region):
    from accounts.models import OrgUnit
    from reports.scope import scope_for_region
    from reports.selectors import years_with_data

    scope = scope_for_region(region)
    districts = OrgUnit.objects.filter(scope.region_q("path"))
    # read the plain way: every application of the region's districts, every budget line
    expected = {
        a.call.year for a in Application.objects.select_related("call") if a.district in districts
    }
    expected |= {line.year for line in BudgetLine.objects.filter(scope.ledger_q())}
    assert years_with_data(scope=scope) == sorted(expected, reverse=True)


@pytest.mark.parametrize("region", [None, "330100", "330106"])
def test_paid_by_district_sums_the_paid_disbursements_of_the_years_projects(demo, region):
    from ledger.models import Disbursement
    from reports.scope import scope_for_region, whole_database
    from reports.selectors import PAID, paid_by_district, year_applications

    scope = scope_for_region(region) if region else whole_database()
    seen = 0
    for year in (2025, 2026):
        district_of = dict(
            year_applications(scope=scope, year=year).values_list("number", "district_id")
        )
        expected: dict[int, int] = {}
        for ref, amount in Disbursement.objects.filter(status__in=PAID).values_list(
            "project_ref", "amount_fen"
        ):
            if ref in district_of:
                expected[district_of[ref]] = expected.get(district_of[ref], 0) + amount
        assert paid_by_district(scope=scope, year=year) == expected
        seen += len(expected)
    assert seen, "the demo world pays some project of the scope"


@pytest.mark.parametrize("region", [None, "330100", "330106"])
def test_aging_summary_matches_the_schedule_read_account_by_account(demo, region):
    from core import clock
    from ledger.aging import with_current_aging
    from ledger.models import Account, AgingBucket, RepayableAccount
    from reports.scope import scope_for_region, whole_database
    from reports.selectors import aging_summary

    scope = scope_for_region(region) if region else whole_database()
    expected: dict[str, list[int]] = {}
    accounts = with_current_aging(
        RepayableAccount.objects.filter(scope.ledger_q()), clock.today()
    ).exclude(current_aging=AgingBucket.CURRENT)
    for account in accounts:
        owed = sum(
            Account.objects.filter(repayable=account, kind=Account.Kind.RECEIVABLE).values_list(
                "balance", flat=True
            )
        )
        figures = expected.setdefault(account.current_aging, [0, 0])
        figures[0] += 1
        figures[1] += owed
    summary = aging_summary(scope=scope)
    got = {row["bucket"]: [row["n"], row["owed_fen"]] for row in summary if row["n"]}
    assert got == expected
    if region is None:
        assert sum(n for n, _owed in expected.values()) >= 2, "the demo has overdue accounts"
