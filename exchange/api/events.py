"""The events feed: `GET /api/v1/events/?after=<sequence>&limit=<n>` in ascending sequence.

Sequences are allocated under the chain lock and become visible in order, so a reader that
resumes after the last sequence it saw never misses an event.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from config.query import query_parameters_check
from exchange.models import Event
from exchange.permissions import request_member
from exchange.selectors import events_visible_to

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def event_data(event: Event) -> dict[str, Any]:
    """What `data` carries, in the feed as in webhooks: event id, sequence and the object."""
    return {"event_id": str(event.pk), "sequence": event.sequence, **(event.payload or {})}


class EventSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    sequence = serializers.IntegerField()
    type = serializers.CharField()
    created_at = serializers.DateTimeField()
    data = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_data(self, event: Event) -> dict[str, Any]:
        return event_data(event)


class EventPageSerializer(serializers.Serializer[Any]):
    results = EventSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Ask this to continue; null when caught up.")
    last_sequence = serializers.IntegerField(help_text="Pass as `after` next time.")


class QuerySerializer(serializers.Serializer[Any]):
    after = serializers.IntegerField(min_value=0, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, required=False, default=DEFAULT_LIMIT)
    type = serializers.CharField(required=False, max_length=64)


class EventFeedView(APIView):
    query_parameters = ("after", "limit", "type")

    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Return events with a sequence above this."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most this many (clamped to {MAX_LIMIT})."),
            OpenApiParameter("type", OpenApiTypes.STR, description="Only events of this type."),
        ],
        responses=EventPageSerializer,
    )
    def get(self, request: Request) -> Response:
        query_parameters_check(request, self)
        query = QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after: int = query.validated_data["after"]
        limit: int = min(query.validated_data["limit"], MAX_LIMIT)
        events = events_visible_to(member=request_member(request)).filter(sequence__gt=after)
        if "type" in query.validated_data:
            events = events.filter(type=query.validated_data["type"])
        page = list(events.order_by("sequence")[:limit])
        last = page[-1].sequence if page else after
        next_url = None
        if len(page) == limit:
            next_url = replace_query_param(request.build_absolute_uri(), "after", last)
        return Response({
            "results": EventSerializer(page, many=True).data,
            "next": next_url,
            "last_sequence": last,
        })

