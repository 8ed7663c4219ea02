"""Possibly related alerts and links between alerts (SPEC §10.6, Appendix B), mixed into AlertViewSet.

The alert in the path must be visible to the caller (else 404, as everywhere); what it names in turn —
related alerts, the other end of a link — is filtered by the same visibility selector.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts.links import alert_summary, link_render, links_of_alert
from alerts.models import LinkKind
from alerts.related import alerts_related
from alerts.services.links import NOTE_MAX_CHARS, alert_link_create, alert_link_delete
from exchange.api.idempotency import created_location, idempotent
from exchange.permissions import request_member, request_user


class AlertSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    publisher = serializers.CharField(help_text="The publishing member's code.")


class RelatedAlertSerializer(serializers.Serializer[Any]):
    alert = AlertSummarySerializer()
    score = serializers.FloatField(help_text="0–1, from a shared tool, the share of IMDRF codes and the text.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text='e.g. "same tool", "IMDRF code A0901"')


class RelatedListSerializer(serializers.Serializer[Any]):
    results = RelatedAlertSerializer(many=True)


class LinkSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    note = serializers.CharField()
    alert = AlertSummarySerializer(help_text="The alert linked to.")
    # `source` and `label` are the JSON field names (DRF takes declared fields out of the class).
    source = AlertSummarySerializer(help_text="The linking alert (its publisher made the link).")  # type: ignore[assignment]
    direction = serializers.ChoiceField(choices=["outgoing", "incoming"],
                                        help_text="Seen from the alert in the path.")
    label = serializers.CharField(help_text='e.g. "marked as a duplicate of this by MHRA"')  # type: ignore[assignment]
    created_at = serializers.DateTimeField()


class LinkListSerializer(serializers.Serializer[Any]):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = LinkSerializer(many=True)


class LinkInputSerializer(serializers.Serializer[Any]):
    alert = serializers.CharField(max_length=64, help_text="The alert linked to: its id or its reference.")
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    note = serializers.CharField(max_length=NOTE_MAX_CHARS, required=False, allow_blank=True, default="")


class AlertLinkActions:
    """`related/`, `links/` and `links/{link_id}/` of an alert."""

    get_object: Any

    @extend_schema(responses=RelatedListSerializer, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def related(self, request: Request, pk: str | None = None) -> Response:
        """Possibly related alerts: suggestions with reasons and a score, best first."""
        alert = self.get_object()
        found = alerts_related(member=request_member(request), alert=alert)
        return Response({"results": [
            {"alert": alert_summary(item.alert), "score": item.score, "reasons": item.reasons} for item in found
        ]})

    @extend_schema(responses=LinkListSerializer, filters=False)
    @action(detail=True, methods=["get"], url_path="links", pagination_class=None, filter_backends=[])
    def links(self, request: Request, pk: str | None = None) -> Response:
        """The links from and to this alert whose other end the caller may see too."""
        alert = self.get_object()
        rows = links_of_alert(member=request_member(request), alert=alert)
        return Response({"next": None, "previous": None,
                         "results": [link_render(link, seen_from=alert) for link in rows]})

    @extend_schema(request=LinkInputSerializer, responses={201: LinkSerializer})
    @links.mapping.post
    def link_create(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()

        def produce() -> Response:
            form = LinkInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            link = alert_link_create(actor=request_user(request), alert=alert, target=form.validated_data["alert"],
                                     kind=form.validated_data["kind"], note=form.validated_data["note"])
            fresh = links_of_alert(member=request_member(request), alert=alert).get(pk=link.pk)
            return Response(link_render(fresh, seen_from=alert), status=status.HTTP_201_CREATED)

        response = idempotent(request, produce)
        if response.status_code == status.HTTP_201_CREATED and isinstance(response.data, dict):
            response["Location"] = created_location(request, response.data["id"])
        return response

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_id>[0-9a-fA-F-]{32,36})", filter_backends=[])
    def link_delete(self, request: Request, pk: str | None = None, link_id: str = "") -> Response:
        """Remove a link (the linking alert's publishers and admins)."""
        alert = self.get_object()
        alert_link_delete(actor=request_user(request), alert=alert, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
