"""The API reads and acts within the same scope as the pages: every endpoint, as every
demo login, on the objects that login cannot see on the web (another district's,
another organisation's), answers 403 or 404, and lists never contain them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet

from accounts.models import User
from funding.models import Call
from ledger.access import reader_paths
from ledger.models import BudgetLine, Disbursement, RepayableAccount
from projects.models import Application, Contract, Notice, RecommendationList
from reviews.models import Assignment, Panel
from tests.scoping.test_walk import USERS

pytestmark = pytest.mark.django_db

PER_KIND = 6  # objects outside the scope tried per endpoint and login


def _ledger(model: Any) -> Callable[[Any], QuerySet[Any]]:
    def visible(user: Any) -> QuerySet[Any]:
        if not user.has_perm("ledger.view_ledger"):
            return model.objects.none()
        return model.objects.in_scope(reader_paths(user))

    return visible


# (list address, model, what the web shows this user)
READS: list[tuple[str, Any, Callable[[Any], QuerySet[Any]]]] = [
    ("/api/v1/calls/", Call, lambda u: Call.objects.visible_to(u)),
    ("/api/v1/applications/", Application, lambda u: Application.objects.visible_to(u)),
    ("/api/v1/panels/", Panel, lambda u: Panel.objects.visible_to(u)),
    ("/api/v1/contracts/", Contract, lambda u: Contract.objects.visible_to(u)),
    ("/api/v1/disbursements/", Disbursement, _ledger(Disbursement)),
    ("/api/v1/repayable-accounts/", RepayableAccount, _ledger(RepayableAccount)),
    ("/api/v1/budget-lines/", BudgetLine, _ledger(BudgetLine)),
]
WRITES: list[tuple[str, Any, Callable[[Any], QuerySet[Any]]]] = [
    ("/api/v1/applications/{}/submit/", Application, lambda u: Application.objects.visible_to(u)),
    (
        "/api/v1/recommendation-lists/{}/submit/",
        RecommendationList,
        lambda u: RecommendationList.objects.visible_to(u),
    ),
    ("/api/v1/assignments/{}/scores/", Assignment, lambda u: Assignment.objects.for_expert(u)),
    ("/api/v1/notices/{}/approve/", Notice, lambda u: Notice.objects.visible_to(u)),
    ("/api/v1/disbursements/{}/submit/", Disbursement, _ledger(Disbursement)),
    ("/api/v1/disbursements/{}/approve/", Disbursement, _ledger(Disbursement)),
    ("/api/v1/disbursements/{}/pay/", Disbursement, _ledger(Disbursement)),
    ("/api/v1/repayable-accounts/{}/repayments/", RepayableAccount, _ledger(RepayableAccount)),
    ("/api/v1/panels/{}/results/", Panel, lambda u: Panel.objects.visible_to(u)),
]


def _listed(client: Any, url: str) -> set[int]:
    ids: set[int] = set()
    next_url: str | None = f"{url}?page_size=200"
    while next_url:
        response = client.get(next_url)
        if response.status_code == 403:
            return ids
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        ids |= {row["id"] for row in body["results"]}
        next_url = body["next"]
    return ids


@pytest.mark.parametrize("username", USERS)
def test_every_endpoint_refuses_what_the_web_does_not_show(api_as: Any, username: str) -> None:
    user = User.objects.get(username=username)
    client = api_as(username)
    tried = 0
    for url, model, visible in READS:
        shown = set(visible(user).values_list("pk", flat=True))
        listed = _listed(client, url)
        assert listed <= shown, (username, url, listed - shown)
        outside = list(model.objects.exclude(pk__in=shown).values_list("pk", flat=True)[:PER_KIND])
        for pk in outside:
            response = client.get(f"{url}{pk}/")
            assert response.status_code in (403, 404), (username, url, pk, response.status_code)
            assert response["Content-Type"] == "application/problem+json"
            tried += 1
    for pattern, model, visible in WRITES:
        shown = set(visible(user).values_list("pk", flat=True))
        outside = list(model.objects.exclude(pk__in=shown).values_list("pk", flat=True)[:PER_KIND])
        for pk in outside:
            url = pattern.format(pk)
            if url.endswith("/results/"):
                response = client.get(url)
            else:
                response = client.post(
                    url,
                    json.dumps({}),
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=f"k{pk}",
                )
            assert response.status_code in (403, 404), (username, url, response.status_code)
            tried += 1
    if username not in ("admin", "auditor"):  # they read the whole province
        assert tried > 0, f"{username}: nothing outside the scope was tried"


def test_a_district_reads_only_its_own_applications(api_as: Any) -> None:
    # given: applications of both districts in the demo
    xihu = Application.objects.filter(district__code="330106").exclude(status="draft")
    yuhang = Application.objects.filter(district__code="330110").exclude(status="draft")
    assert xihu.exists() and yuhang.exists()
    client = api_as("district_officer_yh")
    # when
    listed = _listed(client, "/api/v1/applications/")
    # then
    assert listed == set(yuhang.values_list("pk", flat=True))
    for pk in xihu.values_list("pk", flat=True)[:5]:
        assert client.get(f"/api/v1/applications/{pk}/").status_code == 404


def test_an_applicant_reads_only_their_organisations_records(api_as: Any) -> None:
    user = User.objects.get(username="applicant")
    client = api_as("applicant")
    listed = _listed(client, "/api/v1/applications/")
    assert listed
    organisations = set(
        Application.objects.filter(pk__in=listed).values_list("organisation__name", flat=True)
    )
    assert organisations == {"杭州西湖智慧农业科技有限公司"}
    others = Application.objects.exclude(organisation__name="杭州西湖智慧农业科技有限公司")
    for pk in others.values_list("pk", flat=True)[:5]:
        assert client.get(f"/api/v1/applications/{pk}/").status_code == 404
    # and the ledger is not theirs to read
    assert client.get("/api/v1/disbursements/").status_code == 403
    assert user.pk
