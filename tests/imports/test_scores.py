"""Issue 7 acceptance 3 (and issue 4's offline scoring) for the 评分表 (scores) import:
paper sheets go through the same checks as the online form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import importing
from reviews import services
from reviews.models import Assignment
from tests.reviews.conftest import city_panel, recommended, user

from .conftest import xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(demo_world, today):
    apps = recommended(2)
    panel = city_panel(apps, size=2)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=3)
    services.panel_open(panel=panel, actor=user("city_officer"))
    return panel


@pytest.fixture
def today():
    from core import clock
    from tests.reviews.conftest import TODAY

    with clock.frozen(TODAY):
        yield TODAY


HEADER = ["项目编号", "专家编号", "innov", "feas", "benefit", "意见"]


def sheets(panel, *, bad: bool) -> list[list[object]]:
    rows = []
    for n, a in enumerate(
        Assignment.objects.filter(panel=panel)
        .select_related("item__application", "expert__person")
        .order_by("pk")
    ):
        innov = "41" if bad and n == 1 else str(30 + n)  # 41 is above the maximum of 40
        rows.append(
            [
                a.item.application.number,
                a.expert.code,
                innov,
                20,
                "18.5",
                f"纸质意见{n}",
            ]
        )
    return rows


def test_one_bad_row_imports_nothing_and_the_corrected_file_imports_every_row(panel):
    importer = importing.get_importer("scores")
    outcome = importing.import_file(
        importer,
        xlsx(sheets(panel, bad=True), HEADER),
        actor=user("city_officer"),
        options={"panel": panel},
    )
    assert not outcome.committed
    (error,) = outcome.result.errors
    assert (error.row, error.column) == (3, "innov")
    assert "40" in error.reason
    assert not Assignment.objects.filter(panel=panel, status="submitted").exists()
    # corrected: every sheet is submitted, with the total of the online form
    outcome = importing.import_file(
        importer,
        xlsx(sheets(panel, bad=False), HEADER),
        actor=user("city_officer"),
        options={"panel": panel},
    )
    assert outcome.committed
    assert Assignment.objects.filter(panel=panel, status="submitted", offline=True).count() == 4
    first = Assignment.objects.filter(panel=panel).order_by("pk").first()
    assert first.total == Decimal("1.5") * 30 + 20 + Decimal("18.5")
    # and the same file again changes nothing and creates nothing
    outcome = importing.import_file(
        importer,
        xlsx(sheets(panel, bad=False), HEADER),
        actor=user("city_officer"),
        options={"panel": panel},
    )
    assert outcome.committed and outcome.summary.unchanged == 4 and outcome.summary.created == 0


def test_a_sheet_of_an_expert_not_on_the_item_is_refused(panel):
    rows = sheets(panel, bad=False)
    rows[0][1] = "ZJ9999"
    outcome = importing.import_file(
        importing.get_importer("scores"),
        xlsx(rows, HEADER),
        actor=user("city_officer"),
        options={"panel": panel},
    )
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.result.errors] == [(2, "专家编号")]


def test_a_missing_opinion_is_refused_like_online(panel):
    rows = sheets(panel, bad=False)
    rows[2][5] = ""
    outcome = importing.import_file(
        importing.get_importer("scores"),
        xlsx(rows, HEADER),
        actor=user("city_officer"),
        options={"panel": panel},
    )
    assert not outcome.committed
    assert outcome.result.errors[0].row == 4
