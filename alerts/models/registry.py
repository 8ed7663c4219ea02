"""The content's tables: the AI tool registry (tools, identifiers, authorisations, baselines)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from alerts.choices import (
    AuthorizationRoute,
    AuthorizationStatus,
    AuthorizationValidity,
    ClinicalArea,
    Metric,
    ReviewStatus,
    ReviewTrigger,
)
from exchange.models import Member


class Tool(models.Model):
    """One AI medical product in the shared registry."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=200)
    intended_purpose = models.TextField(blank=True)
    clinical_area = models.CharField(max_length=32, choices=ClinicalArea.choices)
    registered_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    signals_evaluated_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When signals_evaluate last began on this tool: the incremental sweep skips a tool whose "
                  "evidence has not changed since (alerts.services.signals.signals_sweep).")

    class Meta:
        ordering = ("name",)
        constraints = [
            # Names are stored trimmed; the registry refuses the same tool twice whatever the case.
            models.UniqueConstraint(Lower("manufacturer"), Lower("name"), name="tool_manufacturer_name_unique"),
        ]
        indexes = [
            models.Index(fields=["clinical_area"], name="tool_area_idx"),
            models.Index(Lower("manufacturer"), name="tool_manufacturer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.manufacturer})"


class ToolIdentifier(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(max_length=64)
    value = models.CharField(max_length=128)

    class Meta:
        ordering = ("system", "value")
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="tool_identifier_unique")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class Authorization(models.Model):
    """The tool is on the market in one jurisdiction, with the performance it declared there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="authorizations")
    jurisdiction = models.CharField(max_length=2)
    reference = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=AuthorizationStatus.choices, default=AuthorizationStatus.AUTHORISED)
    date = models.DateField()
    versions = models.CharField(max_length=100, blank=True, default="",
                                help_text="The versions authorised (a specifier, SPEC §10.2); empty: all.")
    recorded_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # SPEC §10.1: granted on the member's own assessment, or by reliance on another member's
    # (independent) authorisation of the same tool. The service checks the rules and names the field.
    route = models.CharField(max_length=16, choices=AuthorizationRoute.choices, default=AuthorizationRoute.INDEPENDENT)
    relies_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="relying",
    )
    validity = models.CharField(max_length=32, choices=AuthorizationValidity.choices, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("jurisdiction",)
        constraints = [
            models.UniqueConstraint(fields=["tool", "jurisdiction"], name="authorization_tool_jurisdiction_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=AuthorizationStatus.values), name="authorization_status_valid"
            ),
            # A reliance authorisation names its reference and validity; an independent one neither.
            models.CheckConstraint(
                condition=(
                    models.Q(route=AuthorizationRoute.INDEPENDENT, relies_on__isnull=True, validity__isnull=True)
                    | models.Q(
                        route=AuthorizationRoute.RELIANCE, relies_on__isnull=False,
                        validity__in=AuthorizationValidity.values,
                    )
                ),
                name="authorization_route_consistent",
            ),
            models.CheckConstraint(condition=~models.Q(relies_on=models.F("pk")), name="authorization_not_self_reliant"),
        ]
        indexes = [models.Index(fields=["jurisdiction", "status"], name="authorization_jur_idx")]

    def __str__(self) -> str:
        return f"{self.tool_id} in {self.jurisdiction}"

    @property
    def is_reference_lapsed(self) -> bool:
        """`reference_lapsed` for templates: the rule is `reference_lapsed` below."""
        return reference_lapsed(self)


def reference_lapsed(authorization: Authorization) -> bool:
    """The one rule for `reference_lapsed` (SPEC §10.1): a follows_reference authorisation whose
    reference is suspended or withdrawn, until its own review of that change is decided.

    Reads the `latest_change_review_status` annotation of `alerts.selectors.authorizations_with_reliance`
    when present (no query), else asks the database.
    """
    if authorization.route != AuthorizationRoute.RELIANCE or authorization.validity != AuthorizationValidity.FOLLOWS_REFERENCE:
        return False
    reference = authorization.relies_on
    if reference is None or reference.status == AuthorizationStatus.AUTHORISED:
        return False
    if hasattr(authorization, "latest_change_review_status"):
        latest = authorization.latest_change_review_status
    else:
        latest = (
            authorization.reliance_reviews.filter(authorization=authorization, trigger_kind=ReviewTrigger.AUTHORISATION_CHANGE)
            .order_by("-opened_at").values_list("status", flat=True).first()
        )
    return latest != ReviewStatus.DECIDED



class BaselineMetric(models.Model):
    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="baseline")
    metric = models.CharField(max_length=32, choices=Metric.choices)
    value = models.FloatField()

    class Meta:
        ordering = ("metric",)
        constraints = [
            models.UniqueConstraint(fields=["authorization", "metric"], name="baseline_metric_unique"),
        ]
