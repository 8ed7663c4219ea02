"""`/api/v1/webhook-endpoints/` and `/api/v1/deliveries/` (SPEC §5, Appendix A)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.limits import UtcIsoDateTimeFilter, no_store
from exchange.api.viewsets import CreateListRetrieveViewSet, MemberScopedMixin
from exchange.choices import Channel, DeliveryState, Scope
from exchange.models import Delivery, DeliveryAttempt, Member, WebhookEndpoint
from exchange.permissions import request_member, request_user
from exchange.selectors import deliveries_of, endpoints_of
from exchange.services.deliveries import deliveries_recover, delivery_get, delivery_redeliver
from exchange.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_get,
    endpoint_rotate_secret,
    endpoint_test,
    endpoint_update,
)


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    member = serializers.CharField(source="member.code", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id", "member", "url", "description", "enabled", "disabled_reason", "disabled_at",
            "previous_secret_expires_at", "failing_since", "created_at", "updated_at",
        )
        read_only_fields = fields
        extra_kwargs = {
            "previous_secret_expires_at": {"help_text": "Until then the previous secret also signs."},
        }


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """Only the creating and the rotating response carry the secret (like a token: shown once)."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields: tuple[str, ...] = (  # type: ignore[assignment]
            *WebhookEndpointSerializer.Meta.fields[:4], "secret", *WebhookEndpointSerializer.Meta.fields[4:]
        )
        read_only_fields = fields  # type: ignore[assignment]
        extra_kwargs = {
            **WebhookEndpointSerializer.Meta.extra_kwargs,
            "secret": {"help_text": "Verify signatures with it (whsec_…); shown here and on rotation only."},
        }


class WebhookEndpointCreateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(max_length=2000, help_text="https URL of a public address.")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class WebhookEndpointUpdateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(max_length=2000, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, help_text="Set true to enable a disabled endpoint again.")


class RecoverSerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(help_text="Re-send every failed delivery created at or after this time.")


class DeliveryAttemptSerializer(serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ("at", "status_code", "duration_ms", "error", "response_body")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    event_type = serializers.CharField(read_only=True)
    event_sequence = serializers.IntegerField(read_only=True)
    attempts = DeliveryAttemptSerializer(many=True, read_only=True)
    webhook_id = serializers.SerializerMethodField(help_text="The `webhook-id` header: the same on every attempt.")

    class Meta:
        model = Delivery
        fields = (
            "id", "event_id", "event_type", "event_sequence", "endpoint", "channel", "email", "state",
            "attempts", "next_attempt_at", "attempt_count", "webhook_id", "created_at", "last_attempt_at",
            "succeeded_at",
        )
        read_only_fields = fields

    def get_webhook_id(self, delivery: Delivery) -> str:
        return delivery.webhook_id


class DeliveryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=DeliveryState.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    endpoint = django_filters.UUIDFilter(field_name="endpoint_id")
    event = django_filters.UUIDFilter(field_name="event_id")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ("state", "channel", "endpoint", "event")


_recovered = inline_serializer(
    name="WebhookEndpointRecovered",
    fields={
        "endpoint": WebhookEndpointSerializer(),
        "recovered": serializers.IntegerField(help_text="How many failed deliveries are being re-sent."),
    },
)


@extend_schema_view(
    create=extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointWithSecretSerializer}),
    partial_update=extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer),
    destroy=extend_schema(responses={204: None}),
    rotate_secret=extend_schema(request=None, responses=WebhookEndpointWithSecretSerializer),
    test=extend_schema(request=None, responses=DeliverySerializer),
    deliveries=extend_schema(responses=DeliverySerializer(many=True), filters=True),
    recover=extend_schema(request=RecoverSerializer, responses=_recovered),
)
class WebhookEndpointViewSet(MemberScopedMixin[WebhookEndpoint], CreateListRetrieveViewSet[WebhookEndpoint]):
    """Webhook endpoints of the caller's member (admins only: the answers carry the signing secret)."""

    model = WebhookEndpoint
    serializer_class = WebhookEndpointSerializer
    required_scopes = {
        "list": Scope.ADMIN, "retrieve": Scope.ADMIN, "create": Scope.ADMIN, "partial_update": Scope.ADMIN,
        "destroy": Scope.ADMIN, "rotate_secret": Scope.ADMIN, "test": Scope.ADMIN, "recover": Scope.ADMIN,
        "deliveries": Scope.READ,
    }
    search_fields = ("url", "description")
    query_parameters: tuple[str, ...] = ()
    cursor_ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    idempotency_redact = ("secret",)

    def member_queryset(self, member: Member) -> QuerySet[WebhookEndpoint]:
        return endpoints_of(member=member)

    def get_object(self) -> WebhookEndpoint:
        return endpoint_get(member=request_member(self.request), endpoint_id=self.kwargs["pk"])

    def get_serializer_class(self) -> Any:
        return DeliverySerializer if self.action == "deliveries" else WebhookEndpointSerializer

    def create_object(self, request: Request) -> Response:
        form = WebhookEndpointCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = endpoint_create(actor=request_user(request), member=request_member(request), **form.validated_data)
        return no_store(Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        form = WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        endpoint = endpoint_update(actor=request_user(request), endpoint=endpoint, **form.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint_delete(actor=request_user(request), endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = endpoint_rotate_secret(actor=request_user(request), endpoint=self.get_object())
        return no_store(Response(WebhookEndpointWithSecretSerializer(endpoint).data))

    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        delivery = endpoint_test(actor=request_user(request), endpoint=self.get_object())
        return Response(DeliverySerializer(deliveries_of(member=delivery.member_id).get(pk=delivery.pk)).data)

    @action(detail=True, methods=["get"], query_parameters=tuple(DeliveryFilter.base_filters), search_fields=())
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        # This action lists deliveries, not endpoints: DeliveryFilter, not the endpoints' filters.
        deliveries = deliveries_of(member=endpoint.member_id).filter(endpoint=endpoint)
        page = self.paginate_queryset(DeliveryFilter(request.query_params, queryset=deliveries, request=request).qs)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @action(detail=True, methods=["post"])
    def recover(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        form = RecoverSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        count = deliveries_recover(actor=request_user(request), endpoint=endpoint, since=form.validated_data["since"])
        endpoint.refresh_from_db()
        return Response({"endpoint": WebhookEndpointSerializer(endpoint).data, "recovered": count})


@extend_schema_view(redeliver=extend_schema(request=None, responses=DeliverySerializer))
class DeliveryViewSet(
    MemberScopedMixin[Delivery], mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Delivery]
):
    """Every message of the caller's member's deliveries (webhooks and e-mails), newest first."""

    model = Delivery
    serializer_class = DeliverySerializer
    required_scopes = {"list": Scope.READ, "retrieve": Scope.READ, "redeliver": Scope.ADMIN}
    filterset_class = DeliveryFilter
    cursor_ordering = ("-created_at", "-id")

    def member_queryset(self, member: Member) -> QuerySet[Delivery]:
        return deliveries_of(member=member)

    def get_object(self) -> Delivery:
        delivery = delivery_get(member=request_member(self.request), delivery_id=self.kwargs["pk"])
        return self.get_queryset().get(pk=delivery.pk)

    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        delivery = delivery_redeliver(actor=request_user(request), delivery=self.get_object())
        return Response(DeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data)
