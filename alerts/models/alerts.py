"""Safety alerts, their immutable revisions, recipients, affected tools and jurisdictions."""

from __future__ import annotations

import uuid

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from alerts.choices import AlertStatus, AlertType, Distribution, Severity
from alerts.models.registry import Tool
from exchange.models import Member, User


class Alert(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    publisher = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="alerts")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.DRAFT)
    revision = models.PositiveIntegerField(default=0, help_text="0 while a draft; 1 once published.")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change: the ETag.")

    language = models.CharField(
        max_length=35, default="en", help_text="BCP 47 tag of the authoritative text."
    )
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    description = models.TextField(blank=True)
    alert_type = models.CharField(max_length=32, choices=AlertType.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    hazard = models.TextField(blank=True)
    harm = models.TextField(blank=True)
    recommended_actions = models.TextField(blank=True)
    imdrf_codes = models.JSONField(default=list, blank=True)
    publisher_reference = models.CharField(max_length=100, blank=True)
    distribution = models.CharField(max_length=16, choices=Distribution.choices, default=Distribution.NETWORK)
    recipients = models.ManyToManyField(Member, through="AlertRecipient", related_name="+")
    tools = models.ManyToManyField(Tool, through="AlertTool", related_name="alerts")

    resolution = models.TextField(blank=True)
    withdrawal_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # PostgreSQL full-text search (SPEC §10.6): written by alerts.services.search with the text, GIN-indexed
    # by migration (PostgreSQL only); always null on the embedded SQLite default, which searches by substring.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=AlertStatus.values), name="alert_status_valid"),
            models.CheckConstraint(condition=models.Q(severity__in=Severity.values), name="alert_severity_valid"),
            models.CheckConstraint(
                condition=models.Q(distribution__in=Distribution.values), name="alert_distribution_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=AlertStatus.DRAFT) | models.Q(reference__isnull=False, revision__gte=1),
                name="alert_published_has_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "distribution", "-published_at"], name="alert_visibility_idx"),
            models.Index(fields=["publisher", "-created_at"], name="alert_publisher_idx"),
            # The publisher's dashboard walks its newest publications (issue #29). Plain DESC (no NULLS
            # LAST, which SQLite's indexes refuse): an alert with answers was published, so has a time.
            models.Index(fields=["publisher", "-published_at", "id"], name="alert_publisher_published_idx"),
            # The dashboard's exact medians match answers to the publisher's released alerts: read from this
            # index alone (19,428 alerts of the busiest publisher at scale 1.0: 21 ms from the table, ~3 here).
            models.Index(fields=["publisher", "status", "id"], name="alert_publisher_status_idx"),
            # The API's list walks the newest alerts (its cursor: -created_at, -id) instead of sorting all.
            models.Index(fields=["-created_at", "-id"], name="alert_recent_idx"),
            # A tool's page lists its newest alerts: walked in this order and probed for the tool, the busiest
            # tool's 50 are read from a few hundred rows instead of sorting its 7,000 (scale 1.0).
            models.Index(fields=["-published_at", "-created_at"], name="alert_published_recent_idx"),
            models.Index(fields=["severity"], name="alert_severity_idx"),
            models.Index(fields=["alert_type"], name="alert_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'draft'} {self.title[:60]}"

    @property
    def etag(self) -> str:
        return f'"{self.pk}-v{self.version}"'


class AlertRecipient(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipient_rows")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "alert"], name="alert_recipient_unique")]


class AlertTool(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="affected_tool_rows")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="+")
    versions = models.CharField(max_length=100, blank=True, help_text="Affected versions, e.g. >=2.0,<2.4")
    fixed_in = models.CharField(max_length=50, blank=True, default="", help_text="The version that fixes it.")
    affected_versions = models.JSONField(default=list, blank=True,
                                         help_text="The registered versions `versions` matched when written, in order.")
    versions_note = models.TextField(blank=True, default="",
                                     help_text="Free-text versions from before specifiers, kept when they do not parse.")

    class Meta:
        ordering = ("id",)
        constraints = [models.UniqueConstraint(fields=["alert", "tool"], name="alert_tool_unique")]
        indexes = [models.Index(fields=["tool", "alert"], name="alert_tool_lookup_idx")]


class AlertJurisdiction(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="jurisdiction_rows")
    jurisdiction = models.CharField(max_length=2)

    class Meta:
        ordering = ("jurisdiction",)
        constraints = [
            models.UniqueConstraint(fields=["alert", "jurisdiction"], name="alert_jurisdiction_unique"),
        ]
        indexes = [models.Index(fields=["jurisdiction", "alert"], name="alert_jurisdiction_idx")]


class AlertRevision(models.Model):
    """One published state of an alert. Written once, never changed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.JSONField(help_text="The alert as published at this revision.")
    change_summary = models.TextField(blank=True)
    material = models.BooleanField(default=True)
    changed_fields = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    signature = models.JSONField(
        null=True, blank=True, help_text='The publisher\'s {"kid", "jws"} over this revision\'s JSON (SPEC §8).'
    )

    class Meta:
        ordering = ("alert", "number")
        constraints = [models.UniqueConstraint(fields=["alert", "number"], name="alert_revision_unique")]


class ReferenceCounter(models.Model):
    """Last reference number allocated per year; locked row-wise so that numbers are gap-free."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
