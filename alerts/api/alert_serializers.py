"""Shapes of safety alerts (SPEC Appendix A): as read, as drafted, as amended."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.choices import AlertType, Distribution, Severity, TranslationSource
from alerts.jurisdictions import jurisdiction_problem
from alerts.languages import language_tag_normalise
from alerts.models import Alert, AlertRevision
from exchange.api.serializers import WholeItem

imdrf_code_validator = RegexValidator(
    r"^[A-G][0-9]{2,6}$", "IMDRF adverse-event codes look like A0901 or E0102 (a letter A–G and 2–6 digits)."
)


def validate_jurisdiction_code(value: str) -> str:
    problem = jurisdiction_problem(value)
    if problem is not None:
        raise serializers.ValidationError(problem[0].upper() + problem[1:] + ".")
    return value.strip().upper()


class AffectedToolSerializer(WholeItem, serializers.Serializer[Any]):
    tool = serializers.UUIDField()
    versions = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text="A PEP 440 specifier (>=3.2,<3.4) or a comma-separated list of registered versions; empty: all.",
    )
    fixed_in = serializers.CharField(
        max_length=50, required=False, allow_blank=True, allow_null=True, default="",
        help_text="A registered version, outside `versions`, that fixes the problem.",
    )
    affected_versions = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="The registered versions `versions` matched, in version order.",
    )
    versions_note = serializers.CharField(read_only=True, help_text="Free-text versions kept from before specifiers.")
    name = serializers.CharField(read_only=True)
    manufacturer = serializers.CharField(read_only=True)


class SignatureSerializer(serializers.Serializer[Any]):
    """The publisher's signature: a compact JWS with detached payload (`header..signature`, alg EdDSA), and the kid of
    the publisher's key in its JWKS at /api/v1/members/{code}/keys/."""

    kid = serializers.CharField()
    jws = serializers.CharField()


# Read shapes (Translation, Alert, Revision) describe the payloads of alerts/payloads.py for the schema;
# the views answer with the payloads. Their docstrings are the schema's descriptions.
class TranslationSerializer(serializers.Serializer[Any]):
    """A translation as read; `signature` is the translating member's, over this object without
    `signature` and `outdated`, as RFC 8785 canonical JSON."""

    alert = serializers.UUIDField(read_only=True)
    language = serializers.CharField(read_only=True, help_text="BCP 47 tag.")
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    recommended_actions = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=TranslationSource.choices, read_only=True)  # type: ignore[assignment]  # the API's field name
    member = serializers.CharField(read_only=True, help_text="The translating member's code.")
    revision = serializers.IntegerField(read_only=True, help_text="The alert revision translated.")
    created_at = serializers.DateTimeField(read_only=True)
    outdated = serializers.BooleanField(read_only=True, help_text="A material amendment followed the revision translated.")
    signature = SignatureSerializer(read_only=True, allow_null=True)


class TranslationInputSerializer(serializers.Serializer[Any]):
    language = serializers.CharField(max_length=35, help_text="BCP 47 tag, other than the alert's own language.")
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    recommended_actions = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=50000, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the API's field name
        choices=TranslationSource.choices, required=False,
        help_text="`publisher` (the publishing member only), `member` (default for the audience) or `machine`.",
    )


def validate_language_tag(value: str) -> str:
    tag = language_tag_normalise(value)
    if tag is None:
        raise serializers.ValidationError("Not a BCP 47 language tag (e.g. en, fr, pt-BR).")
    return tag


@extend_schema_field(TranslationSerializer(allow_null=True))
class LocalizedField(serializers.Field):
    """The translation a reader of the requested language is shown (shape only: `alert_payload` fills it)."""


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """An alert as read. With `?lang=` (or Accept-Language) the answer adds `localized`: the
    translation a reader of that language is shown, or null."""

    publisher = serializers.CharField(source="publisher.code", read_only=True)
    translations = TranslationSerializer(many=True, read_only=True)
    localized = LocalizedField(
        read_only=True, help_text="Only with ?lang= or Accept-Language: the translation into that language, or null.",
    )
    affected_tools = AffectedToolSerializer(many=True, read_only=True)
    affected_jurisdictions = serializers.ListField(child=serializers.CharField(), read_only=True)
    recipients = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Alert
        fields = (
            "id", "reference", "status", "revision", "publisher", "language", "title", "summary", "description",
            "alert_type", "severity", "affected_tools", "affected_jurisdictions", "hazard", "harm",
            "recommended_actions", "imdrf_codes", "publisher_reference", "distribution", "recipients",
            "resolution", "withdrawal_reason", "created_at", "published_at", "updated_at", "closed_at",
            "withdrawn_at", "translations", "localized",
        )
        read_only_fields = fields


class AlertInputSerializer(serializers.Serializer[Any]):
    """Fields a publisher writes in a draft (all) or an amendment (any subset)."""

    language = serializers.CharField(
        max_length=35, required=False, help_text="BCP 47 tag of the text (default en).",
    )
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

    def validate_language(self, value: str) -> str:
        return validate_language_tag(value)

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


class AlertCountsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.IntegerField())

