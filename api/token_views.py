"""我的 API 令牌: a person makes, lists and revokes their own API tokens. The secret of a
new token is shown once, in the answer to the POST that made it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import actor_of
from core.confirm import confirmation_needed
from core.http import pk_or_404

from .forms import TokenForm
from .models import ApiToken
from .tokens import TokenError, token_create, token_revoke


def _page(request: HttpRequest, form: TokenForm, secret: str = "") -> HttpResponse:
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "tokens": ApiToken.objects.filter(user=actor_of(request)),
            "secret": secret,
        },
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    try:
        with transaction.atomic(durable=True):
            made = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
    except TokenError as refusal:
        form.add_error(None, str(refusal))
        return _page(request, form)
    messages.success(request, _("Token made. Copy it now: it will not be shown again."))
    return _page(request, TokenForm(), secret=made.secret)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: str) -> HttpResponse:
    token = ApiToken.objects.filter(user=actor_of(request), pk=pk_or_404(pk)).first()
    if token is None:
        raise Http404
    if token.is_revoked:
        return redirect("api_tokens")
    asked = confirmation_needed(
        request,
        action=_("Revoke the token"),
        subject=str(token),
        back=reverse("api_tokens"),
    )
    if asked is not None:
        return asked
    with transaction.atomic(durable=True):
        token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked; it no longer works."))
    return redirect("api_tokens")
