from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from alerts import ack_stats_selectors
from alerts.models import (
    Acknowledgement,
    AcknowledgementEntry,
    Authorization,
    BaselineMetric,
    Tool,
    ToolIdentifier,
)
from alerts.models.acknowledgements import overdue_q


class IdentifierInline(admin.TabularInline[ToolIdentifier, Tool]):
    model = ToolIdentifier
    extra = 0


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin[Tool]):
    list_display = ("name", "manufacturer", "clinical_area", "registered_by", "created_at")
    list_filter = ("clinical_area",)
    search_fields = ("name", "manufacturer")
    inlines = (IdentifierInline,)

    def has_change_permission(self, request: HttpRequest, obj: Tool | None = None) -> bool:
        return False  # registry changes go through the API so that they are audited


class BaselineInline(admin.TabularInline[BaselineMetric, Authorization]):
    model = BaselineMetric
    extra = 0


@admin.register(Authorization)
class AuthorizationAdmin(admin.ModelAdmin[Authorization]):
    list_display = ("tool", "jurisdiction", "reference", "status", "date")
    list_filter = ("jurisdiction", "status")
    inlines = (BaselineInline,)

    def has_change_permission(self, request: HttpRequest, obj: Authorization | None = None) -> bool:
        return False


# --- acknowledgements: read-only, with the network view for the secretariat ------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue now"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Acknowledgement]) -> QuerySet[Acknowledgement]:
        condition = overdue_q(timezone.now())
        if self.value() == "yes":
            return queryset.filter(condition)
        if self.value() == "no":
            return queryset.exclude(condition)
        return queryset


class AcknowledgementEntryInline(admin.TabularInline[AcknowledgementEntry, Acknowledgement]):
    model = AcknowledgementEntry
    extra = 0
    fields = ("at", "revision", "state", "by_email", "comment")
    readonly_fields = fields
    can_delete = False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin[Acknowledgement]):
    """Every member's answers, for network staff: read-only (answers are given by members through the API)."""

    list_display = ("member", "subject", "revision", "state", "requested", "deadline", "is_overdue",
                    "acknowledged_at", "decision")
    list_filter = ("state", "requested", OverdueFilter, "decision", "alert__severity", "member")
    search_fields = ("member__code", "alert__reference", "alert__title")
    list_select_related = ("member", "alert", "report")
    date_hierarchy = "requested_at"
    ordering = ("-requested_at",)
    inlines = (AcknowledgementEntryInline,)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Acknowledgement | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Acknowledgement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Acknowledgement | None = None) -> bool:
        return False

    @admin.display(description="alert or report")
    def subject(self, obj: Acknowledgement) -> str:
        if obj.alert is not None:
            return obj.alert.reference or str(obj.alert.pk)
        return f"report {obj.report_id}"

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, obj: Acknowledgement) -> bool:
        return obj.is_overdue()

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.network_view)
        return [path("network/", view, name="alerts_acknowledgement_network"), *super().get_urls()]

    def network_view(self, request: HttpRequest) -> HttpResponse:
        """Per member and per alert, across the whole network."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        everything = Acknowledgement.objects.all()
        context = {
            **self.admin_site.each_context(request),
            "title": "Acknowledgements across the network",
            "opts": self.model._meta,
            "members": ack_stats_selectors.ack_stats_by_member(acknowledgements=everything),
            "alerts": ack_stats_selectors.ack_stats_by_alert(acknowledgements=everything),
        }
        return TemplateResponse(request, "admin/alerts/acknowledgement/network.html", context)
