"""Input shapes of the report pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args: Any, years: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


class YearEndForm(YearForm):
    district = forms.ChoiceField(
        label=_("Region"),
        required=False,
        help_text=_("Leave empty for everything you may read."),
    )

    def __init__(
        self, *args: Any, years: Sequence[int], regions: Sequence[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, years=years, **kwargs)
        self.fields["district"].choices = [("", _("All my regions")), *regions]  # type: ignore[attr-defined]
