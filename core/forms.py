from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .money import MoneyError, parse_yuan


class YuanField(forms.CharField):
    """A money input in yuan (元); cleaned to a ``Decimal`` with two places."""

    def __init__(self, *, min_value: Decimal | None = Decimal("0"), **kwargs: Any) -> None:
        self.min_value = min_value
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in (None, ""):
            return None
        try:
            amount = parse_yuan(text)
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
