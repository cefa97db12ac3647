from django.contrib import admin

from core.admin import RulesModelAdmin

from .models import ExpertProfile


@admin.register(ExpertProfile)
class ExpertProfileAdmin(RulesModelAdmin):
    list_display = ("person", "title", "specialties", "load_cap", "active")
    list_filter = ("title", "active")
    search_fields = ("person__name", "specialties")
    autocomplete_fields = ("person",)
