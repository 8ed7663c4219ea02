"""Shapes of the registry resources (SPEC Appendix A)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from alerts.choices import AuthorizationStatus, ClinicalArea, Metric
from alerts.models import Authorization, BaselineMetric, Tool, ToolIdentifier
from exchange.jurisdictions import jurisdiction_validator
from exchange.models import Member


class IdentifierSerializer(serializers.ModelSerializer[ToolIdentifier]):
    system = serializers.CharField(max_length=64, help_text="e.g. fda-510k, udi-di, ukca, ce")
    value = serializers.CharField(max_length=128)

    class Meta:
        model = ToolIdentifier
        fields = ("system", "value")
        validators: list[Any] = []  # uniqueness is the service's to judge (409 naming the holder)


class BaselineSerializer(serializers.ModelSerializer[BaselineMetric]):
    metric = serializers.ChoiceField(choices=Metric.choices)
    value = serializers.FloatField()

    class Meta:
        model = BaselineMetric
        fields = ("metric", "value")
        validators: list[Any] = []


class AuthorizationSerializer(serializers.ModelSerializer[Authorization]):
    tool = serializers.UUIDField(source="tool_id", read_only=True)
    jurisdiction = serializers.CharField(max_length=2, min_length=2, validators=[jurisdiction_validator])
    reference = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices, default=AuthorizationStatus.AUTHORISED)
    baseline = BaselineSerializer(many=True, required=False)
    recorded_by: serializers.SlugRelatedField[Member] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Authorization
        fields = (
            "id", "tool", "jurisdiction", "reference", "status", "date", "baseline", "recorded_by",
            "created_at", "updated_at",
        )
        read_only_fields = ("id", "tool", "recorded_by", "created_at", "updated_at")
        validators: list[Any] = []

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("jurisdiction"), str):
            data = {**data, "jurisdiction": data["jurisdiction"].strip().upper()}
        return super().to_internal_value(data)


class ToolAuthorizationBriefSerializer(serializers.ModelSerializer[Authorization]):
    baseline = BaselineSerializer(many=True, read_only=True)

    class Meta:
        model = Authorization
        fields = ("id", "jurisdiction", "reference", "status", "date", "baseline")
        read_only_fields = fields


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
