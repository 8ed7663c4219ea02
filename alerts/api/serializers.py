"""Shapes of the registry resources (SPEC Appendix A)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.choices import (
    AuthorizationRoute,
    AuthorizationStatus,
    AuthorizationValidity,
    ClinicalArea,
    Metric,
)
from alerts.models import Authorization, BaselineMetric, Tool, ToolIdentifier
from alerts.payloads import authorization_member_code, authorization_payload
from exchange.api.serializers import WholeItem
from exchange.jurisdictions import jurisdiction_validator
from exchange.models import Member


class IdentifierSerializer(WholeItem, serializers.ModelSerializer[ToolIdentifier]):
    system = serializers.CharField(max_length=64, help_text="e.g. fda-510k, udi-di, ukca, ce")
    value = serializers.CharField(max_length=128)

    class Meta:
        model = ToolIdentifier
        fields = ("system", "value")
        validators: list[Any] = []  # uniqueness is the service's to judge (409 naming the holder)


class BaselineSerializer(WholeItem, serializers.ModelSerializer[BaselineMetric]):
    metric = serializers.ChoiceField(choices=Metric.choices)
    value = serializers.FloatField()

    class Meta:
        model = BaselineMetric
        fields = ("metric", "value")
        validators: list[Any] = []


class AuthorizationSerializer(serializers.ModelSerializer[Authorization]):
    """An authorisation as written (`POST`, `PATCH`)."""

    tool = serializers.UUIDField(source="tool_id", read_only=True)
    jurisdiction = serializers.CharField(max_length=2, min_length=2, validators=[jurisdiction_validator])
    reference = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices, default=AuthorizationStatus.AUTHORISED)
    baseline = BaselineSerializer(many=True, required=False)
    versions = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text="The versions authorised: a PEP 440 specifier or a list of registered versions; empty: all.",
    )
    recorded_by: serializers.SlugRelatedField[Member] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    route = serializers.ChoiceField(
        choices=AuthorizationRoute.choices, default=AuthorizationRoute.INDEPENDENT,
        help_text="`reliance`: granted by reliance on another member's authorisation of the same tool.",
    )
    relies_on = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text="The reference authorisation (route `reliance`): another member's, of this tool, authorised, "
        "itself independent.",
    )
    validity = serializers.ChoiceField(
        choices=AuthorizationValidity.choices, required=False, allow_null=True, default=None,
        help_text="Route `reliance`: `follows_reference` (default; stands only while the reference stands) or "
        "`independent_after_grant`.",
    )

    class Meta:
        model = Authorization
        fields = (
            "id", "tool", "jurisdiction", "reference", "status", "date", "baseline", "versions", "route",
            "relies_on", "validity", "recorded_by", "created_at", "updated_at",
        )
        read_only_fields = ("id", "tool", "recorded_by", "created_at", "updated_at")
        validators: list[Any] = []

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("jurisdiction"), str):
            data = {**data, "jurisdiction": data["jurisdiction"].strip().upper()}
        return super().to_internal_value(data)

    def to_representation(self, instance: Authorization) -> dict[str, Any]:
        return authorization_payload(instance)


class RelianceReferenceSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    member = serializers.CharField(allow_null=True)
    jurisdiction = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)


class AuthorizationReadSerializer(serializers.Serializer[Any]):
    """An authorisation: where the tool is on the market, by whose decision, and by which route."""

    id = serializers.UUIDField()
    tool = serializers.UUIDField()
    member = serializers.CharField(allow_null=True, help_text="The code of the member whose decision it is.")
    jurisdiction = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)
    date = serializers.DateField()
    baseline = BaselineSerializer(many=True)
    route = serializers.ChoiceField(choices=AuthorizationRoute.choices)
    relies_on = RelianceReferenceSerializer(allow_null=True)
    validity = serializers.ChoiceField(choices=AuthorizationValidity.choices, allow_null=True)
    reference_lapsed = serializers.BooleanField(
        help_text="A follows_reference authorisation whose reference is suspended or withdrawn, until its own "
        "review is decided.",
    )
    recorded_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Authorization) -> dict[str, Any]:
        return authorization_payload(instance)


class ToolAuthorizationBriefSerializer(serializers.ModelSerializer[Authorization]):
    baseline = BaselineSerializer(many=True, read_only=True)
    route = serializers.ChoiceField(choices=AuthorizationRoute.choices, read_only=True)
    relies_on = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField()

    class Meta:
        model = Authorization
        fields = ("id", "member", "jurisdiction", "reference", "status", "date", "baseline", "route", "relies_on")
        read_only_fields = fields

    def get_member(self, instance: Authorization) -> str | None:
        return authorization_member_code(instance)

    @extend_schema_field(RelianceReferenceSerializer(allow_null=True))
    def get_relies_on(self, instance: Authorization) -> dict[str, Any] | None:
        return authorization_payload(instance)["relies_on"]


class ToolSerializer(serializers.ModelSerializer[Tool]):
    name = serializers.CharField(max_length=200)
    manufacturer = serializers.CharField(max_length=200)
    intended_purpose = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    clinical_area = serializers.ChoiceField(choices=ClinicalArea.choices)
    identifiers = IdentifierSerializer(many=True, required=False, default=list)
    authorizations = ToolAuthorizationBriefSerializer(many=True, read_only=True)
    registered_by: serializers.SlugRelatedField[Member] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Tool
        fields = (
            "id", "name", "manufacturer", "intended_purpose", "clinical_area", "identifiers",
            "authorizations", "registered_by", "created_at", "updated_at",
        )
        read_only_fields = ("id", "authorizations", "registered_by", "created_at", "updated_at")
        validators: list[Any] = []
