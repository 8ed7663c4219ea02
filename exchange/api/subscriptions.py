"""`/api/v1/subscriptions/`: the caller's member's subscriptions (SPEC §2, Appendix A)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from exchange.api.serializers import TypedString, TypedStrings
from exchange.api.viewsets import CreateListRetrieveViewSet, MemberScopedMixin
from exchange.choices import EVENT_TYPE_BITS, Scope
from exchange.models import Member, Subscription
from exchange.permissions import request_member, request_user
from exchange.selectors import subscriptions_of
from exchange.services.subscription_rules import (
    MAX_EMAIL_RECIPIENTS,
    MAX_FILTER_VALUES,
    MAX_VALUE_LENGTH,
    NAME_MAX_LENGTH,
    SUBSCRIBABLE_EVENT_TYPES,
)
from exchange.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_get,
    subscription_update,
)
from exchange.vocabularies import ALERT_TYPES, SEVERITIES


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    webhook_endpoints = serializers.SerializerMethodField()
    member = serializers.CharField(source="member.code", read_only=True)

    class Meta:
        model = Subscription
        fields = (
            "id", "member", "name", "active", "event_types", "alert_types", "min_severity", "tools",
            "manufacturers", "clinical_areas", "jurisdictions", "publishers", "authorised_in_my_jurisdiction",
            "webhook_endpoints", "email_recipients", "created_at", "updated_at",
        )
        read_only_fields = fields

    def get_webhook_endpoints(self, subscription: Subscription) -> list[str]:
        return sorted(str(link.endpoint_id) for link in subscription.endpoint_links.all())


def _strings(help_text: str, item: serializers.Field[Any, Any, Any, Any], *, max_items: int = MAX_FILTER_VALUES) -> TypedStrings:
    return TypedStrings(shown_as=serializers.ListField(child=item, max_length=max_items, help_text=help_text), required=False)


def _text() -> serializers.CharField:
    return serializers.CharField(max_length=MAX_VALUE_LENGTH)


# The fields only type the body; exchange.services.subscription_rules checks the values and names every
# refused field in the problem's `errors`. The schema shows the values it accepts (`shown_as`).
class SubscriptionWriteSerializer(serializers.Serializer[Any]):
    name = TypedString(shown_as=serializers.CharField(max_length=NAME_MAX_LENGTH))
    active = serializers.BooleanField(required=False, help_text="A paused subscription (false) matches nothing.")
    event_types = _strings(
        "Event types wanted; empty means every type.", serializers.ChoiceField(choices=list(SUBSCRIBABLE_EVENT_TYPES))
    )
    alert_types = _strings(
        "Only alerts of these types; empty means no filter.", serializers.ChoiceField(choices=list(ALERT_TYPES))
    )
    min_severity = TypedString(
        shown_as=serializers.ChoiceField(
            choices=list(SEVERITIES), allow_null=True,
            help_text="Only alerts at least this severe (low < medium < high < critical); null means no filter.",
        ),
        required=False,
    )
    tools = _strings("AI tool ids (UUIDs); empty means no filter.", _text())
    manufacturers = _strings("Manufacturer names (compared ignoring case); empty means no filter.", _text())
    clinical_areas = _strings("Clinical areas (radiology, pathology, …); empty means no filter.", _text())
    jurisdictions = _strings("Affected jurisdictions (ISO 3166-1 alpha-2, or EU); empty means no filter.", _text())
    publishers = _strings("Publishing member codes; empty means no filter.", _text())
    authorised_in_my_jurisdiction = serializers.BooleanField(
        required=False, help_text="Only what concerns a tool authorised in your member's country."
    )
    webhook_endpoints = _strings("Your member's webhook endpoints to deliver to.", serializers.UUIDField())
    email_recipients = _strings("Addresses to e-mail.", serializers.EmailField(), max_items=MAX_EMAIL_RECIPIENTS)


class SubscriptionFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    event_type = django_filters.CharFilter(method="filter_event_type")

    class Meta:
        model = Subscription
        fields = ("active",)

    def filter_event_type(self, queryset: QuerySet[Subscription], name: str, value: str) -> QuerySet[Subscription]:
        """Subscriptions that want this event type (those to every type included)."""
        bit = EVENT_TYPE_BITS.get(value)
        if bit is None:
            return queryset.none()
        return queryset.alias(type_hit=F("event_type_mask").bitand(bit)).filter(Q(event_type_mask=0) | Q(type_hit=bit))


@extend_schema_view(
    create=extend_schema(request=SubscriptionWriteSerializer, responses={201: SubscriptionSerializer}),
    update=extend_schema(request=SubscriptionWriteSerializer, responses=SubscriptionSerializer),
    partial_update=extend_schema(request=SubscriptionWriteSerializer, responses=SubscriptionSerializer),
    destroy=extend_schema(responses={204: None}),
)
class SubscriptionViewSet(MemberScopedMixin[Subscription], CreateListRetrieveViewSet[Subscription]):
    """Subscriptions of the caller's member: what it hears about, and through which channels.

    Every match goes to the member's notifications, and to the subscription's webhook endpoints and
    e-mail recipients. Admins manage them; any member user may read them.
    """

    model = Subscription
    serializer_class = SubscriptionSerializer
    required_scopes = {
        "list": Scope.READ, "retrieve": Scope.READ, "create": Scope.ADMIN, "update": Scope.ADMIN,
        "partial_update": Scope.ADMIN, "destroy": Scope.ADMIN,
    }
    filterset_class = SubscriptionFilter
    search_fields = ("name",)
    cursor_ordering = ("-created_at", "-id")

    def member_queryset(self, member: Member) -> QuerySet[Subscription]:
        return subscriptions_of(member=member)

    def get_object(self) -> Subscription:
        subscription = subscription_get(member=request_member(self.request), subscription_id=self.kwargs["pk"])
        return self.get_queryset().get(pk=subscription.pk)

    def _respond(self, subscription: Subscription, code: int = status.HTTP_200_OK) -> Response:
        return Response(SubscriptionSerializer(self.get_queryset().get(pk=subscription.pk)).data, status=code)

    def create_object(self, request: Request) -> Response:
        form = SubscriptionWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        subscription = subscription_create(
            actor=request_user(request), member=request_member(request), **form.validated_data
        )
        return self._respond(subscription, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = bool(kwargs.get("partial"))
        subscription = self.get_object()
        form = SubscriptionWriteSerializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        # PUT replaces: what is left out returns to its default.
        subscription = subscription_update(
            actor=request_user(request), subscription=subscription, replace=not partial, **form.validated_data
        )
        return self._respond(subscription)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription_delete(actor=request_user(request), subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
