"""OpenAPI generation: every operation documents the problem responses it can give (SPEC §6)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

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


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer <token>` on every operation that accepts it."""

    target_class = "exchange.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}


_DESCRIPTIONS = {
    "400": "Malformed JSON or invalid fields (problem+json, field errors under `errors`).",
    "401": "Missing or invalid credentials (`WWW-Authenticate: Bearer`).",
    "403": "The role or token scopes do not allow this, or the member is suspended.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflicts with the current state.",
    "412": "If-Match does not match the current ETag.",
    "415": "Unsupported media type: send JSON.",
    "422": "Idempotency-Key reused with a different request.",
    "428": "If-Match is required.",
    "429": "Rate limit exceeded (`Retry-After`).",
}


class AutoSchema(BaseAutoSchema):
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
