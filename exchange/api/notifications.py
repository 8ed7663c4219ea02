"""`/api/v1/notifications/`: what the caller's member's subscriptions matched, newest first."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets

from exchange.api.viewsets import MemberScopedMixin
from exchange.choices import Scope
from exchange.models import Member, Notification
from exchange.selectors import notifications_of, one_or_404


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    type = serializers.CharField(source="event.type", read_only=True)
    object_type = serializers.CharField(source="event.object_type", read_only=True)
    object_id = serializers.CharField(source="event.object_id", read_only=True)
    publisher = serializers.CharField(source="event.publisher_code", read_only=True)
    data = serializers.JSONField(  # type: ignore[assignment]
        source="event.payload", read_only=True, help_text="The object, as the event carried it."
    )

    class Meta:
        model = Notification
        fields = (
            "id", "event_id", "sequence", "type", "created_at", "object_type", "object_id", "publisher",
            "subscriptions", "data",
        )
        read_only_fields = fields


class NotificationFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(field_name="event__type")
    object_type = django_filters.CharFilter(field_name="event__object_type")
    object_id = django_filters.CharFilter(field_name="event__object_id")
    after = django_filters.NumberFilter(field_name="sequence", lookup_expr="gt", help_text="Only events after this sequence.")

    class Meta:
        model = Notification
        fields = ("type", "object_type", "object_id")


class NotificationViewSet(
    MemberScopedMixin[Notification], mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Notification],
):
    """What the member's subscriptions matched (every match, whatever the channels), newest first."""

    model = Notification
    serializer_class = NotificationSerializer
    required_scopes = {"list": Scope.READ, "retrieve": Scope.READ}
    filterset_class = NotificationFilter
    cursor_ordering = ("-sequence",)

    def member_queryset(self, member: Member) -> QuerySet[Notification]:
        return notifications_of(member=member)

    def get_object(self) -> Notification:
        return one_or_404(self.get_queryset(), detail="No such notification.", pk=self.kwargs["pk"])
