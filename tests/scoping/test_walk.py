"""Every page of every demo login on the whole demo world (both years, every stage).

* No page answers 500 to anyone.
* A district officer opens no record of another district, on detail pages and downloads,
  and sees none of its numbers on list pages; their own district's records open.
* An applicant opens no record of another organisation.
* The auditor opens every record, and every write is refused (tests/accounts).

The oracle is the record's own region (``scope_path``) and organisation, not the
querysets under test."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from accounts.models import OrgUnit, User
from accounts.permissions import scope_of
from funding.models import Call, Programme
from ledger.models import BankStatement, BudgetLine, Disbursement, RepayableAccount
from projects.models import (
    Acceptance,
    Application,
    Attachment,
    Contract,
    Notice,
    ProgressReport,
    RecommendationList,
)
from reviews.models import Panel, SpotCheck

pytestmark = pytest.mark.django_db

USERS = [
    "admin",
    "auditor",
    "city_officer",
    "finance",
    "finance_checker",
    "district_officer",
    "district_finance",
    "district_officer_yh",
    "expert",
    "applicant",
    "applicant_yh",
    "applicant_nt",
]

# Every page reached with GET and no argument, except logging out and switching language.
LIST_PAGES = [
    "home",
    "password_change",
    "organisation_list",
    "organisation_create",
    "organisation_export",
    "person_list",
    "person_create",
    "person_export",
    "ledger:home",
    "ledger:budget_line_list",
    "ledger:disbursement_list",
    "ledger:disbursement_create",
    "ledger:repayable_list",
    "ledger:statement_list",
    "ledger:statement_import",
    "ledger:statement_template",
    "ledger:my_funding",
    "application_list",
    "application_start",
    "notice_list",
    "public_notice_list",
    "recommendation_list",
    "award_indicators",
    "reviews:my_assignments",
    "reviews:panel_list",
    "reviews:panel_create",
    "reviews:spot_check_list",
    "reviews:rubric_list",
    "reviews:rubric_create",
    "funding:call_list",
    "funding:programme_create",
    "funding:quota_list",
    "funding:statistic_list",
    "imports:index",
    "reports:dashboard",
]


# Pages that only write: the auditor, who reads everything, is refused them.
WRITE_ONLY_PAGES = {
    "organisation_create",
    "person_create",
    "ledger:disbursement_create",
    "ledger:statement_import",
    "ledger:statement_template",
    "ledger:my_funding",
    "application_start",
    "award_indicators",
    "reviews:panel_create",
    "reviews:rubric_create",
    "funding:programme_create",
}


def _by_number(obj: Any) -> int | None:
    """The organisation of a ledger record, through the project it names."""
    return (
        Application.objects.filter(number=obj.project_ref)
        .values_list("organisation_id", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Page:
    url_name: str
    model: type[Model]
    owner: Callable[[Any], int | None]  # the applicant organisation, None for office records
    # who of the record's district must be able to open it (the 科协 officer reads the
    # projects and reviews; the ledger is read by finance, not by the officer)
    readers: frozenset[str] = frozenset({"district_officer"})


def _app_owner(obj: Any) -> int | None:
    return obj.application.organisation_id


BOTH = frozenset({"district_officer", "district_finance"})
FINANCE = frozenset({"district_finance"})

DETAIL_PAGES = [
    Page("application_detail", Application, lambda a: a.organisation_id, readers=BOTH),
    Page("reviews:exclusions", Application, lambda a: a.organisation_id, readers=frozenset()),
    Page("attachment_download", Attachment, _app_owner),
    Page("notice_detail", Notice, lambda n: None),
    Page("recommendation_detail", RecommendationList, lambda r: None),
    Page("recommendation_export", RecommendationList, lambda r: None),
    Page("contract_detail", Contract, _app_owner),
    Page("contract_pdf", Contract, _app_owner),
    Page("report_detail", ProgressReport, _app_owner),
    Page("reviews:acceptance", Acceptance, _app_owner),
    Page("reviews:panel", Panel, lambda p: None),
    Page("reviews:ranking_download", Panel, lambda p: None),
    Page("reviews:spot_check", SpotCheck, lambda s: None),
    Page("funding:programme_detail", Programme, lambda p: None, readers=frozenset()),
    Page("reviews:fee_rates", Programme, lambda p: None, readers=frozenset()),
    Page("funding:call_detail", Call, lambda c: None, readers=frozenset()),
    Page("ledger:budget_line_detail", BudgetLine, lambda b: None, readers=FINANCE),
    Page("ledger:disbursement_detail", Disbursement, _by_number, readers=FINANCE),
    Page("ledger:disbursement_pdf", Disbursement, _by_number, readers=FINANCE),
    Page("ledger:repayable_detail", RepayableAccount, _by_number, readers=FINANCE),
    Page("ledger:statement_detail", BankStatement, lambda s: None, readers=FINANCE),
]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _path(code: str) -> str:
    return OrgUnit.objects.get(code=code).path


XIHU, YUHANG = "330106", "330110"


def _sample(objects: Iterable[Any], n: int = 4) -> list[Any]:
    objects = list(objects)
    step = max(1, len(objects) // n)
    return objects[::step][:n]


def _records(page: Page) -> list[Any]:
    return list(page.model._default_manager.order_by("pk"))  # type: ignore[attr-defined]


def test_no_page_answers_500_to_any_role(demo):
    failures = []
    for username in USERS:
        client = _client(username)
        for name in LIST_PAGES:
            status = client.get(reverse(name)).status_code
            if status not in (200, 302, 403, 404):
                failures.append((username, name, status))
        for page in DETAIL_PAGES:
            for obj in _sample(_records(page), 3):
                status = client.get(reverse(page.url_name, args=[obj.pk])).status_code
                if status not in (200, 302, 403, 404):
                    failures.append((username, page.url_name, obj.pk, status))
    assert failures == [], failures


def test_the_auditor_opens_every_list_and_every_record(demo):
    auditor = _client("auditor")
    statuses = {n: auditor.get(reverse(n)).status_code for n in LIST_PAGES}
    refused = {n: status for n, status in statuses.items() if status != 200}
    assert set(refused) == WRITE_ONLY_PAGES, str(refused)
    closed = []
    for page in DETAIL_PAGES:
        records = _records(page)
        # (the demo uploads no files and draws no spot check: those pages are scoped in
        # tests/projects and tests/reviews)
        assert records or page.model in (Attachment, SpotCheck), page.model.__name__
        for obj in _sample([o for o in records if not _draft(o)], 6):
            if auditor.get(reverse(page.url_name, args=[obj.pk])).status_code != 200:
                closed.append((page.url_name, obj.pk))
    assert closed == [], closed


@pytest.mark.parametrize(
    ("username", "role", "own", "other"),
    [
        ("district_officer", "district_officer", XIHU, YUHANG),
        ("district_officer_yh", "district_officer", YUHANG, XIHU),
        ("district_finance", "district_finance", XIHU, YUHANG),
    ],
)
def test_a_district_user_opens_their_district_and_nothing_of_another(
    demo, username, role, own, other
):
    client = _client(username)
    own_path, other_path = _path(own), _path(other)
    opened, refused, checked = [], [], 0
    for page in DETAIL_PAGES:
        records = _records(page)
        theirs = [o for o in records if o.scope_path.startswith(other_path)]
        mine = [o for o in records if o.scope_path.startswith(own_path) and not _draft(o)]
        for obj in theirs:
            checked += 1
            if client.get(reverse(page.url_name, args=[obj.pk])).status_code == 200:
                opened.append((page.url_name, obj.pk, obj.scope_path))
        if role in page.readers:
            for obj in _sample(mine):
                checked += 1
                if client.get(reverse(page.url_name, args=[obj.pk])).status_code != 200:
                    refused.append((page.url_name, obj.pk))
    assert checked > 20
    assert opened == [], f"another district's records opened: {opened}"
    assert refused == [], f"their own district's records refused: {refused}"


def _draft(obj: Any) -> bool:
    """Drafts are the applicant's own until submitted (docs/decisions.md)."""
    return isinstance(obj, Application) and obj.status == Application.Status.DRAFT


