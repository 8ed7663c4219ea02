"""Shapes of performance reports, signals and pooled trends (SPEC Appendix A)."""

from __future__ import annotations

from typing import Any

from django.core.validators import MinLengthValidator
from rest_framework import serializers

from alerts.api.ack_serializers import AcknowledgementSerializer
from alerts.api.alert_serializers import SignatureSerializer
from alerts.choices import Distribution, Metric, SignalStatus
from alerts.models import Report, ReportMetric, Signal
from exchange.api.serializers import WholeItem

# A list serializer's validators are what the schema shows as `minItems` (allow_empty alone is not shown).
AT_LEAST_ONE = [MinLengthValidator(1)]


class MetricInputSerializer(WholeItem, serializers.Serializer[Any]):
    metric = serializers.ChoiceField(choices=Metric.choices)
    value = serializers.FloatField()
    ci_low = serializers.FloatField(required=False, allow_null=True, default=None)
    ci_high = serializers.FloatField(required=False, allow_null=True, default=None)
    numerator = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    denominator = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class SubgroupInputSerializer(WholeItem, serializers.Serializer[Any]):
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    dimension = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    metrics: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MetricInputSerializer(), allow_empty=False, validators=AT_LEAST_ONE
    )


class ReportInputSerializer(serializers.Serializer[Any]):
    tool = serializers.UUIDField()
    tool_version = serializers.CharField(max_length=50)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    setting = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, min_length=2)
    population = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    sample_size = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    method = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    data_source = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    metrics: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MetricInputSerializer(), allow_empty=False, validators=AT_LEAST_ONE
    )
    subgroups = SubgroupInputSerializer(many=True, required=False, default=list)
    distribution = serializers.ChoiceField(choices=Distribution.choices, default=Distribution.NETWORK)
    recipients = serializers.ListField(child=serializers.CharField(max_length=16), required=False, default=list)
    supersedes = serializers.UUIDField(required=False, allow_null=True, default=None,
                                       help_text="A published report of yours that this one corrects.")
    supersede_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate_country(self, value: str) -> str:
        return value.strip().upper()


# Read shapes (Metric, Report, Signal) describe the payloads of alerts/payloads.py for the schema; the
# views answer with the payloads.
class MetricSerializer(serializers.ModelSerializer[ReportMetric]):
    class Meta:
        model = ReportMetric
        fields = ("metric", "value", "ci_low", "ci_high", "ci_method", "numerator", "denominator")
        read_only_fields = fields


class SubgroupSerializer(serializers.Serializer[Any]):
    """A subgroup as read: its metrics carry `ci_method` like the report's own (shape only)."""

    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    dimension = serializers.CharField()
    metrics = MetricSerializer(many=True)


class ReportSerializer(serializers.ModelSerializer[Report]):
    publisher = serializers.CharField(source="publisher.code", read_only=True)
    signed_content = serializers.JSONField(
        read_only=True, allow_null=True,
        help_text="The report as it was published (null for a draft): the payload `signature` signs, "
                  "as RFC 8785 canonical JSON.",
    )
    signature = SignatureSerializer(read_only=True, allow_null=True)
    tool_name = serializers.CharField(source="tool.name", read_only=True)
    metrics = MetricSerializer(many=True, read_only=True)
    subgroups = SubgroupSerializer(many=True, read_only=True)
    recipients = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Report
        fields = (
            "id", "status", "publisher", "tool", "tool_name", "tool_version", "period_start", "period_end",
            "setting", "country", "population", "sample_size", "method", "data_source", "metrics", "subgroups",
            "distribution", "recipients", "supersedes", "supersede_reason", "created_at", "updated_at",
            "published_at", "signed_content", "signature",
        )
        read_only_fields = fields


class SignalSerializer(serializers.ModelSerializer[Signal]):
    tool_name = serializers.CharField(source="tool.name", read_only=True)
    # The caller's view: open until the caller's own evidence no longer supports the signal.
    status = serializers.ChoiceField(source="shown_status", choices=SignalStatus.choices, read_only=True)
    closed_at = serializers.DateTimeField(source="shown_closed_at", read_only=True, allow_null=True)
    reports = serializers.ListField(child=serializers.UUIDField(), read_only=True)

    class Meta:
        model = Signal
        fields = (
            "id", "tool", "tool_name", "metric", "kind", "subgroup", "version", "period", "status", "reference_value",
            "reference_source", "pooled_value", "ci_low", "ci_high", "sample", "margin", "reports",
            "created_at", "updated_at", "closed_at",
        )
        read_only_fields = fields


class PooledSerializer(serializers.Serializer[Any]):
    value = serializers.FloatField()
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    reports = serializers.IntegerField()
    sample = serializers.IntegerField()
    method = serializers.CharField()


class PeriodSerializer(PooledSerializer):
    period = serializers.CharField()


class SubgroupPooledSerializer(PooledSerializer):
    label = serializers.CharField()  # type: ignore[assignment]


class BaselinePointSerializer(serializers.Serializer[Any]):
    jurisdiction = serializers.CharField()
    value = serializers.FloatField()


class MetricTrendSerializer(serializers.Serializer[Any]):
    metric = serializers.CharField()
    lower_is_better = serializers.BooleanField(help_text="The metric's direction: true where lower is better.")
    baselines = BaselinePointSerializer(many=True)
    overall = PooledSerializer(allow_null=True)
    periods = PeriodSerializer(many=True)
    subgroups = SubgroupPooledSerializer(many=True)


class VersionTrendSerializer(serializers.Serializer[Any]):
    version = serializers.CharField()
    metrics = MetricTrendSerializer(many=True, help_text="As `metrics`, from the reports on this version only.")


class PerformanceSerializer(serializers.Serializer[Any]):
    tool = serializers.UUIDField()
    version = serializers.CharField(allow_null=True, help_text="The version asked for with `?version=`, or null.")
    reports = serializers.IntegerField(help_text="Published, current reports the caller may see.")
    metrics = MetricTrendSerializer(many=True)
    by_version = VersionTrendSerializer(many=True, help_text="Each version's own trend, in version order.")


class ImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    published = serializers.IntegerField()
    reports = serializers.ListField(child=serializers.UUIDField())


class ReportAcknowledgementSerializer(AcknowledgementSerializer):
    """A member's acknowledgement of a report: as of an alert, naming the report instead."""

    alert = None  # type: ignore[assignment]
    report = serializers.UUIDField()
