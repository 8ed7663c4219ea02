"""The inbox: what awaits the caller's member's acknowledgement, most urgent first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import selectors
from alerts.api.ack_serializers import InboxItemSerializer
from alerts.api.inquiry_views import inquiry_inbox_items
from alerts.models import Acknowledgement, RelianceReview
from alerts.payloads import review_payload
from alerts.services.acknowledgements import ack_render
from exchange.api.viewsets import MemberScopedMixin
from exchange.models import Member
from exchange.permissions import request_member


def inbox_item(ack: Acknowledgement) -> dict[str, Any]:
    if ack.report is not None:
        report = ack.report
        return {
            "kind": "report",
            "id": str(report.pk),
            "reference": None,
            "title": f"Performance report: {report.tool.name} {report.tool_version}, {report.setting} ({report.country})",
            "severity": None,
            "alert_type": None,
            "publisher": report.publisher.code,
            "published_at": report.published_at,
            "acknowledgement": ack_render(ack),
        }
    alert = ack.alert
    assert alert is not None
    return {
        "kind": "alert",
        "id": str(alert.pk),
        "reference": alert.reference,
        "title": alert.title,
        "severity": alert.severity,
        "alert_type": alert.alert_type,
        "publisher": alert.publisher.code,
        "published_at": alert.published_at,
        "acknowledgement": ack_render(ack),
    }


def review_item(review: RelianceReview) -> dict[str, Any]:
    """An open reliance review at the head of the relying member's inbox (SPEC §10.1)."""
    tool = review.authorization.tool
    trigger = f"{review.reference_member.code} alert {review.alert.reference}" if review.alert else (
        f"{review.reference_member.code} authorisation {review.trigger_from or '—'} → {review.trigger_to or '—'}"
    )
    return {
        "kind": "reliance_review",
        "id": str(review.pk),
        "reference": review.alert.reference if review.alert else None,
        "title": f"Reliance review: {tool.name} ({review.authorization.reference}) — {trigger}",
        "severity": review.severity or None,
        "alert_type": None,
        "publisher": review.reference_member.code,
        "published_at": review.opened_at,
        "review": review_payload(review),
    }


class InboxView(MemberScopedMixin[Acknowledgement], generics.ListAPIView[Acknowledgement]):
    """Alerts (and reports) whose acknowledgement is requested from the caller's member and not complete."""

    model = Acknowledgement
    cursor_ordering = ("-severity_rank", "deadline_key", "requested_at", "id")
    filter_backends: list[Any] = []

    def member_queryset(self, member: Member) -> QuerySet[Acknowledgement]:
        return selectors.inbox_for(member=member)

    @extend_schema(responses=InboxItemSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page: Any = self.paginate_queryset(self.get_queryset())
        items = [inbox_item(ack) for ack in page]
        if not request.query_params.get(self.paginator.cursor_query_param):  # type: ignore[union-attr]
            # The first page starts with what needs the member most: open reliance reviews (most urgent
            # first), then requests awaiting its answer (few, each with a due date).
            member = request_member(request)
            reviews = [review_item(review) for review in selectors.reliance_reviews_open_for(member=member)]
            items = [*reviews, *inquiry_inbox_items(member), *items]
        return self.get_paginated_response(items)
