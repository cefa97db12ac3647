"""At 07:00 in Beijing it is 23:00 of the day before in UTC (issue 13, item 1).

On the whole demo world, with the clock at 07:00 Beijing time on 8 December 2026, people
act — an applicant submits, officers check, publish a city 公示 and the district's notice,
someone objects, the district finance bureau co-signs the 推荐汇总表, a 任务书 is confirmed
and signed, finance makes, approves and pays its first 拨付单, an acceptance is concluded
— and then every page and document (PDFs read back with pypdf, workbooks with openpyxl)
is rendered for every role: those that show the date of one of these acts show
2026-12-08, and none shows 7 December, a date nothing in the demo world has.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core import clock
from funding.models import Programme
from ledger import services as ledger
from ledger.models import BankAccount
from projects import closing, contracts
from projects import services as projects
from projects.models import Acceptance, Application, RecommendationList
from reviews import services as reviews
from reviews.models import Assignment, Panel
from tests.projects.lifecycle import REPAY_TERMS, approved_project

from .crawl import Rendered, crawl
from .test_walk import LIST_PAGES, USERS

pytestmark = pytest.mark.django_db

BEIJING = timezone.get_default_timezone()
MOMENT = dt.datetime(2026, 12, 8, 7, 0, tzinfo=BEIJING)  # 2026-12-07 23:00 UTC
TODAY, YESTERDAY = dt.date(2026, 12, 8), dt.date(2026, 12, 7)


def _spellings(day: dt.date) -> list[str]:
    """Every way a page, a PDF or a workbook writes the day."""
    return [
        f"{day.year}-{day.month:02d}-{day.day:02d}",
        f"{day.year}/{day.month:02d}/{day.day:02d}",
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.month:02d}月{day.day:02d}日",
        f"{day.month}月{day.day}日",
    ]


def _shows(text: str, day: dt.date) -> bool:
    return any(s in text for s in _spellings(day))


@pytest.fixture
def at_seven(monkeypatch: Any) -> Iterator[None]:
    """The application's clock and Django's (``timezone.now`` and the fields whose default
    is it: the ledger stamps its rows with it) at 07:00 Beijing time."""
    original = timezone.now

    def now() -> dt.datetime:
        return MOMENT.astimezone(dt.UTC)

    monkeypatch.setattr(timezone, "now", now)
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.default is original:
                monkeypatch.setattr(field, "default", now)
    with clock.frozen(MOMENT):
        yield


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _stored_local_dates() -> set[dt.date]:
    days: set[dt.date] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):  # DateTimeField too
                for value in model._default_manager.values_list(field.attname, flat=True):
                    if value is not None:
                        days.add(clock.local_date(value))
    return days


def _act_at_seven(approved: Application) -> list[tuple[str, str, str]]:
    """Everyone acts at 07:00; (who, which page or document, what act it must date)."""
    officer, officer_yh = _user("district_officer"), _user("district_officer_yh")
    city, finance, checker = _user("city_officer"), _user("finance"), _user("finance_checker")
    expected: list[tuple[str, str, str]] = []

    # an applicant submits; another application passes the formal check
    draft = Application.objects.get(number="KJJH-2026-0001")
    projects.application_submit(application=draft, actor=_user("applicant"))
    for who in ("applicant", "district_officer", "auditor"):
        expected.append((who, reverse("application_detail", args=[draft.pk]), "submitted"))
    expected.append(("district_officer", reverse("home"), "submitted, on the home queue"))
    checked = Application.objects.get(number="KJJH-2026-0002")
    projects.application_formal_check(application=checked, actor=officer)
    expected.append(
        ("district_officer", reverse("application_detail", args=[checked.pk]), "formal check")
    )

    # 余杭区 publishes its district notice from today; someone objects at once
    coop = Application.objects.get(number="KPHN-2026-0004")
    projects.application_formal_check(application=coop, actor=officer_yh)
    notice = projects.notice_publish(
        level="district",
        call=coop.call,
        unit=coop.district,
        applications=[coop],
        starts_on=TODAY,
        actor=officer_yh,
    )
    objection = projects.objection_file(
        notice=notice, application=coop, name="王先生", contact="13900000000", content="请核实。"
    )
    projects.objection_handle(
        objection=objection, actor=officer_yh, upheld=False, resolution="经核实，材料属实。"
    )
    expected += [
        ("district_officer_yh", reverse("notice_detail", args=[notice.pk]), "district notice"),
        ("district_officer_yh", reverse("notice_list"), "district notice"),
        ("district_officer_yh", reverse("reviews:notice_pdf", args=[notice.pk]), "notice PDF"),
    ]

    # the city panel closes and its list goes on the city 公示 today
    panel = Panel.objects.get(call__year=2026, stage=Panel.Stage.CITY, status=Panel.Status.OPEN)
    criteria = list(panel.rubric.criteria.all())
    for a in Assignment.objects.filter(panel=panel).exclude(
        status__in=[Assignment.Status.SUBMITTED, Assignment.Status.DECLINED]
    ):
        reviews.scores_save(
            assignment=a,
            actor=city,
            offline=True,
            submit=True,
            comment="纸质评分表",
            values={c.code: str(c.max_score * Decimal("0.8")) for c in criteria},
        )
    reviews.panel_close(panel=panel, actor=city)
    city_notice = reviews.decision_publish(panel=panel, actor=city, starts_on=TODAY)
    expected += [
        ("city_officer", reverse("reviews:notice_pdf", args=[city_notice.pk]), "公示名单"),
        ("city_officer", reverse("notice_detail", args=[city_notice.pk]), "city notice"),
        ("applicant", reverse("public_notice_detail", args=[city_notice.pk]), "public notice"),
    ]

    # the district finance bureau co-signs the award list (推荐汇总表)
    award_list = RecommendationList.objects.get(status=RecommendationList.Status.DRAFT)
    projects.recommendation_cosign(recommendation_list=award_list, actor=_user("district_finance"))
    for who in ("district_officer", "district_finance"):
        for name in ("recommendation_detail", "recommendation_export"):
            expected.append((who, reverse(name, args=[award_list.pk]), "会签"))

    # a 任务书 is drafted, confirmed and signed; its first tranche is ordered and paid
    contract = contracts.contract_draft(
        application=approved,
        actor=city,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2028, 12, 31),
        payee_account="6222021202001234567",
        payee_bank="工商银行西湖支行",
        indicators=[{"name": "示范面积", "unit": "亩", "target": Decimal("500")}],
        repay_terms=REPAY_TERMS,
    )
    contracts.contract_confirm(contract=contract, actor=_user("applicant"))
    contract = contracts.contract_sign(contract=contract, actor=city)
    for who in ("applicant", "city_officer"):
        for name in ("contract_detail", "contract_pdf"):
            expected.append((who, reverse(name, args=[contract.pk]), "任务书 signed"))
    report = contract.reports.order_by("due_on").first()
    contracts.report_submit(
        report=report,
        actor=_user("applicant"),
        text="按计划推进。",
        actuals={i.pk: Decimal("100") for i in contract.indicators.all()},
        spending={},
    )
    for who in ("applicant", "city_officer"):
        expected.append((who, reverse("report_detail", args=[report.pk]), "report filed"))
    tranche = contract.tranches.get(seq=1)
    order = contracts.tranche_order(tranche=tranche, actor=finance)
    order = ledger.disbursement_submit(disbursement=order, actor=finance)
    order = ledger.disbursement_approve(disbursement=order, actor=checker)
    ledger.disbursement_pay(
        disbursement=order,
        bank_account=BankAccount.objects.get(account_number="1202021009000012345"),
        paid_on=clock.today(),
        bank_reference="TEST202612080001",
        actor=finance,
    )
    for who in ("finance", "finance_checker", "auditor"):
        for name in ("ledger:disbursement_detail", "ledger:disbursement_pdf"):
            expected.append((who, reverse(name, args=[order.pk]), "拨付单"))
    assert Application.objects.get(pk=approved.pk).status == Application.Status.IN_PROGRESS

    # an award's acceptance is concluded (the panel gave 83 of 100; this office passes
    # from 80 %, a setting of the programme): its certificate and the year's workbook
    Programme.objects.filter(code="KPHN").update(
        acceptance_fail_below_pct=60, acceptance_rectify_below_pct=80
    )
    acceptance = Acceptance.objects.get(application__number="KPHN-2025-0002")
    if not acceptance.finance_result:
        closing.acceptance_finance_record(
            acceptance=acceptance, actor=finance, passed=True, note=""
        )
    acceptance = reviews.acceptance_conclude(acceptance=acceptance, actor=city)
    assert acceptance.conclusion == Acceptance.Conclusion.ACCEPT
    expected += [
        ("city_officer", reverse("certificate_pdf", args=[acceptance.pk]), "验收证书"),
        ("city_officer", reverse("reviews:acceptance", args=[acceptance.pk]), "acceptance"),
        ("city_officer", reverse("reports:year_end") + "?year=2026", "验收日期"),
    ]
    return expected


def test_every_page_and_document_shows_beijings_date_at_seven_in_the_morning(demo, at_seven):
    # given the demo world, where nothing happened on 7 or 8 December 2026, and a
    # project approved on 30 November
    stored = _stored_local_dates()
    assert TODAY not in stored and YESTERDAY not in stored
    approved = approved_project()

    # when everyone acts at 07:00 Beijing time (23:00 UTC the day before)
    expected = _act_at_seven(approved)
    assert timezone.now().date() == YESTERDAY, "the moment is on UTC's day before"

    # then each page and document that dates one of those acts shows 8 December
    missing = []
    for username, url, what in expected:
        client = Client()
        client.force_login(_user(username))
        rendered = list(crawl(client, username, [url], per_name=1, per_path=1))
        assert rendered, f"{username} could not open {url}"
        if not _shows(rendered[0].text, TODAY):
            missing.append((username, url, what))
    assert missing == [], missing

    # and no page or document of any role, anywhere, shows 7 December
    shown_yesterday: list[str] = []
    pages = 0
    for username in USERS:
        client = Client()
        client.force_login(_user(username))
        start = [reverse(n) for n in LIST_PAGES] + [u for who, u, _ in expected if who == username]
        for page in crawl(client, username, start, per_name=3, per_path=2):
            pages += 1
            if _shows(page.text, YESTERDAY):
                shown_yesterday.append(f"{page}: {_context(page, YESTERDAY)}")
    assert pages > 300
    assert shown_yesterday == [], "\n".join(shown_yesterday)


def _context(page: Rendered, day: dt.date) -> str:
    for spelling in _spellings(day):
        at = page.text.find(spelling)
        if at >= 0:
            return re.sub(r"\s+", " ", page.text[max(0, at - 60) : at + 40])
    return ""
