"""Money on the API: decimal yuan as strings ("1234.56"), never floats; fen in the
database (core.money)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.money import MAX_YUAN, fen_to_yuan

YUAN_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,2})?$"


class YuanField(serializers.DecimalField):
    """Reads an integer fen attribute and shows it as a yuan string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        return super().to_representation(fen_to_yuan(int(value)))


class YuanInputField(serializers.DecimalField):
    """An amount in yuan, sent as a string with at most two decimals, above zero and
    below the domain maximum. A JSON number is refused: it would pass through a float."""

    default_error_messages = {
        "not_a_string": _('Send the amount as a string, e.g. "1234.56".'),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=13,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=MAX_YUAN,
            coerce_to_string=True,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
