"""An expert's work is never lost: a refused score form comes back with every value the
expert typed, and says which criterion is wrong and what its range is (issue 13, 5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.confirm import CONFIRMED
from reviews import services
from reviews.models import Assignment, Score

from .conftest import user
from .test_pages import _client, _panel_with_the_demo_expert

pytestmark = pytest.mark.django_db

COMMENT = "技术路线清晰，示范面积的目标偏保守，建议补充第三年的推广计划。"


def _value_of(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def _declared():
    _panel, (mine,) = _panel_with_the_demo_expert()
    services.assignment_declare(assignment=mine, actor=user("expert"), conflict=False)
    return mine


def test_a_score_out_of_range_keeps_every_value_and_names_the_criterion(world, today):
    # given an expert who declared no conflict
    mine = _declared()
    # when they submit four fields, one of them over its maximum (创新性 is 0–40)
    response = _client("expert").post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": "45",
            "c_feas": "22.5",
            "c_benefit": "18",
            "comment": COMMENT,
            "submit": "1",
            CONFIRMED: "1",
        },
    )
    # then the form comes back with every value and the comment as typed
    assert response.status_code == 200
    page = response.content.decode()
    assert _value_of(page, "c_innov") == "45"
    assert _value_of(page, "c_feas") == "22.5"
    assert _value_of(page, "c_benefit") == "18"
    assert COMMENT in page
    # and says which criterion and its range
    assert "创新性：分数应在 0 到 40 之间" in page
    assert "创新性（0–40）" in page
    # and nothing was saved
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.ACCEPTED and mine.comment == ""
    assert not Score.objects.filter(assignment=mine).exists()


def test_a_refused_submission_keeps_the_values_and_names_what_is_missing(world, today):
    # given an expert who filled two of three criteria and no opinion
    mine = _declared()
    response = _client("expert").post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": "33",
            "c_feas": "",
            "c_benefit": "21",
            "comment": "",
            "submit": "1",
            CONFIRMED: "1",
        },
    )
    # then nothing is lost and both gaps are named
    assert response.status_code == 200
    page = response.content.decode()
    assert _value_of(page, "c_innov") == "33" and _value_of(page, "c_benefit") == "21"
    assert "提交前请为每项指标评分：可行性" in page
    assert "请填写评审意见" in page
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.ACCEPTED


def test_a_draft_with_one_bad_value_keeps_the_good_ones_on_the_page(world, today):
    mine = _declared()
    response = _client("expert").post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {"c_innov": "30", "c_feas": "12.345", "c_benefit": "", "comment": COMMENT, "save": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert _value_of(page, "c_feas") == "12.345" and _value_of(page, "c_innov") == "30"
    assert "可行性：最多保留两位小数" in page
    assert COMMENT in page


def test_a_good_submission_still_saves_and_redirects(world, today):
    mine = _declared()
    response = _client("expert").post(
        reverse("reviews:assignment_score", args=[mine.pk]),
        {
            "c_innov": "30",
            "c_feas": "20",
            "c_benefit": "20",
            "comment": COMMENT,
            "submit": "1",
            CONFIRMED: "1",
        },
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Assignment.Status.SUBMITTED and mine.total == 85
