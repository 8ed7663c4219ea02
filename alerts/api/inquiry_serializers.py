"""Information requests in the API (SPEC Appendix B): input checks and the shapes the schema shows.

The JSON of a request is `alerts.inquiry_payloads.inquiry_payload`'s; these serializers describe it.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from alerts.api.alert_serializers import SignatureSerializer
from alerts.models import Confidentiality, InquiryStatus, SubjectKind
from alerts.services.inquiries import ADDRESSEES_MAX, TEXT_MAX


class InquirySubjectInputSerializer(serializers.Serializer[Any]):
    """Exactly one of `alert`, `report`, `signal`, `tool`: the id of what the question is about."""

    alert = serializers.CharField(max_length=64, required=False)
    report = serializers.CharField(max_length=64, required=False)
    signal = serializers.CharField(max_length=64, required=False)
    tool = serializers.CharField(max_length=64, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) != 1:
            raise serializers.ValidationError(f"name exactly one of {', '.join(SubjectKind.values)}")
        return attrs


class InquiryInputSerializer(serializers.Serializer[Any]):
    subject = InquirySubjectInputSerializer()
    to = serializers.ListField(child=serializers.CharField(max_length=16), min_length=1, max_length=ADDRESSEES_MAX)
    question = serializers.CharField(max_length=TEXT_MAX)
    due = serializers.DateField(required=False, help_text="Default: 14 days from today. Not in the past.")
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.ADDRESSEES,
        help_text="`addressees`: the asker and the addressees only; `audience`: every member who can see the subject.",
    )


class TextInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=TEXT_MAX)


class CloseInputSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=TEXT_MAX)


class InquirySubjectSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=SubjectKind.choices)
    id = serializers.UUIDField()


class InquiryAnswerSerializer(serializers.Serializer[Any]):
    """An answer, signed by the answering member: `signature.jws` is a detached compact JWS (EdDSA) over
    the RFC 8785 canonical JSON of this object without `signature`; keys at /api/v1/members/{code}/keys/."""

    id = serializers.UUIDField()
    request = serializers.UUIDField()
    member = serializers.CharField()
    text = serializers.CharField()
    at = serializers.DateTimeField()
    signature = SignatureSerializer()


class InquiryMessageSerializer(serializers.Serializer[Any]):
    member = serializers.CharField()
    text = serializers.CharField()
    at = serializers.DateTimeField()


class InquirySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    subject = InquirySubjectSerializer()
    asker = serializers.CharField(help_text="The asking member's code.")
    to = serializers.ListField(child=serializers.CharField(), help_text="The addressees' member codes.")
    question = serializers.CharField()
    due = serializers.DateField()
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices)
    status = serializers.ChoiceField(choices=InquiryStatus.choices)
    overdue = serializers.ListField(
        child=serializers.CharField(), help_text="Addressees that had not answered by `due` (while not closed)."
    )
    answers = InquiryAnswerSerializer(many=True)
    messages = InquiryMessageSerializer(many=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_note = serializers.CharField(allow_blank=True)
