"""Issue 7 acceptance 4 for the exports outside the year-end workbook: text that looks
like a formula is written as text in the 推荐汇总表, the ranking and the registry
downloads (the workbook and the import round trip have their own tests)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organisation
from core import clock
from projects import services
from reviews import services as reviews
from reviews.models import Assignment
from tests.projects.conftest import TODAY, checked, user

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def _cells(content: bytes) -> list:
    book = load_workbook(BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_text(content: bytes, *texts: str) -> None:
    cells = _cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    for text in texts:
        assert any(c.value == text and c.data_type == "s" for c in cells), text


def test_formula_looking_text_is_text_in_every_download(demo_world):
    Organisation.objects.filter(name="杭州西湖智慧农业科技有限公司").update(name=FORMULA)
    with clock.frozen(TODAY):
        applications = [
            checked(organisation=FORMULA, title="@SUM(A1)"),
            checked(organisation=FORMULA, title="+1+2"),
        ]
        rec = services.recommendation_list_create(
            call=applications[0].call,
            district=applications[0].district,
            applications=applications,
            actor=user("district_officer"),
        )
        officer = _client("district_officer")
        _assert_text(officer.get(reverse("recommendation_export", args=[rec.pk])).content, FORMULA)
        _assert_text(officer.get(reverse("organisation_export")).content, FORMULA)
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))
        from tests.reviews.conftest import city_panel

        panel = city_panel([a.__class__.objects.get(pk=a.pk) for a in applications], size=1)
        reviews.panel_draw(panel=panel, actor=user("city_officer"), seed=1)
        _assert_text(
            _client("city_officer")
            .get(reverse("reviews:ranking_download", args=[panel.pk]))
            .getvalue(),
            "@SUM(A1)",
            "+1+2",
        )
        assert Assignment.objects.filter(panel=panel).exists()
