"""The review panel's ranking at province scale (issue 16): the criterion means frozen on
the items when the panel closes (and by the migration for panels closed before), the
closed ranking download read from the items alone, and the live ranking of an open panel
with criterion means worked out only for the page shown, ranked as before (ties across a
page boundary included)."""

from __future__ import annotations

import importlib
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.apps import apps as registry
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reviews import aggregation, exports, selectors, services
from reviews.models import Assignment, Panel, PanelItem

from .conftest import user
from .test_pages import _client, _panel_with_the_demo_expert, _scored_and_closed

pytestmark = pytest.mark.django_db

CENT = D("0.01")

# (innov, feas, benefit) of both experts on each item; total = 1.5·innov + feas + benefit
SHEETS = [
    (20, 25, 25),  # 80, tied, heaviest criterion 20
    (24, 19, 25),  # 80, tied, heaviest criterion 24: first of the three
    (36, 11, 20),  # 85: first, but under the minimum of feas (12): does not pass
    (16, 28, 28),  # 80, tied, heaviest criterion 16: last of the three
    None,  # not scored yet: no score, no rank
]


def _scoring_panel_with_ties() -> Panel:
    panel, _mine = _panel_with_the_demo_expert(n=len(SHEETS), category="industry")
    for item, sheet in zip(panel.items.order_by("pk"), SHEETS, strict=True):
        if sheet is None:
            continue
        for a in Assignment.objects.live().filter(item=item).order_by("pk"):
            innov, feas, benefit = sheet
            services.scores_save(
                assignment=a,
                actor=user("city_officer"),
                offline=True,
                submit=True,
                comment="纸质",
                values={"innov": str(innov), "feas": str(feas), "benefit": str(benefit)},
            )
    return panel


def _window(number: int, per_page: int):
    def window(count: int) -> slice:
        page = Paginator(range(count), per_page).get_page(number)
        return slice(page.start_index() - 1, page.end_index())

    return window


def _row(r: aggregation.ItemResult) -> tuple:
    return (r.item_id, r.rank, r.score, r.mean, r.sd, r.range, r.n, r.flagged, r.passes)


def test_the_live_ranking_of_a_page_is_the_whole_rankings_slice(world, today):
    panel = _scoring_panel_with_ties()
    full = aggregation.panel_results(panel)
    items = list(panel.items.order_by("pk").values_list("pk", flat=True))
    assert [r.item_id for r in full] == [items[i] for i in (2, 1, 0, 3, 4)]
    assert [r.rank for r in full] == [1, 2, 3, 4, None]
    assert [r.passes for r in full] == [False, True, True, True, False]
    for number in (1, 2, 3):
        paged = aggregation.panel_results(panel, window=_window(number, 2))
        # every item in the same place, with the same score and spread
        assert [_row(r)[:2] for r in paged] == [_row(r)[:2] for r in full]
        shown = paged[(number - 1) * 2 : number * 2]
        expected = full[(number - 1) * 2 : number * 2]
        assert all(r.detailed for r in shown)
        assert [_row(r) for r in shown] == [_row(r) for r in expected]
        assert [r.criterion_means for r in shown] == [r.criterion_means for r in expected]
        # the others are not worked out, except the tied ones (the tie-break needs them)
        tied = {items[0], items[1], items[3]}
        others = [r for r in paged if r not in shown and r.item_id not in tied]
        assert others and not any(r.detailed or r.criterion_means for r in others)


def test_an_open_panels_page_shows_the_same_ranking_page_by_page(world, today, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    panel = _scoring_panel_with_ties()
    full = aggregation.panel_results(panel)
    numbers = dict(panel.items.values_list("pk", "application__number"))
    officer = _client("city_officer")
    url = reverse("reviews:panel", args=[panel.pk])
    shown = []
    for number in (1, 2, 3):
        html = officer.get(url, {"page": number}).content.decode()
        table = html.split('id="ranking"')[1].split("</table>")[0]
        shown += table.split("<tr")[2:]
    assert len(shown) == len(full)
    for row, r in zip(shown, full, strict=True):
        assert numbers[r.item_id] in row
        assert row.split("<td>")[1].split("</td>")[0] == ("—" if r.rank is None else str(r.rank))
        assert ("<td>✓</td>" in row) == r.passes


def test_closing_freezes_the_criterion_means_and_the_download_reads_them(world, today):
    panel = Panel.objects.get(pk=_scored_and_closed(5, "industry").pk)
    assert panel.status == Panel.Status.CLOSED
    live = {r.item_id: r.criterion_means for r in aggregation.panel_results(panel)}
    frozen = {
        i.pk: aggregation.frozen_criterion_means(i.criterion_means) for i in panel.items.all()
    }
    assert frozen == live and all(len(m) == 3 for m in frozen.values())
    # the closed download: the criteria and the items, nothing over the scores
    with CaptureQueriesContext(connection) as queries:
        sheet = load_workbook(exports.ranking_file(panel)).active
    assert len(queries) == 2, [q["sql"][:120] for q in queries.captured_queries]
    assert not any("reviews_score" in q["sql"] for q in queries.captured_queries)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][12:] == ("创新性均分", "可行性均分", "效益均分")
    by_number = {n: pk for pk, n in panel.items.values_list("pk", "application__number")}
    assert len(rows) == 6
    for row in rows[1:]:
        means = live[by_number[row[1]]]
        assert list(row[12:]) == [
            float(means[code].quantize(CENT, rounding=ROUND_HALF_UP))
            for code in ("innov", "feas", "benefit")
        ]


