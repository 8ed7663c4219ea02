"""Tool versions (register, list in version order, withdraw) and an alert's fix check (SPEC §10.2)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors
from alerts.fixcheck_selectors import alert_fix_check
from alerts.models import Tool, ToolVersion
from alerts.references import reference_normalise
from alerts.services.versions import tool_version_register, tool_version_withdraw, tool_versions
from exchange.api.idempotency import created_location, idempotent
from exchange.choices import Scope
from exchange.permissions import request_member, request_user
from exchange.selectors import one_or_404


class PccpSerializer(serializers.Serializer[Any]):
    authorised_by = serializers.CharField(max_length=16, help_text="The code of the member whose PCCP it was.")
    reference = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")


class ToolVersionSerializer(serializers.ModelSerializer[ToolVersion]):
    tool = serializers.UUIDField(source="tool_id", read_only=True)
    version = serializers.CharField(max_length=50, help_text="e.g. 3.4.0; unique per tool.")
    released_on = serializers.DateField(required=False, allow_null=True, default=None)
    change_summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    significant = serializers.BooleanField(required=False, default=False)
    pccp = PccpSerializer(required=False, allow_null=True, default=None,
                          help_text="The change was made under this regulator's change control plan.")
    registered_by = serializers.CharField(source="registered_by.code", read_only=True)

    class Meta:
        model = ToolVersion
        fields = ("id", "tool", "version", "released_on", "change_summary", "significant", "pccp", "withdrawn",
                  "withdrawn_reason", "withdrawn_at", "registered_by", "created_at")
        read_only_fields = ("id", "tool", "withdrawn", "withdrawn_reason", "withdrawn_at", "registered_by",
                            "created_at")
        validators: list[Any] = []  # uniqueness is the service's to judge (409 naming the version)


class VersionWithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000)


VersionListSerializer = inline_serializer(
    name="ToolVersionList",
    fields={"next": serializers.CharField(allow_null=True), "previous": serializers.CharField(allow_null=True),
            "results": ToolVersionSerializer(many=True)},
)


class FixSideSerializer(serializers.Serializer[Any]):
    value = serializers.FloatField()
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    reports = serializers.IntegerField()
    sample = serializers.IntegerField()


class FixMetricSerializer(serializers.Serializer[Any]):
    metric = serializers.CharField()
    lower_is_better = serializers.BooleanField()
    affected = FixSideSerializer(allow_null=True)
    fixed = FixSideSerializer(allow_null=True)
    difference = serializers.FloatField(allow_null=True, help_text="fixed − affected.")
    verdict = serializers.ChoiceField(choices=["improved", "not_improved", "insufficient_evidence"])


class FixCheckSerializer(serializers.Serializer[Any]):
    alert = serializers.UUIDField()
    tool = serializers.UUIDField(allow_null=True)
    fixed_in = serializers.CharField(allow_null=True)
    affected_versions = serializers.ListField(child=serializers.CharField(), required=False)
    metrics = FixMetricSerializer(many=True)


def _tool(pk: str) -> Tool:
    return one_or_404(Tool.objects.all(), detail="No such tool.", pk=pk)


class ToolVersionListView(APIView):
    """A tool's versions in version order; any member may register one."""

    required_scopes = {"POST": Scope.DRAFT}

    @extend_schema(operation_id="tools_versions_list", responses=VersionListSerializer)
    def get(self, request: Request, tool_pk: str) -> Response:
        rows = tool_versions(_tool(tool_pk))
        registered = {row.pk: row for row in ToolVersion.objects.filter(pk__in=[r.pk for r in rows])
                      .select_related("registered_by")}
        data = ToolVersionSerializer([registered[r.pk] for r in rows], many=True).data
        return Response({"next": None, "previous": None, "results": data})

    @extend_schema(operation_id="tools_versions_create", request=ToolVersionSerializer,
                   responses={201: ToolVersionSerializer})
    def post(self, request: Request, tool_pk: str) -> Response:
        tool = _tool(tool_pk)

        def produce() -> Response:
            form = ToolVersionSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            row = tool_version_register(actor=request_user(request), tool=tool, **form.validated_data)
            return Response(ToolVersionSerializer(row).data, status=status.HTTP_201_CREATED)

        response = idempotent(request, produce)
        if response.status_code == status.HTTP_201_CREATED:
            response["Location"] = created_location(request, response.data["id"])
        return response


class ToolVersionWithdrawView(APIView):
    """Mark a mistaken version withdrawn, with a reason (versions are never edited or removed)."""

    required_scopes = {"POST": Scope.DRAFT}

    @extend_schema(operation_id="tools_versions_withdraw_create", request=VersionWithdrawSerializer,
                   responses=ToolVersionSerializer)
    def post(self, request: Request, tool_pk: str, pk: str) -> Response:
        row = one_or_404(ToolVersion.objects.filter(tool_id=_tool(tool_pk).pk), detail="No such version of this tool.",
                         pk=pk)
        form = VersionWithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        row = tool_version_withdraw(actor=request_user(request), tool_version=row, reason=form.validated_data["reason"])
        return Response(ToolVersionSerializer(row).data)


class AlertFixCheckView(APIView):
    """Did the fix work? Affected versions against `fixed_in` and later, from the reports the caller may see."""

    path_id_description = "The alert's id (a UUID) or its reference (e.g. SAX-2026-000018)."

    @extend_schema(operation_id="alerts_fix_check_retrieve", responses=FixCheckSerializer)
    def get(self, request: Request, pk: str) -> Response:
        member = request_member(request)
        reference = reference_normalise(pk)
        lookup = {"reference": reference} if reference else {"pk": pk}
        alert = one_or_404(selectors.alerts_visible_to(member=member),
                           detail="No such alert (or not visible to your member).", **lookup)
        return Response(alert_fix_check(alert=alert, member=member))
