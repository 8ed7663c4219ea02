"""OpenAPI generation: every operation has a summary and a description written for integrators, and
documents every problem response it can give.

Summaries, descriptions and request examples live in registries keyed by operation id
(`exchange/api/docs.py`; `alerts/api/docs.py`, `report_docs.py`, `inquiry_docs.py`); a view's own
`extend_schema` or docstring is the fallback.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from alerts.api.docs import OPERATIONS as ALERT_OPERATIONS
from alerts.api.inquiry_docs import OPERATIONS as INQUIRY_OPERATIONS
from alerts.api.report_docs import OPERATIONS as REPORT_OPERATIONS
from exchange.api.docs import OPERATIONS as NETWORK_OPERATIONS
from exchange.api.docs import OperationDoc

OPERATION_DOCS: dict[str, OperationDoc] = {
    **NETWORK_OPERATIONS, **ALERT_OPERATIONS, **REPORT_OPERATIONS, **INQUIRY_OPERATIONS,
}

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(help_text="URI reference identifying the problem type."),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            required=False, child=serializers.JSONField(), help_text="Field errors, keyed by field."
        ),
    },
)


# Read-only fields drf-spectacular would list as required but an answer carries only sometimes.
OPTIONAL_IN_ANSWERS = {"Alert": ("localized",)}


def answers_optional_fields(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: `localized` is in an alert only when the reader asked for a language."""
    schemas = result.get("components", {}).get("schemas", {})
    for component, fields in OPTIONAL_IN_ANSWERS.items():
        schema = schemas.get(component)
        if schema and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in fields]
    return result


class TypedFieldSchema(OpenApiSerializerFieldExtension):
    """A field that only types its input (exchange.api.serializers.TypedField) is documented as the
    values its service accepts: the field it is `shown_as`, with its help text, lengths and formats."""

    target_class = "exchange.api.serializers.TypedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        shown_as = self.target.shown_as
        schema = auto_schema._map_serializer_field(shown_as, direction)
        auto_schema._insert_field_validators(shown_as, schema)
        return schema


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer <token>` on every operation that accepts it."""

    target_class = "exchange.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}


_DESCRIPTIONS = {
    "400": "Malformed JSON, invalid fields, or (on lists) an unknown query parameter; problem+json naming "
    "each under `errors`.",
    "401": "Missing or invalid credentials (`WWW-Authenticate: Bearer`).",
    "403": "The role or token scopes do not allow this, or the member is suspended.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflicts with the current state.",
    "412": "If-Match does not match the current ETag.",
    "415": "Unsupported media type: send `Content-Type: application/json` (CSV imports: `text/csv`).",
    "422": "Idempotency-Key reused with a different request.",
    "428": "If-Match is required.",
    "429": "Rate limit exceeded (`Retry-After`).",
}


class AutoSchema(BaseAutoSchema):
    def _operation_doc(self) -> OperationDoc | None:
        return OPERATION_DOCS.get(self.get_operation_id())

    def get_summary(self) -> str | None:
        found = self._operation_doc()
        return found.summary if found else super().get_summary()

    def get_description(self) -> str:  # type: ignore[override]
        found = self._operation_doc()
        return found.description if found else super().get_description()

    def get_examples(self) -> list[Any]:
        found = self._operation_doc()
        return [*(found.examples if found else []), *super().get_examples()]

    def _resolve_path_parameters(self, variables: list[str]) -> list[Any]:
        parameters = super()._resolve_path_parameters(variables)
        described = getattr(self.view, "path_id_description", None)
        for parameter in parameters:
            if described and parameter.get("name") == "id":
                parameter["description"] = described
                parameter["schema"] = {"type": "string"}
        return parameters

    def get_auth(self) -> list[Any]:
        # The global SECURITY setting repeats the bearer requirement the authenticator already declared.
        requirements: list[Any] = []
        for requirement in super().get_auth():
            if requirement not in requirements:
                requirements.append(requirement)
        return requirements

    def _problem_codes(self) -> list[str]:
        method = self.method.upper()
        codes = ["400", "401", "403", "404", "405", "406", "429"]
        if method in {"POST", "PUT", "PATCH"}:
            codes += ["409", "415", "422"]
        if method in {"DELETE"}:
            codes += ["409"]
        codes += getattr(self.view, "extra_problem_codes", {}).get(getattr(self.view, "action", None) or "", [])
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._problem_codes():
            if code in responses:
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(response=ProblemSerializer, description=_DESCRIPTIONS[code]),
                code,
                media_types=["application/problem+json"],
                direction=direction,
            )
        return responses
