"""The Django admin of the funding app.

Programmes, calls, categories, eligibility rules, quota cuts, district statistics and
the trail are read-only here: their pages (funding/views.py, for the city officer of the
programme's region) change them through the services, which keep the rules and write
the trail. Quotas may still be typed in here, but the save goes through
``services.quota_set``, so a registered cut (名额核减) applies whichever door is used.
Debarments and the holiday calendar are kept here as before.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.http import actor_of
from core.admin import ReadOnlyModelAdmin, RulesModelAdmin

from . import services
from .models import (
    CalendarDay,
    CalendarYear,
    Call,
    Category,
    ConfigChange,
    Debarment,
    DistrictStatistic,
    EligibilityRule,
    Programme,
    Quota,
    QuotaCut,
)


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "flow", "owner_unit", "active")
    list_filter = ("flow", "active")


class RuleInline(admin.TabularInline):
    model = EligibilityRule
    extra = 0
    fields = ("order", "fact", "operator", "value", "message")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("funding.view_eligibilityrule")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "programme", "applicant_kind", "order")
    list_filter = ("programme",)
    inlines = [RuleInline]


@admin.register(Call)
class CallAdmin(ReadOnlyModelAdmin):
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


class QuotaAdminForm(forms.ModelForm):
    # bounded as the quota grid bounds them (the service bounds the amount again)
    allotted_count = forms.IntegerField(
        label=Quota._meta.get_field("allotted_count").verbose_name, min_value=0, max_value=10000
    )

    class Meta:
        model = Quota
        fields = ("call", "district", "category", "allotted_count", "allotted_amount_fen")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        call = data.get("call") or getattr(self.instance, "call", None)
        district = data.get("district") or getattr(self.instance, "district", None)
        category = data.get("category") or getattr(self.instance, "category", None)
        if call and district and category:
            refusal = services.quota_refusal(call=call, district=district, category=category)
            if refusal:
                raise forms.ValidationError(refusal)
        return data


@admin.register(Quota)
class QuotaAdmin(RulesModelAdmin):
    """Saves through ``services.quota_set``: the allotment typed here, less the cuts
    registered for the district and year, is what the district may recommend."""

    form = QuotaAdminForm
    list_display = (
        "call",
        "district",
        "category",
        "allotted_count",
        "max_count",
        "allotted_amount_fen",
        "max_amount_fen",
        "cut_note",
    )
    list_filter = ("call", "district")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        after_cuts = ("max_count", "max_amount_fen", "cut_note")
        if obj is None:
            return after_cuts
        return ("call", "district", "category", *after_cuts)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Quota, form: Any, change: bool) -> None:
        quota = services.quota_set(
            call=obj.call,
            district=obj.district,
            category=obj.category,
            max_count=obj.allotted_count,
            max_amount_fen=obj.allotted_amount_fen,
            actor=actor_of(request),
        )
        obj.pk = quota.pk
        obj.max_count, obj.max_amount_fen, obj.cut_note = (
            quota.max_count,
            quota.max_amount_fen,
            quota.cut_note,
        )


@admin.register(Debarment)
class DebarmentAdmin(RulesModelAdmin):
    list_display = ("__str__", "reason", "starts_on", "ends_on", "source")
    readonly_fields = ("created_by", "created_at")


@admin.register(DistrictStatistic)
class DistrictStatisticAdmin(ReadOnlyModelAdmin):
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
class EligibilityRuleAdmin(ReadOnlyModelAdmin):
    list_display = ("category", "fact", "operator", "value", "message")
    list_filter = ("category__programme", "category")


@admin.register(QuotaCut)
class QuotaCutAdmin(ReadOnlyModelAdmin):
    list_display = ("programme", "district", "year", "pct", "reason", "source")


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "subject", "subject_name", "action", "actor")
    list_filter = ("subject", "action")
