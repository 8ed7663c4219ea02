from django.contrib import admin
from django.http import HttpRequest

from alerts.models import Authorization, BaselineMetric, Tool, ToolIdentifier


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