def test_the_migration_freezes_the_means_of_panels_closed_before_it(world, today):
    panel = _scored_and_closed(3, "agriculture")
    frozen = dict(panel.items.values_list("pk", "criterion_means"))
    assert all(frozen.values())
    PanelItem.objects.filter(panel=panel).update(criterion_means={})
    migration = importlib.import_module("reviews.migrations.0008_panelitem_criterion_means")
    migration.freeze_criterion_means(registry, None)
    assert dict(panel.items.values_list("pk", "criterion_means")) == frozen


def test_the_open_ranking_download_costs_the_same_queries_for_3_and_5_items(world, today):
    officer = _client("city_officer")
    big = _scoring_panel_with_ties()
    small, _mine = _panel_with_the_demo_expert(n=3, category="agriculture")

    def count(panel: Panel) -> int:
        url = reverse("reviews:ranking_download", args=[panel.pk])
        officer.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert officer.get(url).status_code == 200
        return len(queries)

    assert count(big) == count(small)


def test_the_collector_is_held_off_while_a_ranking_is_built_and_back_after(
    world, today, monkeypatch
):
    import gc

    from core.xlsx import collector_paused

    panel = Panel.objects.get(pk=_scored_and_closed(2, "industry").pk)
    seen = []
    write = exports.write_ranking
    monkeypatch.setattr(
        exports, "write_ranking", lambda *a: (seen.append(gc.isenabled()), write(*a))
    )
    assert gc.isenabled()
    exports.ranking_file(panel)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:  # a caller that had it off keeps it off
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_submitting_fixes_the_marks_beside_the_total_and_reopening_clears_them(world, today):
    panel, _mine = _panel_with_the_demo_expert(n=1, category="industry")
    a = Assignment.objects.live().filter(panel=panel).order_by("pk").first()
    services.scores_save(
        assignment=a,
        actor=user("city_officer"),
        offline=True,
        submit=False,
        comment="",
        values={"innov": "30.5", "feas": "20"},
    )
    a.refresh_from_db()
    assert a.marks == {}  # a draft: the Score rows only
    services.scores_save(
        assignment=a,
        actor=user("city_officer"),
        offline=True,
        submit=True,
        comment="纸质",
        values={"innov": "30.5", "feas": "20", "benefit": "12.25"},
    )
    a.refresh_from_db()
    scores = {s.criterion.code: s.value for s in a.scores.select_related("criterion")}
    assert a.marks == {"innov": "30.50", "feas": "20.00", "benefit": "12.25"}
    assert {code: D(v) for code, v in a.marks.items()} == scores
    assert a.total == D("30.5") * D("1.5") + D("20") + D("12.25")
    services.assignment_reopen(assignment=a, actor=user("city_officer"), reason="抄错了")
    a.refresh_from_db()
    assert a.marks == {} and a.total is None


def test_the_migration_fills_the_marks_of_assignments_submitted_before_it(world, today):
    panel = _scoring_panel_with_ties()
    before = aggregation.panel_results(panel)
    submitted = Assignment.objects.filter(panel=panel, status="submitted")
    marks = dict(submitted.values_list("pk", "marks"))
    assert len(marks) == 8 and all(marks.values())
    submitted.update(marks={})
    migration = importlib.import_module("reviews.migrations.0009_assignment_marks")
    migration.fill_marks(registry, None)
    assert dict(submitted.values_list("pk", "marks")) == marks
    after = aggregation.panel_results(panel)
    assert [(_row(r), r.criterion_means) for r in after] == [
        (_row(r), r.criterion_means) for r in before
    ]
