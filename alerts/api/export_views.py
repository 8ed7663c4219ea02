"""CAP 1.2 and FHIR R5 exports of an alert (SPEC §6), mixed into AlertViewSet.

An export is the alert the caller may see, in another standard's words: the same visibility
selector decides (an invisible alert is a 404; a draft only for its publisher)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from alerts.interop.cap import CAP_CONTENT_TYPE
from alerts.interop.exports import alert_cap_export, alert_fhir_export
from alerts.interop.fhir import FHIR_CONTENT_TYPE
from exchange.links import site_url


class CapXmlRenderer(BaseRenderer):
    """Passes the built XML through; anything else (a problem) is JSON under its own content type."""

    media_type = CAP_CONTENT_TYPE
    format = "cap"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_CONTENT_TYPE
    format = "fhir"


class ExplicitPathNegotiation(BaseContentNegotiation):
    """The path names the format (SPEC §6: the explicit paths are the contract), whatever Accept says."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


def site_of(request: Request) -> str:
    """The base of the export's links and identifiers: SITE_URL, never the request's host (SPEC §6)."""
    return site_url()


class AlertExportActions:
    """`GET …/alerts/{id}/cap/` and `GET …/alerts/{id}/fhir/`."""

    get_object: Any

    @extend_schema(
        responses={(200, CAP_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.STR, description="An OASIS CAP 1.2 message.")},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="cap", renderer_classes=[CapXmlRenderer],
            content_negotiation_class=ExplicitPathNegotiation, pagination_class=None, filter_backends=[])
    def cap(self, request: Request, pk: str | None = None) -> Response:
        """The alert as an OASIS CAP 1.2 message (`application/cap+xml`); mapping in docs/interop.md."""
        alert = self.get_object()
        return Response(alert_cap_export(alert=alert, site=site_of(request)), content_type=CAP_CONTENT_TYPE)

    @extend_schema(
        responses={(200, FHIR_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.OBJECT,
                                                             description="An HL7 FHIR R5 Bundle (collection).")},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="fhir", renderer_classes=[FhirJsonRenderer],
            content_negotiation_class=ExplicitPathNegotiation, pagination_class=None, filter_backends=[])
    def fhir(self, request: Request, pk: str | None = None) -> Response:
        """The alert as an HL7 FHIR R5 Bundle (`application/fhir+json`); mapping in docs/interop.md."""
        alert = self.get_object()
        return Response(alert_fhir_export(alert=alert, site=site_of(request)), content_type=FHIR_CONTENT_TYPE)
