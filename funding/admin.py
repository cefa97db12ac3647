from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from core.admin import RulesModelAdmin

from . import services
from .models import (
    CalendarDay,
    CalendarYear,
    Call,
    Category,
    Debarment,
    DistrictStatistic,
    EligibilityRule,
    Programme,
    Quota,
    QuotaCut,
)


@admin.register(Programme)
class ProgrammeAdmin(RulesModelAdmin):
    list_display = ("code", "name", "flow", "owner_unit", "active")
    list_filter = ("flow", "active")


class RuleInline(admin.TabularInline):
    model = EligibilityRule
    extra = 0
    fields = ("order", "fact", "operator", "value", "message")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("funding.view_eligibilityrule")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("funding.add_eligibilityrule")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("funding.change_eligibilityrule")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("funding.delete_eligibilityrule")


@admin.register(Category)
class CategoryAdmin(RulesModelAdmin):
    list_display = ("name", "code", "programme", "applicant_kind", "order")
    list_filter = ("programme",)
    inlines = [RuleInline]


@admin.register(Call)
class CallAdmin(RulesModelAdmin):
    list_display = (
        "title",
        "programme",
        "year",
        "opens_on",
        "closes_on",
        "district_deadline",
        "status",
    )
    list_filter = ("programme", "year", "status")
    readonly_fields = ("status",)
    filter_horizontal = ("categories",)
    actions = ["open_calls", "close_calls"]

    @admin.action(description=_("Open the selected calls"))
    def open_calls(self, request: HttpRequest, queryset: Any) -> None:
        self._run(request, queryset, services.call_open)

    @admin.action(description=_("Close the selected calls"))
    def close_calls(self, request: HttpRequest, queryset: Any) -> None:
        self._run(request, queryset, services.call_close)

    def _run(self, request: HttpRequest, queryset: Any, service: Any) -> None:
        for call in queryset:
            try:
                with transaction.atomic():
                    service(call=call, actor=request.user)
            except TransitionNotAllowed:
                self.message_user(
                    request,
                    _("%(call)s: not possible from “%(s)s”.")
                    % {"call": call, "s": call.get_status_display()},
                    messages.ERROR,
                )


@admin.register(Quota)
class QuotaAdmin(RulesModelAdmin):
    list_display = ("call", "district", "category", "max_count", "max_amount_fen", "cut_note")
    list_filter = ("call", "district")


@admin.register(Debarment)
class DebarmentAdmin(RulesModelAdmin):
    list_display = ("__str__", "reason", "starts_on", "ends_on", "source")
    readonly_fields = ("created_by", "created_at")


@admin.register(DistrictStatistic)
class DistrictStatisticAdmin(RulesModelAdmin):
    list_display = ("district", "year", "farmer_avg_income")


@admin.register(CalendarDay)
class CalendarDayAdmin(RulesModelAdmin):
    list_display = ("date", "kind", "note")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(RulesModelAdmin):
    list_display = ("year", "note")


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(RulesModelAdmin):
    list_display = ("category", "fact", "operator", "value", "message")
    list_filter = ("category__programme", "category")


@admin.register(QuotaCut)
class QuotaCutAdmin(RulesModelAdmin):
    list_display = ("programme", "district", "year", "pct", "reason", "source")
