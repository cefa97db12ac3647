"""Aggregating experts' scores into an item score, its spread and its rank.

One query over the submitted assignments of the panel: the experts' totals in order with
their scores by criterion as submitted (``Assignment.marks``; about 5 rows per item), from
which the count, sum, extremes, standard deviation, median, trimmed mean, calibration
and criterion means are worked out; no query over the province's scores. (With a window,
two: the scores by criterion only of the items that can be shown.) The sums,
divisions, square roots, the median pick and the optional per-expert z-score
calibration are done in ``Decimal`` on the exact figures, so SQLite and PostgreSQL give
the same digits.

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
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F

from .models import Assignment, Panel, PanelItem

Q4 = Decimal("0.0001")
CENT = Decimal("0.01")


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
    # false for an item outside the window asked of ``panel_results``: no criterion
    # means, ``passes`` not worked out
    detailed: bool = True


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


def _pop_sd(values: list[Decimal], mean: Decimal | None = None) -> Decimal:
    n = len(values)
    if mean is None:
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


def panel_results(
    panel: Panel, *, window: Callable[[int], slice] | None = None
) -> list[ItemResult]:
    """Live results of every item, ranked (what ``panel_close`` freezes).

    ``window`` (given the number of items, the positions of the ranking to be shown)
    restricts the per-criterion means, and so ``passes``, to the items that can rank in
    those positions and to the items tied on score with another (the tie-break needs
    their heaviest criterion). The other items keep ``detailed`` false (no criterion
    means, ``passes`` false); their score, spread and rank are the same as without a
    window."""
    rubric = panel.rubric
    criteria = list(rubric.criteria.all())
    heaviest = rubric.heaviest(criteria)
    # plain values: no application model per item
    items = panel.items.order_by("pk").values_list(
        "pk", "application_id", "application__number", "application__submitted_at"
    )
    results = {pk: ItemResult(pk, app, number, submitted) for pk, app, number, submitted in items}
    # the experts' submitted totals per item, in order, with their scores by criterion:
    # one query for the count, mean, extremes, standard deviation, median, trimmed mean,
    # calibration and criterion means
    # (with a window, the scores by criterion are read afterwards for the items shown)
    submitted = Assignment.objects.filter(panel=panel, status=Assignment.Status.SUBMITTED)
    ordered: list[tuple[int, int, Decimal]] = []
    marks: dict[int, list[dict[str, str]]] = defaultdict(list)
    columns = ["item_id", "expert_id", "total"] + ([] if window else ["marks"])
    for item_id, expert, total, *sheet in submitted.order_by("item_id", "total").values_list(
        *columns
    ):
        ordered.append((item_id, expert, Decimal(str(total))))
        if sheet:
            marks[item_id].append(sheet[0])
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for item_id, _expert, total in ordered:
        totals[item_id].append(total)
    values_for_method: dict[int, list[Decimal]] = totals
    if panel.calibrate and ordered:
        calibrated = _calibrated(ordered)
        values_for_method = defaultdict(list)
        for item_id, expert, _total in ordered:
            values_for_method[item_id].append(calibrated[(item_id, expert)])
    threshold = panel.spread_threshold
    for item_id, values in totals.items():
        r = results[item_id]
        n = r.n = len(values)
        total = sum(values, Decimal(0))
        r.mean = q4(total / n)
        # in order: the first is the lowest, the last the highest
        r.range = q4(values[-1] - values[0])
        r.flagged = r.range > threshold
        r.sd = q4(_pop_sd(values, total / n))
        method_values = values_for_method[item_id]
        if panel.aggregation == Panel.Aggregation.MEDIAN:
            r.score = q4(_median(method_values))
        elif panel.aggregation == Panel.Aggregation.TRIMMED_MEAN:
            r.score = q4(_trimmed(method_values))
        else:
            r.score = q4(sum(method_values, Decimal(0)) / len(method_values))
    detailed = None if window is None else _to_detail(list(results.values()), window)
    for r in results.values():
        r.detailed = detailed is None or r.item_id in detailed
    if detailed is not None:
        for item_id, sheet in submitted.filter(item_id__in=sorted(detailed)).values_list(
            "item_id", "marks"
        ):
            marks[item_id].append(sheet)
    # per-criterion means of the detailed items, from their scores as submitted
    for item_id, sheets in marks.items():
        r = results[item_id]
        if not r.detailed:
            continue
        for criterion in criteria:
            mean = _criterion_mean([s[criterion.code] for s in sheets if criterion.code in s])
            if mean is None:
                continue
            r.criterion_means[criterion.code] = mean
            if criterion.min_score is not None and mean < criterion.min_score:
                r.failed_minimums.append(criterion.code)
    for r in results.values():
        if heaviest is not None:
            r.heavy = r.criterion_means.get(heaviest.code)
        r.passes = (
            r.detailed
            and r.score is not None
            and r.score >= rubric.total_threshold
            and not r.failed_minimums
        )
    return rank(list(results.values()))


def _to_detail(results: list[ItemResult], window: Callable[[int], slice]) -> set[int]:
    """The items that can rank in ``window`` and those sharing a score (ordered by score
    alone, a tied group holds the same places as in the ranking, only its order inside
    may differ)."""
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    by_score = sorted(
        results,
        key=lambda r: (
            0 if r.score is not None else 1,
            -(r.score or Decimal(0)),
            r.submitted_at or far_future,
            r.application_id,
        ),
    )
    shared = Counter(r.score for r in results if r.score is not None)
    out = {r.item_id for r in by_score[window(len(by_score))]}
    out.update(r.item_id for r in results if r.score is not None and shared[r.score] > 1)
    return out


def _criterion_mean(values: list[str]) -> Decimal | None:
    """The mean of one criterion's scores (two decimals each, as stored) on one item."""
    if not values:
        return None
    return q4(sum((Decimal(v) for v in values), Decimal(0)).quantize(CENT) / len(values))


def frozen_criterion_means(stored: dict[str, str]) -> dict[str, Decimal]:
    """``PanelItem.criterion_means`` as Decimals (stored as their exact strings)."""
    return {code: Decimal(mean) for code, mean in stored.items()}


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
        item.criterion_means = {code: str(mean) for code, mean in r.criterion_means.items()}
    PanelItem.objects.bulk_update(
        by_id.values(),
        [
            "score",
            "mean",
            "spread_sd",
            "spread_range",
            "n_scores",
            "flagged",
            "passes",
            "rank",
            "criterion_means",
        ],
        batch_size=1000,
    )
    return results


def frozen_results(panel: Panel) -> list[PanelItem]:
    return list(
        panel.items.select_related("application__category", "application__district").order_by(
            F("rank").asc(nulls_last=True), "pk"
        )
    )
