"""Reliance reviews (SPEC §10.1, Appendix B): the caller's member's reviews, and its decisions."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import selectors
from alerts.api.reliance_serializers import DecisionSerializer, RelianceReviewSerializer
from alerts.choices import ReviewStatus
from alerts.models import RelianceReview
from alerts.payloads import review_payload
from alerts.services.reliance import reliance_review_decide
from exchange.api.viewsets import MemberScopedMixin
from exchange.choices import Scope
from exchange.models import Member
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = RelianceReview
        fields = ("status",)


class RelianceReviewListView(MemberScopedMixin[RelianceReview], generics.ListAPIView[RelianceReview]):
    """Reviews where the caller's member is the relying or the reference member, most urgent first."""

    model = RelianceReview
    serializer_class = RelianceReviewSerializer
    filterset_class = ReviewFilter
    cursor_ordering = ("deadline", "id")

    def member_queryset(self, member: Member) -> QuerySet[RelianceReview]:
        return selectors.reliance_reviews_visible_to(member=member)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page: Any = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([review_payload(review) for review in page])


class RelianceReviewDetailView(MemberScopedMixin[RelianceReview], generics.RetrieveAPIView[RelianceReview]):
    """One review: the relying and the reference member see it; anyone else gets `404`."""

    model = RelianceReview
    serializer_class = RelianceReviewSerializer

    def member_queryset(self, member: Member) -> QuerySet[RelianceReview]:
        return selectors.reliance_reviews_visible_to(member=member)

    def get_object(self) -> RelianceReview:
        return one_or_404(self.get_queryset(), detail="No such reliance review (or not visible to your member).",
                          pk=self.kwargs["pk"])

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(review_payload(self.get_object()))


class RelianceReviewDecisionView(MemberScopedMixin[RelianceReview], generics.GenericAPIView[RelianceReview]):
    """The relying member's decision: maintain, vary, suspend or revoke its authorisation, with a rationale."""

    model = RelianceReview
    serializer_class = DecisionSerializer
    required_scopes = {"POST": Scope.PUBLISH}
    pagination_class = None
    filter_backends: list[Any] = []

    def member_queryset(self, member: Member) -> QuerySet[RelianceReview]:
        return selectors.reliance_reviews_visible_to(member=member)

    @extend_schema(request=DecisionSerializer, responses=RelianceReviewSerializer)
    def post(self, request: Request, pk: str) -> Response:
        review = one_or_404(self.get_queryset(), detail="No such reliance review (or not visible to your member).",
                            pk=pk)
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        decided = reliance_review_decide(actor=request_user(request), review=review, **form.validated_data)
        return Response(review_payload(decided))


def reviews_open_for(request: Request) -> list[RelianceReview]:
    """The caller's open reviews (for the inbox's head)."""
    return list(selectors.reliance_reviews_open_for(member=request_member(request)))