ALL_TABS = {"ledger:disbursement_list": {"status": "all"}}  # the queue opens on one tab


def _numbers_of(path: str) -> dict[str, list[str]]:
    return {
        "application_list": list(
            Application.objects.filter(district__path__startswith=path)
            .exclude(status=Application.Status.DRAFT)
            .values_list("number", flat=True)
        ),
        "ledger:disbursement_list": list(
            Disbursement.objects.filter(scope_path__startswith=path).values_list(
                "number", flat=True
            )
        ),
        "ledger:repayable_list": list(
            RepayableAccount.objects.filter(scope_path__startswith=path).values_list(
                "number", flat=True
            )
        ),
    }


@pytest.mark.parametrize(
    ("username", "own", "other", "lists"),
    [
        ("district_officer", XIHU, YUHANG, ["application_list"]),
        ("district_officer_yh", YUHANG, XIHU, ["application_list"]),
        (
            "district_finance",
            XIHU,
            YUHANG,
            ["application_list", "ledger:disbursement_list", "ledger:repayable_list"],
        ),
    ],
)
def test_a_district_user_lists_none_of_another_districts_numbers(demo, username, own, other, lists):
    client = _client(username)
    mine, theirs = _numbers_of(_path(own)), _numbers_of(_path(other))
    seen_theirs = seen_mine = 0
    for name in lists:
        text = "".join(
            client.get(reverse(name), {"page": p, **ALL_TABS.get(name, {})}).content.decode()
            for p in (1, 2, 3, 4)
        )
        assert [n for n in theirs[name] if n in text] == [], name
        seen_theirs += len(theirs[name])
        if mine[name]:
            assert any(n in text for n in mine[name]), name
            seen_mine += 1
    assert seen_theirs and seen_mine, "the demo world has rows on both sides"


@pytest.mark.parametrize("username", ["applicant", "applicant_yh", "applicant_nt"])
def test_an_applicant_opens_no_record_of_another_organisation(demo, username):
    user = User.objects.get(username=username)
    own = set(scope_of(user).organisation_ids)
    assert own
    client = _client(username)
    opened, mine_refused = [], []
    for page in DETAIL_PAGES:
        for obj in _records(page):
            owner = page.owner(obj)
            application = obj if isinstance(obj, Application) else getattr(obj, "application", None)
            if owner in own or (
                application is not None
                and application.person_id is not None
                and application.person_id == scope_of(user).person_id
            ):  # their organisation's, or their own as a person (an individual nominee)
                if (
                    page.url_name in ("application_detail", "contract_detail")
                    and client.get(reverse(page.url_name, args=[obj.pk])).status_code != 200
                ):
                    mine_refused.append((page.url_name, obj.pk))
                continue
            if client.get(reverse(page.url_name, args=[obj.pk])).status_code == 200:
                opened.append((page.url_name, obj.pk))
    assert opened == []
    assert mine_refused == []
