"""Shapes of safety alerts (SPEC Appendix A): as read, as drafted, as amended."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.choices import AlertType, Distribution, Severity
from alerts.jurisdictions import jurisdiction_problem
from alerts.models import Alert, AlertRevision
from alerts.payloads import revision_payload

imdrf_code_validator = RegexValidator(
    r"^[A-G][0-9]{2,6}$", "IMDRF adverse-event codes look like A0901 or E0102 (a letter A–G and 2–6 digits)."
)


def validate_jurisdiction_code(value: str) -> str:
    problem = jurisdiction_problem(value)
    if problem is not None:
        raise serializers.ValidationError(problem[0].upper() + problem[1:] + ".")
    return value.strip().upper()


class AffectedToolSerializer(serializers.Serializer[Any]):
    tool = serializers.UUIDField()
    versions = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    name = serializers.CharField(read_only=True)
    manufacturer = serializers.CharField(read_only=True)


class AlertSerializer(serializers.ModelSerializer[Alert]):
    publisher = serializers.CharField(source="publisher.code", read_only=True)
    affected_tools = serializers.SerializerMethodField()
    affected_jurisdictions = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = (
            "id", "reference", "status", "revision", "publisher", "title", "summary", "description",
            "alert_type", "severity", "affected_tools", "affected_jurisdictions", "hazard", "harm",
            "recommended_actions", "imdrf_codes", "publisher_reference", "distribution", "recipients",
            "resolution", "withdrawal_reason", "created_at", "published_at", "updated_at", "closed_at",
            "withdrawn_at",
        )
        read_only_fields = fields

    @extend_schema_field(AffectedToolSerializer(many=True))
    def get_affected_tools(self, alert: Alert) -> list[dict[str, Any]]:
        return [
            {"tool": str(row.tool_id), "name": row.tool.name, "manufacturer": row.tool.manufacturer,
             "versions": row.versions}
            for row in alert.affected_tool_rows.all()
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_affected_jurisdictions(self, alert: Alert) -> list[str]:
        return sorted(row.jurisdiction for row in alert.jurisdiction_rows.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_recipients(self, alert: Alert) -> list[str]:
        return sorted(row.member.code for row in alert.recipient_rows.all())


class AlertInputSerializer(serializers.Serializer[Any]):
    """Fields a publisher writes in a draft (all) or an amendment (any subset)."""

    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=50000, required=False, allow_blank=True, default="")
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    affected_tools = AffectedToolSerializer(many=True, allow_empty=False)
    affected_jurisdictions = serializers.ListField(
        child=serializers.CharField(max_length=2, validators=[]), required=False, default=list, max_length=300
    )
    hazard = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    harm = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    recommended_actions = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    imdrf_codes = serializers.ListField(
        child=serializers.CharField(max_length=7, validators=[imdrf_code_validator]),
        required=False, default=list, max_length=50,
    )
    publisher_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    distribution = serializers.ChoiceField(choices=Distribution.choices, default=Distribution.NETWORK)
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, default=list, max_length=500,
        help_text="Member codes; only with distribution 'restricted'.",
    )

    def validate_affected_jurisdictions(self, value: list[str]) -> list[str]:
        return sorted({validate_jurisdiction_code(code) for code in value})

    def validate_recipients(self, value: list[str]) -> list[str]:
        return sorted({code.strip().upper() for code in value})

    def validate_affected_tools(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen = set()
        for item in value:
            if item["tool"] in seen:
                raise serializers.ValidationError(f"Tool {item['tool']} is listed twice.")
            seen.add(item["tool"])
        return value


class AmendSerializer(AlertInputSerializer):
    change_summary = serializers.CharField(max_length=5000)
    material = serializers.BooleanField(default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial serializer skips missing required fields; an amendment always says what changed.
        if "change_summary" not in attrs:
            raise serializers.ValidationError({"change_summary": ["This field is required."]})
        return attrs


class CloseSerializer(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=20000)


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=20000)


class SignatureSerializer(serializers.Serializer[Any]):
    """The publisher's signature: a compact JWS with detached payload (`header..signature`, alg EdDSA), and the kid of
    the publisher's key in its JWKS at /api/v1/members/{code}/keys/."""

    kid = serializers.CharField()
    jws = serializers.CharField()


class RevisionSerializer(serializers.ModelSerializer[AlertRevision]):
    """Declares the shape for the schema; the JSON itself is `revision_payload`'s, which (without
    `signature`) is what the publisher signed."""

    alert = serializers.UUIDField(source="alert_id", read_only=True)
    revision = serializers.IntegerField(source="number", read_only=True)
    signature = SignatureSerializer(
        read_only=True, allow_null=True,
        help_text="The publisher's signature over this revision's JSON without `signature`, "
                  "as RFC 8785 canonical JSON.",
    )

    class Meta:
        model = AlertRevision
        fields = (
            "alert", "revision", "change_summary", "material", "changed_fields", "created_at", "content", "signature",
        )
        read_only_fields = fields

    def to_representation(self, instance: AlertRevision) -> dict[str, Any]:
        return revision_payload(instance)


class AlertCountsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.IntegerField())

