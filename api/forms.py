from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .tokens import LIFETIME_CHOICES


def _lifetimes() -> list[tuple[int, str]]:
    """Read when the form is shown, in the language of the request."""
    return [(d, gettext("%(days)d days") % {"days": d}) for d in LIFETIME_CHOICES]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 省科技管理信息系统对接."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=_lifetimes,
        initial=90,
    )
