from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyModelAdmin

from .models import MAX_ATTEMPTS, Message, OutgoingMail, ReminderKey


class MailStateFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return OutgoingMail.State.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        unsent = Q(sent_at__isnull=True)
        conditions = {
            OutgoingMail.State.SENT: Q(sent_at__isnull=False),
            OutgoingMail.State.FAILED: unsent & Q(attempts__gte=MAX_ATTEMPTS),
            OutgoingMail.State.RETRYING: unsent & Q(attempts__gt=0, attempts__lt=MAX_ATTEMPTS),
            OutgoingMail.State.PENDING: unsent & Q(attempts=0),
        }
        value = self.value()
        if value in conditions:
            return queryset.filter(conditions[OutgoingMail.State(value)])
        return queryset


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "recipient", "subject", "attempts", "state_display", "sent_at")
    list_filter = (MailStateFilter, "created_at")
    search_fields = ("recipient", "subject", "last_error")
    date_hierarchy = "created_at"

    @admin.display(description=_("status"))
    def state_display(self, obj: OutgoingMail) -> str:
        return obj.get_state_display()


@admin.register(Message)
class MessageAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "user", "title", "read_at")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "user__username", "user__full_name")
    list_select_related = ("user",)


@admin.register(ReminderKey)
class ReminderKeyAdmin(ReadOnlyModelAdmin):
    list_display = ("key", "created_at")
    search_fields = ("key",)
