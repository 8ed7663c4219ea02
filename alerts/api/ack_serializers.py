"""Shapes of acknowledgements and the inbox (SPEC Appendix A)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from alerts.api.reliance_serializers import RelianceReviewSerializer
from alerts.choices import AckState, RelianceDecision


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would quietly turn `0` or `true` into text."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class AckHistorySerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=AckState.choices)
    at = serializers.DateTimeField()
    by = serializers.CharField()
    comment = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField(help_text="The revision this entry answered.")
    decision = serializers.ChoiceField(choices=RelianceDecision.choices, allow_null=True,
                                       help_text="The reliance decision after this change.")
    rationale = serializers.CharField(allow_blank=True, help_text="The rationale after this change.")


class AckPreviousSerializer(serializers.Serializer[Any]):
    """The member's last answer to an earlier revision, kept readable after a material amendment."""

    revision = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AckState.choices)
    decision = serializers.ChoiceField(choices=RelianceDecision.choices, allow_null=True)
    rationale = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class AcknowledgementSerializer(serializers.Serializer[Any]):
    alert = serializers.UUIDField()
    member = serializers.CharField()
    revision = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AckState.choices, allow_null=True)
    requested = serializers.BooleanField()
    requested_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    decision = serializers.ChoiceField(choices=RelianceDecision.choices, allow_null=True)
    rationale = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    previous = AckPreviousSerializer(
        allow_null=True, help_text="The last answer to an earlier revision (after a material amendment), or null."
    )
    history = AckHistorySerializer(many=True)


class AcknowledgeSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=AckState.choices)
    comment = StrictCharField(max_length=10000, required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=RelianceDecision.choices, required=False, allow_null=True)
    rationale = StrictCharField(
        max_length=10000, required=False, allow_blank=True, help_text="Required for `adapt` and `decline`."
    )


class DeadlineExtensionSerializer(serializers.Serializer[Any]):
    member = StrictCharField(max_length=16, help_text="The member whose deadline changes.")
    deadline = serializers.DateTimeField(help_text="The new, later deadline (ISO 8601 with time zone).")


class AckSummarySerializer(serializers.Serializer[Any]):
    audience = serializers.IntegerField()
    requested = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    acted = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    overdue = serializers.IntegerField()


class InboxAcknowledgementSerializer(AcknowledgementSerializer):
    """The acknowledgement of an inbox item: it names the alert or, for a report, the report."""

    alert = serializers.UUIDField(required=False, help_text="For an alert.")
    report = serializers.UUIDField(required=False, help_text="For a performance report.")


class InboxItemSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=[("alert", "alert"), ("report", "report"), ("reliance_review", "reliance_review"),
                 ("request", "request")],
        help_text="On the first page, `reliance_review` items (open reliance reviews of your member, most urgent "
        "first; they carry `review`) come first, then `request` items (requests awaiting your member's answer; "
        "they carry `request` and `due`), then alerts and reports.",
    )
    id = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    severity = serializers.CharField(allow_null=True)
    alert_type = serializers.CharField(allow_null=True)
    publisher = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    acknowledgement = InboxAcknowledgementSerializer(
        required=False, allow_null=True, help_text="For alerts and reports; null for a request.",
    )
    review = RelianceReviewSerializer(required=False)
    due = serializers.DateField(required=False, help_text="kind `request`: the date the answer is due.")
    request = serializers.DictField(
        required=False, help_text="kind `request`: the request as `/api/v1/requests/{id}/` shows it.",
    )
