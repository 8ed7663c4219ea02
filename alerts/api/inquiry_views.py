"""Information requests between regulators: `/api/v1/requests/` (SPEC §10.3, Appendix B)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts.api.inquiry_serializers import (
    CloseInputSerializer,
    InquiryAnswerSerializer,
    InquiryInputSerializer,
    InquiryMessageSerializer,
    InquirySerializer,
    TextInputSerializer,
)
from alerts.inquiry_payloads import answer_payload, inquiry_payload
from alerts.inquiry_selectors import inquiries_awaiting, inquiries_visible_to, inquiries_with_details
from alerts.models import Inquiry, InquiryAddressee, InquiryAnswer, InquiryStatus
from alerts.services import inquiries as services
from exchange.api.idempotency import IdempotentCreateMixin, idempotent
from exchange.api.viewsets import MemberScopedMixin
from exchange.choices import Scope
from exchange.links import absolute_url
from exchange.models import Member
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404


def inquiry_inbox_items(member: Member) -> list[dict[str, Any]]:
    """The inbox's entries for requests awaiting the member's answer, soonest due first (kind `request`)."""
    waiting = inquiries_with_details(inquiries_awaiting(member=member))
    return [
        {
            "kind": "request", "id": str(inquiry.pk), "reference": None, "title": inquiry.question[:200],
            "severity": None, "alert_type": None, "publisher": inquiry.asker.code,
            "published_at": inquiry.created_at, "acknowledgement": None, "due": inquiry.due,
            "request": inquiry_payload(inquiry),
        }
        for inquiry in waiting
    ]


class InquiryFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=[("asked", "Asked by your member"), ("received", "Asked of your member")], method="filter_direction",
        label="asked: requests your member asked; received: requests addressed to your member",
    )
    status = django_filters.ChoiceFilter(choices=InquiryStatus.choices)

    class Meta:
        model = Inquiry
        fields = ("direction", "status")

    def filter_direction(self, queryset: QuerySet[Inquiry], name: str, value: str) -> QuerySet[Inquiry]:
        member = request_member(self.request)
        if value == "asked":
            return queryset.filter(asker=member)
        return queryset.filter(pk__in=InquiryAddressee.objects.filter(member=member).values("inquiry_id"))


@extend_schema_view(
    list=extend_schema(responses=InquirySerializer(many=True)),
    retrieve=extend_schema(responses=InquirySerializer),
    create=extend_schema(request=InquiryInputSerializer, responses={201: InquirySerializer}),
)
class InquiryViewSet(
    MemberScopedMixin[Inquiry],
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[Inquiry],
):
    """Questions between members about an alert, report, signal or tool (SPEC §10.3). A request your
    member may not see (an `addressees` request it is not party to, or one about a subject it cannot
    see) answers `404`."""

    model = Inquiry
    filterset_class = InquiryFilter
    cursor_ordering: tuple[str, ...] = ("-created_at", "-id")
    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {
        "create": Scope.ACKNOWLEDGE, "answers": Scope.ACKNOWLEDGE, "messages": Scope.ACKNOWLEDGE,
        "close": Scope.ACKNOWLEDGE,
    }
    path_id_description = "The request's id (a UUID)."

    def member_queryset(self, member: Member) -> QuerySet[Inquiry]:
        return inquiries_with_details(inquiries_visible_to(member=member))

    def get_object(self) -> Inquiry:
        return one_or_404(self.get_queryset(), detail="No such request (or not visible to your member).",
                          pk=self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page: Any = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([inquiry_payload(inquiry) for inquiry in page])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(inquiry_payload(self.get_object()))

    def create_object(self, request: Request) -> Response:
        form = InquiryInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        ((kind, subject_id),) = data.pop("subject").items()
        inquiry = services.inquiry_open(actor=request_user(request), subject_kind=kind, subject_id=subject_id, **data)
        return Response(inquiry_payload(services.inquiry_fresh(inquiry)), status=status.HTTP_201_CREATED)

    @extend_schema(request=TextInputSerializer, responses={201: InquiryAnswerSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def answers(self, request: Request, pk: str | None = None) -> Response:
        """An addressee answers (any number of answers); each is signed by the answering member."""
        inquiry = self.get_object()

        def produce() -> Response:
            form = TextInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            answer = services.inquiry_answer(actor=request_user(request), inquiry=inquiry, **form.validated_data)
            answer = InquiryAnswer.objects.select_related("member").get(pk=answer.pk)
            body = answer_payload(answer)
            return Response(body, status=status.HTTP_201_CREATED,
                            headers={"Location": absolute_url(f"/api/v1/requests/{inquiry.pk}/")})

        return idempotent(request, produce)

    @extend_schema(request=TextInputSerializer, responses={201: InquiryMessageSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """A follow-up of the asker or an addressee."""
        inquiry = self.get_object()

        def produce() -> Response:
            form = TextInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            message = services.inquiry_message_post(actor=request_user(request), inquiry=inquiry, **form.validated_data)
            body = {"member": message.member.code, "text": message.text, "at": message.at, "request": str(inquiry.pk)}
            return Response(body, status=status.HTTP_201_CREATED,
                            headers={"Location": absolute_url(f"/api/v1/requests/{inquiry.pk}/")})

        return idempotent(request, produce)

    @extend_schema(request=CloseInputSerializer, responses=InquirySerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request: Request, pk: str | None = None) -> Response:
        """The asker closes its request with a note."""
        inquiry = self.get_object()
        form = CloseInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.inquiry_close(actor=request_user(request), inquiry=inquiry, note=form.validated_data["note"])
        return Response(inquiry_payload(services.inquiry_fresh(inquiry)))

