"""Numbers with the precision their meaning has (see core.numbers)."""

from typing import Any

from django import template

from core.numbers import format_count, format_quantity, format_rate, format_score

register = template.Library()


@register.filter
def score(value: Any) -> str:
    """80.6667 → "80.67"."""
    return format_score(value, empty="—")


@register.filter
def quantity(value: Any) -> str:
    """2.00 → "2", 1500.50 → "1,500.5"."""
    return format_quantity(value, empty="—")


@register.filter
def count(value: Any) -> str:
    """3.0 → "3"."""
    return format_count(value, empty="0")


@register.filter
def rate(value: Any) -> str:
    """0.02 → "2%"."""
    return format_rate(value, empty="—")
