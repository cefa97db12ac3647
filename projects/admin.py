from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyModelAdmin
from core.exports import XlsxExportMixin

from .models import (
    Acceptance,
    AcceptanceSpending,
    Application,
    ApplicationBudgetItem,
    ApplicationFunding,
    ApprovalCut,
    Attachment,
    BudgetChange,
    ChangeRequest,
    ClosingSurplus,
    Contract,
    ContractBudgetItem,
    ContractIndicator,
    ContractSubsidy,
    ContractVersion,
    ExtensionRule,
    IndicatorActual,
    InterestCertificate,
    Loan,
    MidtermCheck,
    MidtermFinding,
    Notice,
    Objection,
    ProgressReport,
    RecommendationEntry,
    RecommendationList,
    ReminderSent,
    Spending,
    TeamMember,
    Tranche,
    TransitionLog,
)
from .resources import ApplicationResource


class TransitionInline(admin.TabularInline):
    model = TransitionLog
    extra = 0
    can_delete = False
    fields = ("at", "step", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields

    @admin.display(description=_("action"))
    def step(self, obj: TransitionLog) -> str:
        return obj.get_transition_display()  # the word, not the code kept in the row

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("projects.view_transitionlog")


@admin.register(Application)
class ApplicationAdmin(XlsxExportMixin, ReadOnlyModelAdmin):
    resource_classes = [ApplicationResource]
    list_display = ("number", "title", "category", "district", "status", "amount_requested_fen")
    list_filter = ("status", "call", "category")
    search_fields = ("number", "title", "organisation__name", "person__name")
    inlines = [TransitionInline]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyModelAdmin):
    list_display = ("title", "level", "unit", "starts_on", "ends_on")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyModelAdmin):
    list_display = ("notice", "application", "name", "status", "filed_at")
    list_filter = ("status",)


@admin.register(RecommendationList)
class RecommendationListAdmin(ReadOnlyModelAdmin):
    list_display = ("pk", "call", "district", "status", "cosigned_by", "submitted_at")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyModelAdmin):
    list_display = ("original_name", "application", "kind", "size", "uploaded_at")
    exclude = ("file",)


# Records written only by the services: read-only in the admin (admin and auditors read).
for _model in (
    ApplicationFunding,
    ApplicationBudgetItem,
    TransitionLog,
    RecommendationEntry,
    Contract,
    ContractIndicator,
    ContractBudgetItem,
    Tranche,
    ProgressReport,
    IndicatorActual,
    Spending,
    BudgetChange,
    Acceptance,
    ReminderSent,
    ChangeRequest,
    ContractVersion,
    ExtensionRule,
    MidtermCheck,
    MidtermFinding,
    Loan,
    ApprovalCut,
    ContractSubsidy,
    InterestCertificate,
    AcceptanceSpending,
    ClosingSurplus,
):
    admin.site.register(_model, ReadOnlyModelAdmin)


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyModelAdmin):
    list_display = ("application", "person", "kind", "title", "duty", "order")
    list_filter = ("kind",)
    search_fields = ("application__number", "person__name")
