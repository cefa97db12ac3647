from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyModelAdmin, RulesModelAdmin

from .models import (
    Assignment,
    AssignmentLog,
    CallRubric,
    Criterion,
    Draw,
    ExclusionRequest,
    ExpertProfile,
    Panel,
    PanelItem,
    Rubric,
    Score,
    SpotCheck,
    SpotCheckItem,
)


@admin.register(ExpertProfile)
class ExpertProfileAdmin(RulesModelAdmin):
    list_display = ("person", "title", "specialties", "load_cap", "active")
    list_filter = ("title", "active")
    search_fields = ("person__name", "specialties")
    autocomplete_fields = ("person",)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reviews.view_criterion")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rubric)
class RubricAdmin(ReadOnlyModelAdmin):
    """Read-only: rubrics are made and changed on their pages (reviews/rubric_views.py)
    through the services, which keep a frozen rubric frozen and write the trail."""

    list_display = ("name", "code", "version", "owner_unit", "total_threshold", "frozen_at")
    inlines = [CriterionInline]


@admin.register(Panel)
class PanelAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "call", "stage", "status", "deadline")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyModelAdmin):
    list_display = ("panel", "item", "expert", "status", "total")
    list_filter = ("status",)


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyModelAdmin):
    list_display = ("call", "seed", "sample_size", "population", "drawn_at")


for _model in (
    Criterion,
    PanelItem,
    Draw,
    AssignmentLog,
    Score,
    ExclusionRequest,
    SpotCheckItem,
    CallRubric,
):
    admin.site.register(_model, ReadOnlyModelAdmin)

# 专家费: rates, sheets and their lines are read here; they change only through
# reviews.fees (the rate page, the sheet's approval and payment).
from .fee_models import ExpertFeeLine, ExpertFeeRate, ExpertFeeSheet  # noqa: E402


@admin.register(ExpertFeeSheet)
class ExpertFeeSheetAdmin(ReadOnlyModelAdmin):
    list_display = ("panel", "status", "gross_fen", "tax_fen", "net_fen")
    list_filter = ("status",)


admin.site.register(ExpertFeeRate, ReadOnlyModelAdmin)
admin.site.register(ExpertFeeLine, ReadOnlyModelAdmin)
