from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyModelAdmin, RulesModelAdmin

from .models import (
    Assignment,
    AssignmentLog,
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

    def _frozen(self, obj: Any) -> bool:
        return obj is not None and obj.is_frozen

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reviews.view_criterion")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reviews.add_criterion") and not self._frozen(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reviews.change_criterion") and not self._frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("reviews.delete_criterion") and not self._frozen(obj)


@admin.register(Rubric)
class RubricAdmin(RulesModelAdmin):
    """A frozen rubric (a score uses it) is read-only; make a new version instead."""

    list_display = ("name", "code", "version", "total_threshold", "frozen_at")
    inlines = [CriterionInline]
    readonly_fields = ("frozen_at",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not (
            obj is not None and obj.is_frozen
        )


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


for _model in (Criterion, PanelItem, Draw, AssignmentLog, Score, ExclusionRequest, SpotCheckItem):
    admin.site.register(_model, ReadOnlyModelAdmin)
