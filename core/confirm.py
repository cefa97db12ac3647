"""Confirmation before an action that cannot be undone (提交, 签订, 登记支付, 结项 …).

The button of such a form carries ``data-confirm="<what it does>"``. In the browser,
``static/js/app.js`` asks in a ``<dialog>`` and adds ``_confirmed=1`` to the form when the
person confirms. Without script (or in a browser without ``<dialog>``) the POST arrives
without it, and the view answers with a page that says what is about to happen and posts
the same fields again, confirmed. The view checks, not the script: a POST without the
confirmation never acts.

    if (asked := confirmation_needed(request, action=label, subject=str(record))) is not None:
        return asked
    ... call the service ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

CONFIRMED = "_confirmed"
# Never sent back through the confirmation page (the page has its own CSRF token).
_NOT_REPEATED = {"csrfmiddlewaretoken", CONFIRMED}


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def confirmation_needed(
    request: HttpRequest,
    *,
    action: str,
    subject: str = "",
    back: str = "",
    form: forms.Form | None = None,
    details: Iterable[tuple[str, str]] = (),
) -> HttpResponse | None:
    """``None`` when this POST carries the confirmation; otherwise the page that asks
    for it. ``action`` is what the button does (its label), ``subject`` the record it
    acts on, ``form`` a bound and valid form whose values the page repeats, ``back`` the
    page to go back to (the page the person came from when it is of this site)."""
    if is_confirmed(request):
        return None
    if request.FILES:
        # A file cannot be posted again from the page: such forms are confirmed in the
        # browser only, and the views that take files do not call this.
        raise ValueError("a form with files cannot be confirmed on a page")
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in _NOT_REPEATED
        for value in values
    ]
    shown = list(details) + (_form_details(form) if form is not None else [])
    return render(
        request,
        "confirm.html",
        {
            "action": action,
            "subject": subject,
            "details": shown,
            "fields": fields,
            "back": back or _referer(request),
            "target": request.get_full_path(),
            "confirmed_field": CONFIRMED,
        },
    )


def _referer(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def _form_details(form: forms.Form) -> list[tuple[str, str]]:
    """The values a person entered, as they read them: choice labels, 是/否, dates."""
    shown = []
    for bound in form.visible_fields():
        value = form.cleaned_data.get(bound.name)
        if value in (None, "", [], ()):
            continue
        field = bound.field
        text: str
        if isinstance(field, forms.ModelChoiceField):
            text = str(field.label_from_instance(value))
        elif isinstance(field, forms.ChoiceField):
            labels = {str(k): str(v) for k, v in _flat(field.choices)}
            text = labels.get(str(value), str(value))
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif isinstance(value, dt.datetime):
            text = date_format(timezone.localtime(value), "Y-m-d H:i")
        elif isinstance(value, dt.date):
            text = date_format(value, "Y-m-d")
        else:
            text = str(value)
        shown.append((str(bound.label), text))
    return shown


def _flat(choices: Any) -> Iterable[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from _flat(label)
        else:
            yield key, label
