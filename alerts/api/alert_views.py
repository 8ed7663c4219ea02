"""Safety alerts: list, detail, draft, publish, amend, close, withdraw, revisions, counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import selectors
from alerts.api.ack_serializers import (
    AcknowledgementSerializer,
    AcknowledgeSerializer,
    AckSummarySerializer,
    DeadlineExtensionSerializer,
)
from alerts.api.alert_serializers import (
    AlertCountsSerializer,
    AlertInputSerializer,
    AlertSerializer,
    AmendSerializer,
    CloseSerializer,
    RevisionSerializer,
    TranslationInputSerializer,
    TranslationSerializer,
    WithdrawSerializer,
)
from alerts.api.export_views import AlertExportActions
from alerts.api.link_views import AlertLinkActions
from alerts.api.search import RankedSearchFilter
from alerts.filters import ALERT_SEARCH_FIELDS, AlertFilter
from alerts.languages import requested_language
from alerts.models import Alert, AlertRevision, AlertTranslation
from alerts.payloads import alert_payload, revision_payload, translation_payload
from alerts.references import reference_normalise
from alerts.search import SEARCH_RANK, alerts_search
from alerts.services import acknowledgements as ack_services
from alerts.services import alerts as services
from alerts.services import translations as translation_services
from alerts.services.reliance import reliance_gaps
from config.query import KnownQueryParameters
from exchange.api.idempotency import IdempotentCreateMixin
from exchange.api.viewsets import MemberScopedMixin, RenderedListMixin
from exchange.choices import Scope
from exchange.errors import NotFound, PermissionRefused, ValidationFailed
from exchange.links import absolute_url
from exchange.models import Member
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404

AckListSerializer = inline_serializer(
    name="AcknowledgementList",
    fields={
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "summary": AckSummarySerializer(),
        "results": AcknowledgementSerializer(many=True),
    },
)


ETAG_HEADER = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="The alert's current ETag, from the ETag header of GET.",
)


class PublishedAlertSerializer(AlertSerializer):
    """The alert as its publisher reads it after publishing or amending."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["reliance_gaps"] = serializers.ListField(
            child=serializers.CharField(), read_only=True,
            help_text="Members whose authorisation of an affected tool relies on yours and who are outside the "
            "audience: widen the distribution to reach them; the service never does it by itself.",
        )
        return fields


def _with_etag(alert: Alert, body: Any, code: int = status.HTTP_200_OK) -> Response:
    return Response(body, status=code, headers={"ETag": alert.etag})


class AlertAcknowledgementActions:
    """Acknowledgement actions of an alert, mixed into AlertViewSet."""

    get_object: Any

    @extend_schema(responses=AcknowledgementSerializer)
    @action(detail=True, methods=["get"], url_path="acknowledgement", pagination_class=None, filter_backends=[])
    def acknowledgement(self, request: Request, pk: str | None = None) -> Response:
        """The caller's member's acknowledgement of this alert (blank if it has not answered)."""
        alert = self.get_object()
        ack = ack_services.acknowledgement_of(alert=alert, member=request_member(request))
        return Response(ack_services.ack_render(ack, alert_id=alert.pk))

    @extend_schema(request=AcknowledgeSerializer, responses=AcknowledgementSerializer)
    @acknowledgement.mapping.put
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Answer for the caller's member. Idempotent: repeating the current answer changes nothing."""
        alert = self.get_object()
        form = AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ack = ack_services.acknowledgement_set(actor=request_user(request), alert=alert, **form.validated_data)
        fresh = ack_services.acknowledgement_of(alert=alert, member=ack.member)
        return Response(ack_services.ack_render(fresh, alert_id=alert.pk))

    @extend_schema(responses=AckListSerializer)
    @action(detail=True, methods=["get"], url_path="acknowledgements", pagination_class=None, filter_backends=[])
    def acknowledgements(self, request: Request, pk: str | None = None) -> Response:
        """For the publisher: every audience member's acknowledgement, with a summary."""
        alert = self.get_object()
        if alert.publisher_id != request_member(request).pk:
            raise PermissionRefused("Only the publishing member sees every member's acknowledgement.")
        acks = ack_services.acknowledgements_of_alert(alert=alert)
        return Response({
            "next": None,
            "previous": None,
            "summary": ack_services.acknowledgements_summary(acks),
            "results": [ack_services.ack_render(ack, alert_id=alert.pk) for ack in acks],
        })

    @extend_schema(request=DeadlineExtensionSerializer, responses=AcknowledgementSerializer)
    @acknowledgements.mapping.patch
    def extend_deadline(self, request: Request, pk: str | None = None) -> Response:
        """For the publisher: extend one member's deadline (`{"member", "deadline"}`)."""
        alert = self.get_object()
        form = DeadlineExtensionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ack = ack_services.acknowledgement_extend_deadline(
            actor=request_user(request), alert=alert, member_code=form.validated_data["member"],
            deadline=form.validated_data["deadline"],
        )
        fresh = ack_services.acknowledgement_of(alert=alert, member=ack.member)
        return Response(ack_services.ack_render(fresh, alert_id=alert.pk))


