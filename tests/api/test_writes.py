"""Transitions through the API: the web's services with the web's permissions; a refusal
of the service is a 422 problem that names the reason, and nothing changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from projects.models import Application, RecommendationList, TransitionLog
from reviews.models import Assignment

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, body: dict[str, Any], key: str, **extra: Any) -> Any:
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra
    )


def test_an_applicant_submits_their_draft_once(api_as: Any) -> None:
    # given
    draft = Application.objects.get(
        status="draft", organisation__name="杭州西湖智慧农业科技有限公司"
    )
    logs = TransitionLog.objects.filter(application=draft).count()
    client = api_as("applicant")
    url = f"/api/v1/applications/{draft.pk}/submit/"
    # when
    first = _post(client, url, {}, "submit-1")
    again = _post(client, url, {}, "submit-1")
    # then
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "submitted" and first.json()["status_display"] == "已提交"
    assert again.json() == first.json()
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert TransitionLog.objects.filter(application=draft).count() == logs + 1


def test_another_applicant_cannot_submit_it(api_as: Any) -> None:
    draft = Application.objects.get(
        status="draft", organisation__name="杭州西湖智慧农业科技有限公司"
    )
    response = _post(api_as("applicant_yh"), f"/api/v1/applications/{draft.pk}/submit/", {}, "k")
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_refused_recommendation_names_its_reason(api_as: Any) -> None:
    # given: an award list not yet co-signed by the district finance bureau
    rec = RecommendationList.objects.get(status="draft", district__code="330106")
    statuses = list(rec.entries.values_list("application__status", flat=True))
    client = api_as("district_officer")
    url = f"/api/v1/recommendation-lists/{rec.pk}/submit/"
    # when
    chinese = _post(client, url, {}, "rec-1")
    english = _post(client, url, {}, "rec-1", HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert chinese.status_code == english.status_code == 422
    assert chinese["Content-Type"] == "application/problem+json"
    assert chinese.json()["type"] == "urn:kjfund:problem:refused"
    assert chinese.json()["title"] == "操作被拒绝"
    assert english.json()["title"] == "The action was refused"
    assert chinese.json()["detail"] and chinese.json()["errors"]
    rec.refresh_from_db()
    assert rec.status == "draft"
    assert list(rec.entries.values_list("application__status", flat=True)) == statuses


def test_scores_are_checked_as_on_the_scoring_form(api_as: Any) -> None:
    assignment = Assignment.objects.get(expert__person__user__username="expert")
    criterion = assignment.panel.rubric.criteria.order_by("pk").first()
    client = api_as("expert")
    url = f"/api/v1/assignments/{assignment.pk}/scores/"
    # out of range: a 400 naming the criterion
    bad = _post(client, url, {"scores": {criterion.code: "9999"}}, "s-1")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == f"scores.{criterion.code}"
    # in range, but the expert has not yet declared their conflicts: the service refuses
    early = _post(client, url, {"scores": {criterion.code: "1"}}, "s-2")
    assert early.status_code == 422, early.content
    assert not assignment.scores.exists()


def test_year_end_figures_per_district(api_as: Any) -> None:
    client = api_as("city_officer")
    rows = client.get("/api/v1/year-end/districts/?year=2026")
    assert rows.status_code == 200
    districts = {row["district"]: row for row in rows.json()}
    assert "西湖区" in districts and "余杭区" in districts
    assert districts["西湖区"]["applied"] > 0
    assert all(isinstance(row["paid_amount"], str) for row in rows.json())
    assert client.get("/api/v1/year-end/districts/").status_code == 400
    assert api_as("applicant").get("/api/v1/year-end/districts/?year=2026").status_code == 403
    own = api_as("district_officer").get("/api/v1/year-end/districts/?year=2026").json()
    assert {row["district"] for row in own} == {"西湖区"}
