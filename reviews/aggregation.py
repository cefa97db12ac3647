"""Aggregating experts' scores into an item score, its spread and its rank.

The database does the heavy part with GROUP BY queries over submitted assignments (count,
sum, minimum, maximum and sum of squares of the experts' totals per item; sums of every
criterion per item; the totals in order for the median). The divisions, the square root,
the median pick and the optional per-expert z-score calibration are then done in
``Decimal`` on those figures, so SQLite and PostgreSQL give the same digits.

Methods (DESIGN §5):
* ``mean``: Σ totals / n.
* ``trimmed_mean``: drop one highest and one lowest total (when n ≥ 3), then the mean.
* ``median``: the middle total, or the mean of the two middle ones.
* ``calibrate``: each expert's total becomes μ + σ · (x − μₑ) / σₑ, where μₑ, σₑ are that
  expert's mean and population standard deviation over the items they scored on this
  panel and μ, σ those of all totals on the panel; an expert with σₑ = 0 (one item, or
  the same total everywhere) contributes μ. The method is then applied to these values.

Spread: the population standard deviation and max − min of the raw totals; flagged when
max − min exceeds the panel's threshold. Passing: score ≥ the rubric's total threshold
and every criterion's mean ≥ its minimum. Rank: by score (4 decimals), then the mean on
the heaviest criterion, then the earlier submission of the application.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Min, Sum

from .models import Assignment, Criterion, Panel, PanelItem, Score

Q4 = Decimal("0.0001")


def q4(value: Decimal) -> Decimal:
    return value.quantize(Q4, rounding=ROUND_HALF_UP)


@dataclass
class ItemResult:
    item_id: int
    application_id: int
    number: str
    submitted_at: dt.datetime | None
    n: int = 0
    mean: Decimal | None = None
    score: Decimal | None = None
    sd: Decimal | None = None
    range: Decimal | None = None
    flagged: bool = False
    passes: bool = False
    criterion_means: dict[str, Decimal] = field(default_factory=dict)
    heavy: Decimal | None = None
    rank: int | None = None
    failed_minimums: list[str] = field(default_factory=list)


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _trimmed(values: list[Decimal]) -> Decimal:
    if len(values) < 3:
        return sum(values, Decimal(0)) / len(values)
    ordered = sorted(values)
    return sum(ordered[1:-1], Decimal(0)) / (len(ordered) - 2)


def _pop_sd(values: list[Decimal]) -> Decimal:
    n = len(values)
    mean = sum(values, Decimal(0)) / n
    return (sum(((v - mean) ** 2 for v in values), Decimal(0)) / n).sqrt()


def _calibrated(rows: list[tuple[int, int, Decimal]]) -> dict[tuple[int, int], Decimal]:
    """(item, expert, total) → calibrated total."""
    totals = [t for _i, _e, t in rows]
    mu = sum(totals, Decimal(0)) / len(totals)
    sigma = _pop_sd(totals)
    by_expert: dict[int, list[Decimal]] = defaultdict(list)
    for _item, expert, total in rows:
        by_expert[expert].append(total)
    stats = {}
    for expert, values in by_expert.items():
        stats[expert] = (sum(values, Decimal(0)) / len(values), _pop_sd(values))
    out = {}
    for item, expert, total in rows:
        mu_e, sigma_e = stats[expert]
        out[(item, expert)] = mu if sigma_e == 0 else mu + sigma * (total - mu_e) / sigma_e
    return out


def panel_results(panel: Panel) -> list[ItemResult]:
    """Live results of every item, ranked (what ``panel_close`` freezes)."""
    rubric = panel.rubric
    criteria = list(rubric.criteria.all())
    heaviest = rubric.heaviest()
    # plain values: no application model per item
    items = panel.items.order_by("pk").values_list(
        "pk", "application_id", "application__number", "application__submitted_at"
    )
    results = {pk: ItemResult(pk, app, number, submitted) for pk, app, number, submitted in items}
    submitted = Assignment.objects.filter(panel=panel, status=Assignment.Status.SUBMITTED)
    # count, sum, extremes per item: one GROUP BY
    for row in submitted.values("item_id").annotate(
        n=Count("pk"), s=Sum("total"), lo=Min("total"), hi=Max("total")
    ):
        r = results[row["item_id"]]
        r.n = row["n"]
        r.mean = q4(Decimal(str(row["s"])) / row["n"])
        r.range = q4(Decimal(str(row["hi"])) - Decimal(str(row["lo"])))
        r.flagged = r.range > panel.spread_threshold
    # the experts' totals in order (median, trimmed mean, standard deviation, calibration)
    ordered = list(
        submitted.order_by("item_id", "total").values_list("item_id", "expert_id", "total")
    )
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for item_id, _expert, total in ordered:
        totals[item_id].append(Decimal(str(total)))
    values_for_method: dict[int, list[Decimal]] = totals
    if panel.calibrate and ordered:
        calibrated = _calibrated([(i, e, Decimal(str(t))) for i, e, t in ordered])
        values_for_method = defaultdict(list)
        for item_id, expert, _total in ordered:
            values_for_method[item_id].append(calibrated[(item_id, expert)])
    for item_id, values in totals.items():
        r = results[item_id]
        r.sd = q4(_pop_sd(values))
        method_values = values_for_method[item_id]
        if panel.aggregation == Panel.Aggregation.MEDIAN:
            r.score = q4(_median(method_values))
        elif panel.aggregation == Panel.Aggregation.TRIMMED_MEAN:
            r.score = q4(_trimmed(method_values))
        else:
            r.score = q4(sum(method_values, Decimal(0)) / len(method_values))
    # per-criterion means: one GROUP BY over the scores
    for item_id, criterion, mean in _criterion_means(panel, criteria):
        r = results[item_id]
        r.criterion_means[criterion.code] = mean
        if criterion.min_score is not None and mean < criterion.min_score:
            r.failed_minimums.append(criterion.code)
    for r in results.values():
        if heaviest is not None:
            r.heavy = r.criterion_means.get(heaviest.code)
        r.passes = (
            r.score is not None and r.score >= rubric.total_threshold and not r.failed_minimums
        )
    return rank(list(results.values()))


def _criterion_means(
    panel: Panel, criteria: list[Criterion]
) -> list[tuple[int, Criterion, Decimal]]:
    """(item, criterion, mean of the submitted scores) of every item of ``panel``: one
    GROUP BY over the scores of its submitted assignments."""
    codes = {c.pk: c for c in criteria}
    rows = (
        Score.objects.filter(
            assignment__panel=panel, assignment__status=Assignment.Status.SUBMITTED
        )
        .values("assignment__item_id", "criterion_id")
        .annotate(s=Sum("value"), n=Count("pk"))
        .order_by()
    )
    return [
        (
            row["assignment__item_id"],
            codes[row["criterion_id"]],
            q4(Decimal(str(row["s"])).quantize(Decimal("0.01")) / row["n"]),
        )
        for row in rows
    ]


def criterion_means(panel: Panel) -> dict[int, dict[str, Decimal]]:
    """item id → {criterion code: mean}: what the ranking download shows beside the
    frozen results of a closed panel (they are not frozen on the items)."""
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for item_id, criterion, mean in _criterion_means(panel, list(panel.rubric.criteria.all())):
        out[item_id][criterion.code] = mean
    return out


def rank(results: list[ItemResult]) -> list[ItemResult]:
    """Order by score, then the heaviest criterion, then the earlier submission."""
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(r: ItemResult) -> tuple[int, Decimal, Decimal, dt.datetime, int]:
        return (
            0 if r.score is not None else 1,
            -(r.score or Decimal(0)),
            -(r.heavy or Decimal(0)),
            r.submitted_at or far_future,
            r.application_id,
        )

    ordered = sorted(results, key=key)
    for position, r in enumerate(ordered, start=1):
        r.rank = position if r.score is not None else None
    return ordered


def freeze(panel: Panel) -> list[ItemResult]:
    """Store the results on the panel's items (called when the panel closes)."""
    results = panel_results(panel)
    by_id = {i.pk: i for i in panel.items.all()}
    for r in results:
        item = by_id[r.item_id]
        item.score, item.mean, item.spread_sd, item.spread_range = r.score, r.mean, r.sd, r.range
        item.n_scores, item.flagged, item.passes, item.rank = r.n, r.flagged, r.passes, r.rank
    PanelItem.objects.bulk_update(
        by_id.values(),
        ["score", "mean", "spread_sd", "spread_range", "n_scores", "flagged", "passes", "rank"],
    )
    return results


def frozen_results(panel: Panel) -> list[PanelItem]:
    return list(
        panel.items.select_related("application__category", "application__district").order_by(
            F("rank").asc(nulls_last=True), "pk"
        )
    )
