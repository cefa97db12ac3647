"""Paper scores through the UI (issue 13, 5): the panel's 评分表 template carries one
column per criterion of its rubric (name, range, help), names each expert by a number
the officer sees on the panel page, lists the panel's experts whatever their district,
and the import reads it back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import OrgUnit
from core import importing
from reviews import services
from reviews.models import Assignment, ExpertProfile

from .conftest import city_panel, recommended, user
from .test_pages import _client

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(world, today):
    panel = city_panel(recommended(2), size=2)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=3)
    # one of the experts comes from another city (湖州), outside the officer's area
    outsider = (
        ExpertProfile.objects.exclude(
            person__region__path__startswith=OrgUnit.objects.get(code="330100").path
        )
        .exclude(assignments__panel=panel)
        .first()
    )
    assert outsider is not None
    first = Assignment.objects.filter(panel=panel).order_by("pk").first()
    Assignment.objects.filter(pk=first.pk).update(expert=outsider)
    services.panel_open(panel=panel, actor=user("city_officer"))
    return panel


def _download(panel) -> bytes:
    response = _client("city_officer").get(reverse("reviews:scores_template", args=[panel.pk]))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    return response.content


def test_the_template_of_a_panel_has_a_column_per_criterion_with_its_range_and_help(panel):
    # when the officer downloads the panel's template from the panel page
    book = load_workbook(io.BytesIO(_download(panel)))
    sheet = book["评分表"]
    header = [c.value for c in sheet[1]]
    # then the criteria of the rubric are columns, with their names and ranges
    assert header == [
        "项目编号",
        "专家编号",
        "专家姓名",
        "创新性（0–40）",
        "可行性（0–30）",
        "效益（0–30）",
        "意见",
    ]
    # and every column has its help on the notes sheet
    notes = book.worksheets[1]
    helps = {row[0].value: row[3].value for row in notes.iter_rows(min_row=2) if row[0].value}
    for column in header:
        assert helps.get(column), column
    assert "0 到 40" in helps["创新性（0–40）"] and "1.5" in helps["创新性（0–40）"]
    assert "12" in helps["可行性（0–30）"]  # its minimum to pass


def test_the_template_names_every_expert_and_item_to_score_by_a_visible_number(panel):
    book = load_workbook(io.BytesIO(_download(panel)))
    rows = [
        tuple(c.value for c in row[:3])
        for row in book["评分表"].iter_rows(min_row=2)
        if row[0].value
    ]
    assignments = (
        Assignment.objects.live()
        .filter(panel=panel)
        .select_related("item__application", "expert__person")
    )
    assert sorted(rows) == sorted(
        (a.item.application.number, a.expert.code, a.expert.person.name) for a in assignments
    )
    # the outsider from 湖州 is listed too, on the experts sheet with the district
    outsider = Assignment.objects.filter(panel=panel).order_by("pk").first().expert
    experts = {
        row[0].value: row[3].value
        for row in book.worksheets[2].iter_rows(min_row=2)
        if row[0].value
    }
    assert experts[outsider.code] == outsider.person.region.name
    # and the number is the one the panel page shows beside the name
    page = _client("city_officer").get(reverse("reviews:panel", args=[panel.pk])).content.decode()
    assert f"{outsider.person.name}（{outsider.code}）" in page
    assert reverse("reviews:scores_template", args=[panel.pk]) in page
    # 身份证号 appear nowhere in the file
    text = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    for a in assignments:
        assert a.expert.person.id_number not in text


def _filled(content: bytes, values: list[list[object]]) -> io.BytesIO:
    """The template as the officer fills it in Excel: row n gets ``values[n]`` (three
    scores and an opinion)."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["评分表"]
    rows = [row for row in sheet.iter_rows(min_row=2) if row[0].value]
    for row, typed in zip(rows, values, strict=True):
        for col, value in enumerate(typed):
            row[3 + col].value = value
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "评分表.xlsx"
    return out


def test_the_filled_template_imports_through_the_web_and_submits_every_sheet(panel):
    # given the template filled in: three scores and an opinion per row
    content = _download(panel)
    values = [[30 + n, Decimal("20.5"), 18, f"纸质意见{n}"] for n in range(4)]
    filled = _filled(content, values)
    officer = _client("city_officer")
    # when the officer checks it (dry run) on the import page, then imports it
    response = officer.post(
        reverse("imports:kind", args=["scores"]),
        {"options-panel": panel.pk, "file": filled},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "4" in page, page
    token = response.context["token"]
    assert token, [str(e) for e in response.context["outcome"].errors]
    response = officer.post(reverse("imports:commit", args=["scores"]), {"token": token})
    assert response.status_code == 302
    # then every sheet is submitted, offline, with the online total
    submitted = Assignment.objects.filter(panel=panel, status="submitted", offline=True)
    assert submitted.count() == 4
    first = submitted.select_related("item__application").order_by(
        "item__application__number", "expert_id"
    )[0]
    assert first.total == Decimal("1.5") * 30 + Decimal("20.5") + 18
    assert first.comment == "纸质意见0"


def test_a_wrong_expert_number_or_name_is_a_row_error_naming_the_column(panel):
    importer = importing.get_importer("scores")
    content = _download(panel)
    values = [[30, 20, 18, "好"] for _n in range(4)]
    book = load_workbook(io.BytesIO(_filled(content, values).getvalue()))
    sheet = book["评分表"]
    sheet["B2"].value = "ZJ9999"  # nobody on this panel
    sheet["C3"].value = "王五"  # not the expert of that number
    sheet["D4"].value = 41  # 创新性 is 0–40
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    outcome = importing.dry_run(importer, out, actor=user("city_officer"), options={"panel": panel})
    found = {(e.row, e.column) for e in outcome.result.errors}
    assert found == {(2, "专家编号"), (3, "专家姓名"), (4, "创新性（0–40）")}, outcome.result.errors
    assert not Assignment.objects.filter(panel=panel, status="submitted").exists()


def test_the_import_page_describes_every_column_before_a_panel_is_chosen(panel):
    page = _client("city_officer").get(reverse("imports:kind", args=["scores"])).content.decode()
    assert "专家编号" in page and "评分项（每项一列）" in page
    assert "身份证号" not in page


def test_only_the_panels_officer_downloads_its_template(panel):
    for username in ("district_officer", "expert", "applicant", "finance"):
        status = _client(username).get(reverse("reviews:scores_template", args=[panel.pk]))
        assert status.status_code in (403, 404), username
