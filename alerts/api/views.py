"""Registry resources: tools and their authorisations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import selectors
from alerts.api.report_serializers import PerformanceSerializer
from alerts.api.serializers import AuthorizationReadSerializer, AuthorizationSerializer, ToolSerializer
from alerts.filters import TOOL_SEARCH_FIELDS, AuthorizationFilter, ToolFilter
from alerts.models import Authorization, Tool
from alerts.performance_selectors import tool_performance
from alerts.services.tools import authorization_record, authorization_update, tool_register, tool_update
from exchange.api.viewsets import CreateListRetrieveViewSet
from exchange.choices import Scope
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404


@extend_schema_view(create=extend_schema(request=ToolSerializer, responses={201: ToolSerializer}))
class ToolViewSet(CreateListRetrieveViewSet[Tool]):
    """The shared registry of AI tools. Any member may register a tool; duplicates are refused (409)."""

    serializer_class = ToolSerializer
    required_scopes = {"create": Scope.DRAFT, "partial_update": Scope.DRAFT}
    filterset_class = ToolFilter
    search_fields = TOOL_SEARCH_FIELDS
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Tool]:
        return selectors.tools_list()

    def get_object(self) -> Tool:
        return one_or_404(selectors.tools_list(), detail="No such tool.", pk=self.kwargs["pk"])

    def create_object(self, request: Request) -> Response:
        form = ToolSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        tool = tool_register(actor=request_user(request), **form.validated_data)
        return Response(ToolSerializer(selectors.tools_list().get(pk=tool.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ToolSerializer, responses=ToolSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tool = self.get_object()
        form = ToolSerializer(tool, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        tool_update(actor=request_user(request), tool=tool, **form.validated_data)
        return Response(ToolSerializer(selectors.tools_list().get(pk=tool.pk)).data)


@extend_schema_view(
    create=extend_schema(request=AuthorizationSerializer, responses={201: AuthorizationReadSerializer}),
)
class AuthorizationViewSet(CreateListRetrieveViewSet[Authorization]):
    """Where a tool is on the market. A member records authorisations for its own jurisdiction only."""

    serializer_class = AuthorizationReadSerializer
    required_scopes = {"create": Scope.PUBLISH, "partial_update": Scope.PUBLISH}
    filterset_class = AuthorizationFilter
    search_fields = ("reference",)
    cursor_ordering = ("jurisdiction",)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_tool(self) -> Tool:
        return one_or_404(Tool.objects.all(), detail="No such tool.", pk=self.kwargs["tool_pk"])

    def get_queryset(self) -> QuerySet[Authorization]:
        if getattr(self, "swagger_fake_view", False):
            return Authorization.objects.none()
        return selectors.authorizations_list(tool=self.get_tool())

    def get_object(self) -> Authorization:
        return one_or_404(self.get_queryset(), detail="No such authorisation of this tool.", pk=self.kwargs["pk"])

    def create_object(self, request: Request) -> Response:
        tool = self.get_tool()
        form = AuthorizationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        authorization = authorization_record(actor=request_user(request), tool=tool, **form.validated_data)
        fresh = selectors.authorizations_list(tool=tool).get(pk=authorization.pk)
        return Response(AuthorizationReadSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AuthorizationSerializer, responses=AuthorizationReadSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        authorization = self.get_object()
        form = AuthorizationSerializer(authorization, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        authorization_update(actor=request_user(request), authorization=authorization, **form.validated_data)
        fresh = selectors.authorizations_list(tool=authorization.tool).get(pk=authorization.pk)
        return Response(AuthorizationReadSerializer(fresh).data)


class ToolPerformanceView(GenericAPIView[Tool]):
    """The tool's pooled real-world performance, per metric and period, beside the declared baselines.

    Pools only the published, current reports the caller may see.
    """

    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(responses=PerformanceSerializer, parameters=[OpenApiParameter(
        "version", str, description="Only the reports on this version (a registered version where the tool has any)."
    )])
    def get(self, request: Request, pk: str) -> Response:
        tool = one_or_404(Tool.objects.all(), detail="No such tool.", pk=pk)
        version = request.query_params.get("version") or None
        return Response(tool_performance(tool=tool, member=request_member(request), version=version))
