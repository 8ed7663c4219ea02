"""Django admin for network staff: admit and suspend members, manage people; every change audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from exchange.choices import MemberStatus
from exchange.models import (
    ApiToken,
    AuditEntry,
    Delivery,
    DeliveryAttempt,
    Event,
    Member,
    Notification,
    Subscription,
    User,
    WebhookEndpoint,
)
from exchange.services.members import member_create, member_update, user_create, user_update
from exchange.services.tokens import token_revoke


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin[Member]):
    list_display = ("code", "name", "country", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("code", "name")
    actions = ("suspend", "reinstate")

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> Any:
        return ("code", "created_at") if obj else ("created_at",)

    def save_model(self, request: HttpRequest, obj: Member, form: Any, change: bool) -> None:
        if change:
            changes = {f: getattr(obj, f) for f in form.changed_data if f in {"name", "country", "status"}}
            member_update(actor=request.user, member=obj, **changes)  # type: ignore[arg-type]
        else:
            created = member_create(actor=request.user, code=obj.code, name=obj.name, country=obj.country)  # type: ignore[arg-type]
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Member | None = None) -> bool:
        return False  # a member's data stays: suspend instead

    @admin.action(description="Suspend the selected members")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Member]) -> None:
        for member in queryset:
            member_update(actor=request.user, member=member, status=MemberStatus.SUSPENDED)  # type: ignore[arg-type]
        messages.success(request, f"Suspended {queryset.count()} member(s).")

    @admin.action(description="Reinstate the selected members")
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Member]) -> None:
        for member in queryset:
            member_update(actor=request.user, member=member, status=MemberStatus.ACTIVE)  # type: ignore[arg-type]
        messages.success(request, f"Reinstated {queryset.count()} member(s).")


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ("email", "member", "role", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff", "member")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "member", "role", "is_active", "is_staff", "last_login", "date_joined")
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        base = ("last_login", "date_joined")
        return (*base, "email", "member", "is_staff") if obj else base

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change:
            changes = {f: getattr(obj, f) for f in form.changed_data if f in {"full_name", "role", "is_active"}}
            user_update(actor=request.user, user=obj, **changes)  # type: ignore[arg-type]
        else:
            created = user_create(
                actor=request.user, email=obj.email, member=obj.member, role=obj.role,  # type: ignore[arg-type]
                full_name=obj.full_name, is_staff=obj.is_staff,
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("key_prefix", "name", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("key_prefix", "name", "user__email")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "key_hash"]
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by member admins or `manage.py issue_token`

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_email", "member_code", "action", "object_type", "object_id")
    list_filter = ("action", "object_type", "member_code")
    search_fields = ("object_id", "actor_email", "action")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "type", "created_at", "audience_kind", "publisher_code", "dispatched_at")
    list_filter = ("type", "audience_kind")


# --- Fan-out: read-only for network staff; members manage these through the API and portal -----------


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("name", "member", "active", "event_types", "min_severity", "created_at")
    list_filter = ("active", "member")
    search_fields = ("name", "member__code")
    exclude = ("event_type_mask", "term_mask", "min_severity_rank")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "member", "enabled", "disabled_reason", "failing_since", "created_at")
    list_filter = ("enabled", "member")
    search_fields = ("url", "description", "member__code")
    exclude = ("secret", "previous_secret")  # signing secrets are the member's, not the secretariat's


class DeliveryAttemptInline(admin.TabularInline[DeliveryAttempt, Delivery]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "member", "endpoint", "email", "state", "attempt_count", "next_attempt_at", "created_at")
    list_filter = ("state", "channel", "member")
    search_fields = ("id", "email", "endpoint__url", "event__id")
    list_select_related = ("member", "endpoint")
    raw_id_fields = ("event", "endpoint")
    inlines = (DeliveryAttemptInline,)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "member", "event", "created_at")
    list_filter = ("member",)
    raw_id_fields = ("event",)
