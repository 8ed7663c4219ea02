"""Shapes of reliance reviews and decisions (SPEC Appendix B); reviews render through `alerts.payloads`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from alerts.choices import AuthorizationStatus, ReviewOutcome, ReviewStatus


class ReviewAuthorizationSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    tool = serializers.UUIDField()
    jurisdiction = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)


class ReviewReferenceSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    jurisdiction = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)


class ReviewTriggerSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["alert", "authorisation_change"])
    alert = serializers.UUIDField(required=False, help_text="kind `alert`: the alert")
    revision = serializers.IntegerField(required=False, help_text="kind `alert`: its revision")
    from_ = serializers.CharField(required=False, help_text="kind `authorisation_change`: the old status")
    to = serializers.CharField(required=False, help_text="kind `authorisation_change`: the new status")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RelianceReviewSerializer(serializers.Serializer[Any]):
    """A reliance review: the relying authorisation, its reference, the trigger, the deadline and the decision."""

    id = serializers.UUIDField()
    authorization = ReviewAuthorizationSerializer(help_text="The relying authorisation under review.")
    relying_member = serializers.CharField()
    reference_member = serializers.CharField()
    reference_authorization = ReviewReferenceSerializer()
    trigger = ReviewTriggerSerializer()
    opened_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices, allow_null=True)
    rationale = serializers.CharField(allow_null=True)
    versions = serializers.CharField(allow_null=True)
    comment = serializers.CharField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class DecisionSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    rationale = serializers.CharField(max_length=5000, allow_blank=True, trim_whitespace=True)
    versions = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
