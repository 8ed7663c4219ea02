"""Performance reports, their acknowledgement and CSV import; signals; a tool's pooled trend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from alerts import selectors
from alerts.api.ack_serializers import AcknowledgeSerializer
from alerts.api.alert_serializers import AlertSerializer
from alerts.api.report_import import report_input_validate
from alerts.api.report_serializers import (
    ImportResultSerializer,
    ReportAcknowledgementSerializer,
    ReportInputSerializer,
    ReportSerializer,
    SignalSerializer,
)
from alerts.api.search import RankedSearchFilter
from alerts.choices import ReportStatus
from alerts.filters import REPORT_SEARCH_FIELDS, ReportFilter, SignalFilter
from alerts.models import Acknowledgement, Alert, Report, Signal
from alerts.payloads import alert_payload, report_payload, signal_payload
from alerts.report_csv import CSV_CHUNK, text_lines
from alerts.search import SEARCH_RANK, reports_search
from alerts.services import reports as report_services
from alerts.services.acknowledgements import ack_render
from alerts.services.report_import import reports_import
from alerts.services.signals import signal_draft_alert
from config.query import KnownQueryParameters
from exchange.api.idempotency import IdempotentCreateMixin
from exchange.api.viewsets import MemberScopedMixin, RenderedListMixin
from exchange.choices import Scope
from exchange.links import absolute_url
from exchange.models import Member
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404


class CsvParser(parsers.BaseParser):
    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Streamed: the import reads line by line (the body's size is bounded by API_MAX_BODY_BYTES).
        if stream is None:
            return text_lines([])
        return text_lines(iter(lambda: stream.read(CSV_CHUNK), b""))


@extend_schema_view(
    create=extend_schema(request=ReportInputSerializer, responses={201: ReportSerializer}),
    destroy=extend_schema(responses={204: None}),
)
class ReportViewSet(
    MemberScopedMixin[Report], IdempotentCreateMixin, RenderedListMixin[Report], viewsets.GenericViewSet[Report]
):
    """Real-world performance reports the caller's member may see (the same rules as alerts)."""

    model = Report
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    search_fields = REPORT_SEARCH_FIELDS
    filter_backends = [KnownQueryParameters, DjangoFilterBackend, RankedSearchFilter]
    search_with = staticmethod(reports_search)
    cursor_rank = SEARCH_RANK
    http_method_names = ["get", "post", "put", "delete", "head", "options"]
    required_scopes = {
        "create": Scope.DRAFT,
        "destroy": Scope.DRAFT,
        "publish": Scope.PUBLISH,
        "acknowledge": Scope.ACKNOWLEDGE,
        "import_csv": Scope.PUBLISH,
    }

    def member_queryset(self, member: Member) -> QuerySet[Report]:
        return selectors.reports_with_details(selectors.reports_visible_to(member=member))

    def get_object(self) -> Report:
        return one_or_404(self.get_queryset(), detail="No such report (or not visible to your member).", pk=self.kwargs["pk"])

    def render_page(self, rows: list[Report]) -> list[dict[str, Any]]:
        return [report_payload(report) for report in rows]

    def _answer(self, report: Report, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.reports_with_details(Report.objects.filter(pk=report.pk)).get()
        return Response(report_payload(fresh), status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(report_payload(self.get_object()))

    def create_object(self, request: Request) -> Response:
        form = ReportInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = report_services.report_draft_create(
            actor=request_user(request), member=request_member(request), data=dict(form.validated_data),
        )
        return self._answer(report, status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report_services.report_draft_delete(actor=request_user(request), report=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        report = report_services.report_publish(
            actor=request_user(request), member=request_member(request), report=self.get_object(),
        )
        return self._answer(report)

    @extend_schema(responses=ReportAcknowledgementSerializer)
    @action(detail=True, methods=["get"], url_path="acknowledgement", pagination_class=None, filter_backends=[])
    def acknowledgement(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        member = request_member(request)
        ack = (
            Acknowledgement.objects.select_related("member").prefetch_related("history")
            .filter(report=report, member=member).first()
        ) or Acknowledgement(report=report, member=member, revision=1)
        return Response(ack_render(ack))

    @extend_schema(request=AcknowledgeSerializer, responses=ReportAcknowledgementSerializer)
    @acknowledgement.mapping.put
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        form = AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ack = report_services.report_acknowledge(actor=request_user(request), report=report, **form.validated_data)
        fresh = Acknowledgement.objects.select_related("member").prefetch_related("history").get(pk=ack.pk)
        return Response(ack_render(fresh))

    @extend_schema(
        request={
            "text/csv": OpenApiTypes.STR,
            "multipart/form-data": inline_serializer("ReportImportUpload", fields={"file": serializers.FileField()}),
        },
        responses={201: ImportResultSerializer},
        description="Upload a CSV (Content-Type: text/csv, or multipart with a `file` field). All or nothing: "
        "any problem refuses the whole file, with every problem listed by line under `errors`.",
    )
    @action(detail=False, methods=["post"], url_path="import",
            parser_classes=[CsvParser, parsers.MultiPartParser])
    def import_csv(self, request: Request) -> Response:
        data: Any = request.data
        if isinstance(data, Iterator):
            lines = data
        else:
            upload = data.get("file") if hasattr(data, "get") else None
            if upload is None or not hasattr(upload, "chunks"):
                raise ParseError("Send the CSV as the body (Content-Type: text/csv) or as a multipart `file` field.")
            lines = text_lines(upload.chunks(CSV_CHUNK))
        created = reports_import(actor=request_user(request), member=request_member(request), text=lines,
                                 validate=report_input_validate)
        # An import creates several reports: Location names the first, `reports` lists them all.
        return Response(
            {"created": len(created), "published": sum(1 for r in created if r.status == ReportStatus.PUBLISHED),
             "reports": [str(r.pk) for r in created]},
            status=status.HTTP_201_CREATED,
            headers={"Location": absolute_url(reverse("report-detail", args=[created[0].pk]))}
            if created else None,
        )


class SignalViewSet(MemberScopedMixin[Signal], RenderedListMixin[Signal], viewsets.GenericViewSet[Signal]):
    """Signals raised by the service, visible to members that can see every report behind them."""

    model = Signal
    serializer_class = SignalSerializer
    filterset_class = SignalFilter
    search_fields = ("tool__name", "tool__manufacturer", "metric", "subgroup")
    cursor_ordering = ("-updated_at", "-pk")
    required_scopes = {"draft_alert": Scope.PUBLISH}

    def member_queryset(self, member: Member) -> QuerySet[Signal]:
        return selectors.signals_visible_to(member=member).prefetch_related(selectors.signal_report_ids())

    def get_object(self) -> Signal:
        return one_or_404(self.get_queryset(), detail="No such signal (or not visible to your member).", pk=self.kwargs["pk"])

    def render_page(self, rows: list[Signal]) -> list[dict[str, Any]]:
        return [signal_payload(signal) for signal in rows]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(signal_payload(self.get_object()))

    @extend_schema(request=None, responses={201: AlertSerializer})
    @action(detail=True, methods=["post"], url_path="draft-alert")
    def draft_alert(self, request: Request, pk: str | None = None) -> Response:
        """Create a draft alert pre-filled with the evidence; distributed no wider than the evidence."""
        alert = signal_draft_alert(actor=request_user(request), signal=self.get_object())
        fresh = selectors.alerts_with_details(Alert.objects.filter(pk=alert.pk)).get()
        location = absolute_url(reverse("alert-detail", args=[fresh.pk]))
        return Response(alert_payload(fresh), status=status.HTTP_201_CREATED,
                        headers={"ETag": fresh.etag, "Location": location})
