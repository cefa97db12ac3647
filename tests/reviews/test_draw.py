"""Acceptance 1: the draw is reproducible, never assigns a conflict, and balances load."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.draw import DrawError, draw


@st.composite
def pools(draw_):
    n_items = draw_(st.integers(1, 25))
    n_experts = draw_(st.integers(1, 30))
    size = draw_(st.integers(1, 5))
    pairs = draw_(
        st.sets(st.tuples(st.integers(0, n_items - 1), st.integers(0, n_experts - 1)), max_size=60)
    )
    seed = draw_(st.integers(0, 2**62))
    return (
        list(range(n_items)),
        [f"e{i}" for i in range(n_experts)],
        size,
        {(i, f"e{e}") for i, e in pairs},
        seed,
    )


@settings(max_examples=300, deadline=None)
@given(pools())
def test_no_conflict_is_ever_assigned_and_loads_stay_within_one(pool):
    items, experts, size, conflict_pairs, seed = pool
    try:
        result = draw(
            items=items,
            experts=experts,
            size=size,
            seed=seed,
            conflicts=lambda i, e: (i, e) in conflict_pairs,
        )
    except DrawError as error:
        # refused only when an item really has too few eligible experts
        eligible = [e for e in experts if (error.item, e) not in conflict_pairs]
        assert len(eligible) < size
        return
    for item, chosen in result.assignments.items():
        assert len(chosen) == size == len(set(chosen))
        assert not any((item, e) in conflict_pairs for e in chosen)
    # experts eligible for every item: their loads differ by at most one
    free = [e for e in experts if not any((i, e) in conflict_pairs for i in items)]
    if free:
        loads = [result.loads[e] for e in free]
        assert max(loads) - min(loads) <= 1


@settings(max_examples=50, deadline=None)
@given(pools())
def test_the_same_seed_gives_the_same_draw(pool):
    items, experts, size, conflict_pairs, seed = pool

    def run(seed_):
        try:
            return draw(
                items=items,
                experts=experts,
                size=size,
                seed=seed_,
                conflicts=lambda i, e: (i, e) in conflict_pairs,
            ).assignments
        except DrawError as error:
            return str(error)

    assert run(seed) == run(seed)


def test_a_different_seed_gives_a_different_draw():
    items, experts = list(range(10)), [f"e{i}" for i in range(20)]
    a = draw(items=items, experts=experts, size=3, seed=1, conflicts=lambda i, e: False).assignments
    b = draw(items=items, experts=experts, size=3, seed=2, conflicts=lambda i, e: False).assignments
    assert a != b


def test_load_caps_are_respected():
    result = draw(
        items=list(range(6)),
        experts=["a", "b", "c"],
        size=2,
        seed=7,
        conflicts=lambda i, e: False,
        caps={"a": 1, "b": 10, "c": 10},
    )
    assert result.loads["a"] <= 1
    with pytest.raises(DrawError):
        draw(
            items=list(range(6)),
            experts=["a", "b", "c"],
            size=2,
            seed=7,
            conflicts=lambda i, e: False,
            caps={"a": 1, "b": 1, "c": 10},
        )
