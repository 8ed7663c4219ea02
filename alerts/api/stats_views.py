"""The network view for a publisher: how each member answers what the caller's member published."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.ack_stats_selectors import ack_stats_for_publisher
from exchange.permissions import request_member


class AckStatsQuerySerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=[("alert", "alert"), ("report", "report")], required=False,
        help_text="Only acknowledgements of alerts, or of reports (default: both).",
    )
    published_after = serializers.DateTimeField(
        required=False, help_text="Only what was published at or after this time (ISO 8601)."
    )
    published_before = serializers.DateTimeField(
        required=False, help_text="Only what was published before this time (ISO 8601)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("published_after"), attrs.get("published_before")
        if after is not None and before is not None and before <= after:
            raise serializers.ValidationError({"published_before": ["must be later than published_after"]})
        return attrs


class MemberAckStatsSerializer(serializers.Serializer[Any]):
    member = serializers.CharField(help_text="The answering member's code.")
    name = serializers.CharField()
    requested = serializers.IntegerField(help_text="Acknowledgements requested from the member.")
    acknowledged = serializers.IntegerField(help_text="Answered (any state), requested or not.")
    acted = serializers.IntegerField(help_text="Answered `action_taken`.")
    not_applicable = serializers.IntegerField(help_text="Answered `not_applicable`.")
    overdue = serializers.IntegerField(help_text="Requested, past the deadline and not complete, now.")
    median_hours_to_acknowledge = serializers.FloatField(
        allow_null=True, help_text="Median hours from the request to the first answer (null: none answered)."
    )


AckStatsListSerializer = inline_serializer(
    name="AcknowledgementStatsList",
    fields={
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": MemberAckStatsSerializer(many=True),
    },
)


class AcknowledgementStatsView(APIView):
    """Per answering member, on the alerts and reports the caller's member published (one row per member)."""

    @extend_schema(operation_id="acknowledgement_stats_list", parameters=[AckStatsQuerySerializer],
                   responses=AckStatsListSerializer)
    def get(self, request: Request) -> Response:
        # A plain dict, not the QueryDict: DRF would skip an empty `?published_after=` as if absent.
        query = AckStatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = ack_stats_for_publisher(member=request_member(request), **query.validated_data)
        return Response({"next": None, "previous": None, "results": [row.as_dict() for row in rows]})
