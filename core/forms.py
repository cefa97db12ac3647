from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .money import MoneyError, parse_yuan


class YuanField(forms.Field):
    """A money input in yuan (元): "1,234.50", "1234.5元" are accepted, fractions of a
    fen refused; cleaned to a ``Decimal`` with two places."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *, min_value: Decimal | None = Decimal("0"), **kwargs: Any) -> None:
        self.min_value = min_value
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and len(value) > 30:
            raise ValidationError(
                _("“%(value)s” is not an amount of money.") % {"value": value[:30]}, code="money"
            )
        try:
            amount = parse_yuan(value)
        except MoneyError as exc:
            raise ValidationError(str(exc), code="money") from exc
        if self.min_value is not None and amount < self.min_value:
            raise ValidationError(
                _("The amount may not be less than %(min)s.") % {"min": self.min_value}, code="min"
            )
        return amount

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value
