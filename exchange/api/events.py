"""The events feed: `GET /api/v1/events/?after=<sequence>&limit=<n>` in ascending sequence.

`sequence` is the event's number in the caller's member's own feed (1, 2, 3 … without gaps),
allocated under the chain lock and visible in order: a reader that resumes after the last sequence it
saw never misses an event, and a gap means one it missed.
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
from exchange.links import absolute_url
from exchange.models import Event, FeedEntry
from exchange.permissions import request_member
from exchange.selectors import feed_of

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def event_data(event: Event, sequence: int) -> dict[str, Any]:
    """What `data` carries, in the feed as in webhooks: event id, the member's sequence and the object."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    return {"event_id": str(event.pk), "sequence": sequence, **{k: v for k, v in payload.items() if k not in ("event_id", "sequence")}}


class EventSerializer(serializers.Serializer[Any]):
    """One entry of a member's feed: the event, numbered in that member's feed."""

    id = serializers.UUIDField(source="event.id")
    sequence = serializers.IntegerField(help_text="The event's number in your member's feed: 1, 2, 3 … without gaps.")
    type = serializers.CharField(source="event.type")
    created_at = serializers.DateTimeField(source="event.created_at")
    data = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_data(self, entry: FeedEntry) -> dict[str, Any]:
        return event_data(entry.event, entry.sequence)


class EventPageSerializer(serializers.Serializer[Any]):
    results = EventSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Ask this to continue; null when caught up.")
    last_sequence = serializers.IntegerField(help_text="Pass as `after` next time.")


class QuerySerializer(serializers.Serializer[Any]):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, default=DEFAULT_LIMIT)
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
        events = feed_of(member=request_member(request)).filter(sequence__gt=after)
        if "type" in query.validated_data:
            events = events.filter(event__type=query.validated_data["type"])
        page = list(events.order_by("sequence")[:limit])
        last = page[-1].sequence if page else after
        next_url = None
        if len(page) == limit:
            next_url = replace_query_param(absolute_url(request.get_full_path()), "after", last)
        return Response({
            "results": EventSerializer(page, many=True).data,
            "next": next_url,
            "last_sequence": last,
        })

