from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import RulesModelAdmin

from .identifiers import mask_id_number
from .models import Organisation, OrgUnit, Person, RoleMembership, User


@admin.register(OrgUnit)
class OrgUnitAdmin(RulesModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)


@admin.register(Organisation)
class OrganisationAdmin(RulesModelAdmin):
    list_display = ("name", "credit_code", "org_type", "region", "contact_name")
    list_filter = ("org_type", "region")
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("region",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Person)
class PersonAdmin(RulesModelAdmin):
    list_display = ("name", "id_number_display", "organisation", "region")
    search_fields = ("name",)
    autocomplete_fields = ("organisation", "region")

    @admin.display(description=_("ID card number"))
    def id_number_display(self, obj: Person) -> str:
        request = getattr(self, "_request", None)
        if request is not None and request.user.has_perm("accounts.view_full_id_number"):
            return obj.id_number
        return mask_id_number(obj.id_number)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        self._request = request
        return super().changelist_view(request, extra_context)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("accounts.view_full_id_number"):
            fields.remove("id_number")
        return fields


class MembershipInline(admin.TabularInline):
    model = RoleMembership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("org_unit", "organisation")
    readonly_fields = ("granted_at", "granted_by")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.view_rolemembership")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.add_rolemembership")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.change_rolemembership")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.delete_rolemembership")


@admin.register(User)
class UserAdmin(RulesModelAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "email", "is_active", "last_login")
    list_filter = ("is_active",)
    search_fields = ("username", "full_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "person")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")},
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    autocomplete_fields = ("person",)
    inlines = [MembershipInline]


@admin.register(RoleMembership)
class RoleMembershipAdmin(RulesModelAdmin):
    list_display = ("user", "role", "org_unit", "organisation", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name")
    autocomplete_fields = ("user", "org_unit", "organisation")
    readonly_fields = ("granted_at", "granted_by")

    def save_model(
        self, request: HttpRequest, obj: RoleMembership, form: Any, change: bool
    ) -> None:
        if not change:
            obj.granted_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
