"""Acceptance 3: aggregation equals a hand-computed example for each method, z-score
calibration included; ties are broken as DESIGN §5 says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from reviews import aggregation, services
from reviews.aggregation import ItemResult, rank
from reviews.models import Assignment, ExpertProfile, Panel

from .conftest import city_panel, recommended, user

pytestmark = pytest.mark.django_db

# Three experts score three items on the rubric of conftest (innovation weighs 1.5):
#                 innov feas benefit   total = 1.5·innov + feas + benefit
SHEETS = {
    ("A", "E1"): (30, 20, 20),  # 45 + 20 + 20 = 85
    ("A", "E2"): (20, 25, 25),  # 30 + 25 + 25 = 80
    ("A", "E3"): (36, 28, 26),  # 54 + 28 + 26 = 108
    ("B", "E1"): (28, 18, 18),  # 42 + 18 + 18 = 78
    ("B", "E2"): (30, 22, 22),  # 45 + 22 + 22 = 89
    ("B", "E3"): (20, 15, 15),  # 30 + 15 + 15 = 60
    ("C", "E1"): (32, 24, 20),  # 48 + 24 + 20 = 92
    ("C", "E2"): (24, 20, 20),  # 36 + 20 + 20 = 76
    ("C", "E3"): (34, 22, 24),  # 51 + 22 + 24 = 97
}
TOTALS = {"A": [85, 80, 108], "B": [78, 89, 60], "C": [92, 76, 97]}


def _panel(**kwargs) -> tuple[Panel, dict[str, int]]:
    apps = recommended(3)
    # only three experts, none in conflict (not of 西湖区, not of the applicant's organisation)
    keep = list(
        ExpertProfile.objects.exclude(person__region__code="330106")
        .exclude(person__organisation__name="杭州西湖智慧农业科技有限公司")
        .order_by("pk")[:3]
    )
    ExpertProfile.objects.exclude(pk__in=[e.pk for e in keep]).update(active=False)
    panel = city_panel(apps, size=3, **kwargs)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=1)
    services.panel_open(panel=panel, actor=user("city_officer"))
    names = {"A": apps[0].pk, "B": apps[1].pk, "C": apps[2].pk}
    experts = {"E1": keep[0].pk, "E2": keep[1].pk, "E3": keep[2].pk}
    for (item, expert), (innov, feas, benefit) in SHEETS.items():
        a = Assignment.objects.get(
            panel=panel, item__application_id=names[item], expert_id=experts[expert]
        )
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质评分表",
            values={"innov": str(innov), "feas": str(feas), "benefit": str(benefit)},
        )
    return panel, names


def _by_name(panel: Panel, names: dict[str, int]) -> dict[str, ItemResult]:
    results = aggregation.panel_results(panel)
    return {n: next(r for r in results if r.application_id == pk) for n, pk in names.items()}


def test_mean_with_spread_and_rank(world, today):
    panel, names = _panel(aggregation="mean", spread_threshold=D("30"))
    r = _by_name(panel, names)
    assert r["A"].score == D("91.0000")  # (85 + 80 + 108) / 3 = 273 / 3
    assert r["B"].score == D("75.6667")  # 227 / 3 = 75.666…
    assert r["C"].score == D("88.3333")  # 265 / 3 = 88.333…
    assert r["A"].range == D("28.0000") and not r["A"].flagged  # 108 − 80, under 30
    assert r["B"].range == D("29.0000") and not r["B"].flagged  # 89 − 60
    # population SD of A: deviations 85−91=−6, −11, 17 → (36 + 121 + 289) / 3 = 148.666… → √ = 12.1929
    assert r["A"].sd == D("12.1929")
    assert [x.application_id for x in aggregation.panel_results(panel)] == [
        names["A"],
        names["C"],
        names["B"],
    ]
    assert (r["A"].rank, r["C"].rank, r["B"].rank) == (1, 2, 3)
    # criterion means and minimums: B's feasibility mean (18 + 22 + 15) / 3 = 18.3333 ≥ 12
    assert r["B"].criterion_means["feas"] == D("18.3333") and r["B"].passes


@pytest.mark.parametrize("method", ["trimmed_mean", "median"])
def test_trimmed_mean_and_median_of_three_keep_the_middle(world, today, method):
    panel, names = _panel(aggregation=method)
    r = _by_name(panel, names)
    # with three totals both keep the middle one: A 80 < 85 < 108, B 60 < 78 < 89, C 76 < 92 < 97
    assert (r["A"].score, r["B"].score, r["C"].score) == (D("85"), D("78"), D("92"))


def test_trimmed_mean_and_median_of_five_differ():
    values = [D(v) for v in ("60", "70", "71", "90", "99")]
    # trimmed: drop 60 and 99 → (70 + 71 + 90) / 3 = 77
    assert aggregation._trimmed(values) == D("77")
    # median: the third of five = 71; of four (60, 70, 71, 90) = (70 + 71) / 2 = 70.5
    assert aggregation._median(values) == D("71")
    assert aggregation._median(values[:4]) == D("70.5")


def test_z_score_calibration(world, today):
    panel, names = _panel(aggregation="mean", calibrate=True)
    r = _by_name(panel, names)
    # all nine totals: μ = 765 / 9 = 85; squared deviations 0+25+529+49+16+625+49+81+144 = 1518 → σ = √(1518/9)
    mu, sigma = D(765) / 9, (D(1518) / 9).sqrt()
    # per expert (A, B, C): E1 85, 78, 92; E2 80, 89, 76; E3 108, 60, 97
    per_expert = {"E1": [85, 78, 92], "E2": [80, 89, 76], "E3": [108, 60, 97]}

    def stats(values):
        m = D(sum(values)) / 3
        return m, (sum((D(v) - m) ** 2 for v in values) / 3).sqrt()

    expected = {}
    for index, item in enumerate("ABC"):
        calibrated = []
        for _expert, values in per_expert.items():
            m, s = stats(values)
            calibrated.append(mu + sigma * (D(values[index]) - m) / s)
        expected[item] = aggregation.q4(sum(calibrated) / 3)
    assert {k: r[k].score for k in "ABC"} == expected
    # worked figure for A: σ = 12.98717; E1 z = (85 − 85) / 5.71548 = 0;
    # E2 z = (80 − 81.66667) / 5.43650 = −0.30657; E3 z = (108 − 88.33333) / 20.53182 = 0.95786;
    # mean z = 0.21710 → 85 + 12.98717 × 0.21710 = 87.8195
    assert expected["A"] == D("87.8195")
    # the raw spread is unchanged by calibration
    assert r["A"].range == D("28.0000")


def _result(pk, score, heavy, submitted):
    return ItemResult(
        item_id=pk,
        application_id=pk,
        number=str(pk),
        submitted_at=dt.datetime(2026, 11, submitted, tzinfo=dt.UTC),
        score=D(score),
        heavy=D(heavy),
    )


def test_ties_break_on_the_heaviest_criterion_then_the_earlier_submission():
    ordered = rank(
        [
            _result(1, "88.5", "30", 10),
            _result(2, "88.5", "32", 12),  # same score, better on the heaviest criterion
            _result(3, "88.5", "30", 9),  # same score and heavy score, submitted earlier than 1
            _result(4, "90", "20", 15),
        ]
    )
    assert [r.application_id for r in ordered] == [4, 2, 3, 1]
    assert [r.rank for r in ordered] == [1, 2, 3, 4]


def test_the_frozen_results_are_what_the_ranking_showed(world, today):
    panel, _names = _panel()
    live = {r.application_id: (r.score, r.rank) for r in aggregation.panel_results(panel)}
    services.panel_close(panel=panel, actor=user("city_officer"))
    frozen = {i.application_id: (i.score, i.rank) for i in panel.items.all()}
    assert frozen == live
