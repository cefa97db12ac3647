"""The random draw of experts (随机抽取): reproducible from its seed, balanced by load,
and never assigning a conflict. Pure functions over plain data, so they can be tested
over random pools."""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar


class DrawError(Exception):
    def __init__(self, item: Hashable, needed: int, available: int) -> None:
        self.item, self.needed, self.available = item, needed, available
        super().__init__(f"item {item}: needs {needed} experts, {available} eligible")


I = TypeVar("I", bound=Hashable)  # noqa: E741 - an item
E = TypeVar("E", bound=Hashable)  # an expert


@dataclass(frozen=True)
class DrawResult(Generic[I, E]):
    assignments: dict[I, list[E]]  # item → experts, in draw order
    loads: dict[E, int]


def draw(
    *,
    items: Sequence[I],
    experts: Sequence[E],
    size: int | Callable[[I], int],
    seed: int,
    conflicts: Callable[[I, E], bool],
    loads: Mapping[E, int] | None = None,
    caps: Mapping[E, int] | None = None,
    already: Mapping[I, set[E]] | None = None,
) -> DrawResult[I, E]:
    """Assign ``size`` experts to every item.

    Items are taken in an order shuffled by the seed; for each, the eligible experts
    (no conflict, under their load cap, not already on the item) with the lowest load
    are chosen, ties broken by a seed-shuffled ranking of the experts. So among experts
    eligible everywhere, loads never differ by more than one, and the same inputs and
    seed always give the same draw. ``size`` may be a function: how many are still
    missing on an item (for replacements).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible from the recorded seed, on purpose
    item_order = sorted(items, key=repr)
    rng.shuffle(item_order)
    expert_order = sorted(experts, key=repr)
    rng.shuffle(expert_order)
    tiebreak = {e: i for i, e in enumerate(expert_order)}
    load = {e: (loads or {}).get(e, 0) for e in expert_order}
    cap = caps or {}
    on_item: dict[I, set[E]] = {i: set((already or {}).get(i, set())) for i in item_order}
    result: dict[I, list[E]] = {i: [] for i in item_order}
    for item in item_order:
        wanted = size(item) if callable(size) else size
        if wanted <= 0:
            continue
        eligible = [
            e
            for e in expert_order
            if e not in on_item[item] and not conflicts(item, e) and load[e] < cap.get(e, 10**9)
        ]
        if len(eligible) < wanted:
            raise DrawError(item, wanted, len(eligible))
        chosen = sorted(eligible, key=lambda e: (load[e], tiebreak[e]))[:wanted]
        for expert in chosen:
            load[expert] += 1
            on_item[item].add(expert)
            result[item].append(expert)
    return DrawResult(assignments=result, loads=load)