LANG_PARAMETER = OpenApiParameter(
    "lang", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="A BCP 47 language tag (e.g. fr): adds `localized`, the translation a reader of that language is "
                "shown, or null. Without it, Accept-Language does the same.",
)


@extend_schema_view(
    list=extend_schema(parameters=[LANG_PARAMETER]),
    retrieve=extend_schema(parameters=[LANG_PARAMETER]),
    create=extend_schema(request=AlertInputSerializer, responses={201: AlertSerializer}),
    partial_update=extend_schema(request=AlertInputSerializer, responses=AlertSerializer),
    destroy=extend_schema(responses={204: None}),
)
class AlertViewSet(
    AlertAcknowledgementActions,
    AlertExportActions,
    AlertLinkActions,
    MemberScopedMixin[Alert],
    IdempotentCreateMixin,
    RenderedListMixin[Alert],
    viewsets.GenericViewSet[Alert],
):
    """Safety alerts the caller's member may see (SPEC §3): its own, and released alerts distributed to it."""

    model = Alert
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    query_parameters = ("lang",)
    search_fields = ALERT_SEARCH_FIELDS
    filter_backends = [KnownQueryParameters, DjangoFilterBackend, RankedSearchFilter]
    search_with = staticmethod(alerts_search)
    cursor_rank = SEARCH_RANK
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    required_scopes = {
        "create": Scope.DRAFT,
        "partial_update": Scope.DRAFT,
        "destroy": Scope.DRAFT,
        "publish": Scope.PUBLISH,
        "amend": Scope.PUBLISH,
        "close": Scope.PUBLISH,
        "withdraw": Scope.PUBLISH,
        "acknowledge": Scope.ACKNOWLEDGE,
        "extend_deadline": Scope.PUBLISH,
        "translate": Scope.DRAFT,
        "link_create": Scope.PUBLISH,
        "link_delete": Scope.PUBLISH,
    }
    cursor_ordering: tuple[str, ...] = ("-created_at", "-pk")
    path_id_description = "The alert's id (a UUID) or its reference (e.g. SAX-2026-7K3QZP, or an older SAX-2026-000018)."
    extra_problem_codes = {"amend": ["412", "428"], "partial_update": ["412"]}

    def member_queryset(self, member: Member) -> QuerySet[Alert]:
        return selectors.alerts_with_details(selectors.alerts_visible_to(member=member))

    def get_object(self) -> Alert:
        """By id or by reference: `alerts/SAX-2026-7K3QZP/` is the same alert as `alerts/{id}/`."""
        key = self.kwargs["pk"]
        reference = reference_normalise(key)
        lookup = {"reference": reference} if reference else {"pk": key}
        return one_or_404(self.get_queryset(), detail="No such alert (or not visible to your member).", **lookup)

    def reader_language(self) -> str | None:
        """The reader's language (`?lang=`, else Accept-Language) when it asked for one; a bad `?lang=` is a 400."""
        asked = self.request.query_params.get("lang")
        language = requested_language(query_value=asked, accept_language=self.request.headers.get("Accept-Language"))
        if asked is not None and language is None:
            raise ValidationFailed(
                "lang: not a BCP 47 language tag (e.g. fr, ja, pt-BR).", errors={"lang": ["not a language tag"]}
            )
        return language

    def render_page(self, rows: list[Alert]) -> list[dict[str, Any]]:
        language = self.reader_language()
        return [alert_payload(alert, language=language) for alert in rows]

    def _fresh(self, alert: Alert) -> Alert:
        return selectors.alerts_with_details(Alert.objects.filter(pk=alert.pk)).get()

    def _answer(self, alert: Alert, code: int = status.HTTP_200_OK) -> Response:
        fresh = self._fresh(alert)
        return _with_etag(fresh, alert_payload(fresh, language=self.reader_language()), code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alert = self.get_object()
        return _with_etag(alert, alert_payload(alert, language=self.reader_language()))

    @extend_schema(responses=TranslationSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def translations(self, request: Request, pk: str | None = None) -> Response:
        """Translations of the alert, each signed by the member that wrote it."""
        alert = self.get_object()
        return Response([translation_payload(row) for row in alert.translations.all()])

    @extend_schema(request=TranslationInputSerializer, responses={201: TranslationSerializer, 200: TranslationSerializer})
    @translations.mapping.post
    def translate(self, request: Request, pk: str | None = None) -> Response:
        """Add the caller's member's translation (any member of the audience); posting the same language
        again replaces the member's own translation (200)."""
        alert = self.get_object()
        form = TranslationInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        translation, created = translation_services.translation_add(
            actor=request_user(request), alert=alert, data=dict(form.validated_data)
        )
        fresh = AlertTranslation.objects.select_related("member").get(pk=translation.pk)
        location = absolute_url(request.path)
        return Response(
            translation_payload(fresh), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": location} if created else {},
        )

    def create_object(self, request: Request) -> Response:
        form = AlertInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert = services.alert_draft_create(actor=request_user(request), data=dict(form.validated_data))
        return self._answer(alert, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alert = self.get_object()
        form = AlertInputSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        alert = services.alert_draft_update(
            actor=request_user(request), alert=alert, data=dict(form.validated_data),
            if_match=request.headers.get("If-Match"),
        )
        return self._answer(alert)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.alert_draft_delete(actor=request_user(request), alert=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _answer_to_publisher(self, alert: Alert) -> Response:
        """Publish and amend answers add `reliance_gaps` (SPEC §10.1): for the publisher's eyes only."""
        fresh = self._fresh(alert)
        body = {**alert_payload(fresh), "reliance_gaps": reliance_gaps(alert=fresh)}
        return _with_etag(fresh, body)

    @extend_schema(request=None, responses=PublishedAlertSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        alert = services.alert_publish(actor=request_user(request), alert=self.get_object())
        return self._answer_to_publisher(alert)

    @extend_schema(request=AmendSerializer, responses=PublishedAlertSerializer, parameters=[ETAG_HEADER])
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        form = AmendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        change_summary = data.pop("change_summary")
        material = data.pop("material", False)
        alert = services.alert_amend(
            actor=request_user(request), alert=alert, data=data, change_summary=change_summary,
            material=material, if_match=request.headers.get("If-Match"),
        )
        return self._answer_to_publisher(alert)

    @extend_schema(request=CloseSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        form = CloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert = services.alert_close(actor=request_user(request), alert=alert, resolution=form.validated_data["resolution"])
        return self._answer(alert)

    @extend_schema(request=WithdrawSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        form = WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert = services.alert_withdraw(actor=request_user(request), alert=alert, reason=form.validated_data["reason"])
        return self._answer(alert)

    @extend_schema(responses=RevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], cursor_ordering=("number",))
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        revisions: Any = AlertRevision.objects.filter(alert=alert)  # this action pages revisions, not alerts
        page: Any = self.paginate_queryset(revisions)
        return self.get_paginated_response([revision_payload(row) for row in page])

    @extend_schema(responses=RevisionSerializer)
    @action(detail=True, methods=["get"], url_path=r"revisions/(?P<number>[0-9]{1,6})", filter_backends=[])
    def revision(self, request: Request, pk: str | None = None, number: str | None = None) -> Response:
        alert = self.get_object()
        revision = AlertRevision.objects.filter(alert=alert, number=int(number or 0)).first()
        if revision is None:
            raise NotFound(f"Alert {alert.reference or alert.pk} has no revision {number}.")
        return Response(revision_payload(revision))

    @extend_schema(responses=AlertCountsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def counts(self, request: Request) -> Response:
        """Counts of the alerts the caller may see, after the same filters as the list."""
        queryset = self.filter_queryset(selectors.alerts_visible_to(member=request_member(request)))

        def grouped(field: str) -> dict[str, int]:
            rows = queryset.order_by().values(field).annotate(n=Count("pk"))
            return {row[field]: row["n"] for row in rows}

        by_status = grouped("status")
        return Response({
            "total": sum(by_status.values()),
            "by_status": by_status,
            "by_severity": grouped("severity"),
            "by_type": grouped("alert_type"),
        })


