from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from core.http import posted_pk

from . import selectors, services
from .models import MAX_ATTEMPTS


class InboxView(LoginRequiredMixin, ListView):
    """收件箱: the user's own messages, newest first, unread ones marked."""

    template_name = "notices/inbox.html"
    context_object_name = "inbox"
    paginate_by = 25

    def get_queryset(self) -> Any:
        return selectors.inbox_for(user=self.request.user)


def _login_required(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect("login")
    return None


@require_POST
def message_read(request: HttpRequest) -> HttpResponse:
    """Mark a message read; with ``open``, go on to the page it links to."""
    if (denied := _login_required(request)) is not None:
        return denied
    pk = posted_pk(request, "message")
    message = services.message_mark_read(user=request.user, message_id=pk)
    if (
        message is not None
        and request.POST.get("open")
        and message.link
        and url_has_allowed_host_and_scheme(message.link, allowed_hosts={request.get_host()})
    ):
        return redirect(message.link)
    return redirect("notices:inbox")


@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    if (denied := _login_required(request)) is not None:
        return denied
    services.messages_mark_all_read(user=request.user)
    return redirect("notices:inbox")


class MailFailuresView(PermissionRequiredMixin, ListView):
    """未送达邮件: mail that failed at least once, for the system administrator."""

    permission_required = "notices.view_mail_failures"
    raise_exception = True
    template_name = "notices/mail_failures.html"
    context_object_name = "mails"
    paginate_by = 50

    def get_queryset(self) -> Any:
        return selectors.mail_with_errors()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(max_attempts=MAX_ATTEMPTS, **kwargs)
