"""Amounts are read strictly: exact to the fen, never a float, never rounded silently."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.errors import MoneyError
from ledger.money import format_fen, parse_yuan, round_to_fen, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.50", 123450),
        ("1234.5元", 123450),
        (" ￥12 345.00 ", 1234500),
        ("1，000", 100000),
        ("0.01", 1),
        (1234.5, 123450),
        (Decimal("7"), 700),
        (15, 1500),
        ("１２", 1200),
    ],
)
def test_amounts_people_type_are_read_to_the_fen(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text", ["12.345", "1,23.4", "abc", "", "1.2.3", 0.1 + 0.2, "1e3", "1²", "①", "٣", "三百"]
)
def test_anything_not_exact_to_the_fen_is_refused(text):
    with pytest.raises(MoneyError):
        parse_yuan(text)


def test_the_refusal_says_why_in_chinese():
    with pytest.raises(MoneyError) as error:
        parse_yuan("12.345")
    assert "分" in str(error.value)


def test_computed_amounts_round_half_up_to_the_fen():
    assert round_to_fen(Decimal("2.5")) == 3
    assert round_to_fen(Decimal("2.4999")) == 2
    assert round_to_fen(Decimal("-2.5")) == -3


def test_fen_are_shown_as_yuan():
    assert format_fen(123456789) == "1,234,567.89"
    assert format_fen(-5) == "-0.05"
    assert format_fen(100, sign=True) == "+1.00"


@pytest.mark.parametrize(
    "typed", ["99999999999999999999", "10000000000.01", "-10000000000.01", 1e30]
)
def test_more_than_the_domain_maximum_is_refused_naming_it(typed):
    with pytest.raises(MoneyError) as error:
        parse_yuan(typed)
    assert "100 亿元" in str(error.value)
    assert yuan_to_fen("10000000000") == 10**12  # the maximum itself is accepted
