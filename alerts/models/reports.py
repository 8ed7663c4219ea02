"""Real-world performance reports, their metrics and subgroups; signals raised from them."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from alerts.choices import Distribution, Metric, ReportStatus, SignalKind, SignalStatus
from alerts.models.registry import Tool
from exchange.models import Member, User


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    publisher = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="reports")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="reports")
    tool_version = models.CharField(max_length=50)
    period_start = models.DateField()
    period_end = models.DateField()
    setting = models.CharField(max_length=300)
    country = models.CharField(max_length=2)
    population = models.CharField(max_length=300, blank=True)
    sample_size = models.PositiveIntegerField()
    method = models.TextField(blank=True)
    data_source = models.TextField(blank=True)
    distribution = models.CharField(max_length=16, choices=Distribution.choices, default=Distribution.NETWORK)
    recipients = models.ManyToManyField(Member, through="ReportRecipient", related_name="+")
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    supersede_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    signed_content = models.JSONField(
        null=True, blank=True, help_text="The report's JSON as it was published: what `signature` signs."
    )
    signature = models.JSONField(null=True, blank=True, help_text='The publisher\'s {"kid", "jws"} (SPEC §8).')
    # Full-text search on PostgreSQL (see Alert.search_vector): written by alerts.services.search.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # Counted in the tool's PooledCell sums (alerts.services.pooled): published and superseded by no
    # published correction. False for every other report — and for rows written around the service
    # (COPY): the pooled trend reads those live.
    pooled = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="report_period_valid"),
            models.CheckConstraint(condition=models.Q(status__in=ReportStatus.values), name="report_status_valid"),
            # Supersession is check-then-act in the service; the database makes "one published
            # correction per report" true whatever the interleaving.
            models.UniqueConstraint(
                fields=["supersedes"], condition=models.Q(status=ReportStatus.PUBLISHED, supersedes__isnull=False),
                name="report_one_published_correction",
            ),
        ]
        indexes = [
            models.Index(fields=["tool", "status"], name="report_tool_idx"),
            # The incremental signal sweep: has this tool's evidence changed since its last evaluation?
            models.Index(fields=["tool", "updated_at"], name="report_tool_updated_idx"),
            models.Index(fields=["status", "distribution"], name="report_visibility_idx"),
            # The pooled trend's live part: the tool's published reports outside its PooledCell sums.
            models.Index(fields=["tool"], condition=models.Q(status=ReportStatus.PUBLISHED, pooled=False),
                         name="report_unpooled_idx"),
            models.Index(fields=["tool"], condition=models.Q(supersedes__isnull=False), name="report_correction_idx"),
            # The tool page's most recent reports: walked in order, not every report of the tool sorted.
            models.Index(fields=["tool", "-period_end", "-created_at"], name="report_tool_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.tool_id}"


class PooledCell(models.Model):
    """Sums over one tool's pooled reports (Report.pooled) of one audience class for one metric,
    version, half-year and subgroup (label null: the whole population): what alerts.stats.pool
    needs, kept by alerts.services.pooled in the transaction that publishes a report or its
    correction. Audience class: `member` null — network and public reports, seen by every active
    member; `member` M — restricted reports M publishes or receives (one row per member of the
    report's audience)."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, null=True, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=32)
    version = models.CharField(max_length=50)
    period = models.CharField(max_length=10)
    label = models.CharField(max_length=100, null=True)
    rows = models.IntegerField(default=0, help_text="Metric rows summed (a cell of none is no cell).")
    sane = models.IntegerField(default=0, help_text="Rows pool() keeps (finite, within SANE_LIMIT).")
    counted = models.IntegerField(default=0, help_text="Of those, rows with numerator and denominator.")
    k = models.BigIntegerField(default=0, help_text="Σ numerator of the sane rows.")
    n = models.BigIntegerField(default=0, help_text="Σ denominator of the sane rows (the pooled sample).")
    weighted = models.IntegerField(default=0, help_text="Sane rows with an inverse-variance weight.")
    sw = models.FloatField(default=0.0, help_text="Σ w over the weighted rows.")
    swx = models.FloatField(default=0.0, help_text="Σ w·value over the weighted rows.")
    sx = models.FloatField(default=0.0, help_text="Σ value over the sane rows (the plain mean).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tool", "member", "metric", "version", "period", "label"],
                                               nulls_distinct=False, name="pooled_cell_unique")]


class PooledVersion(models.Model):
    """How many pooled reports (Report.pooled) a tool has per version and audience class (as
    PooledCell's): the trend's `reports`."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, null=True, on_delete=models.CASCADE, related_name="+")
    version = models.CharField(max_length=50)
    reports = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tool", "member", "version"], nulls_distinct=False,
                                               name="pooled_version_unique")]


class ReportRecipient(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="recipient_rows")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "report"], name="report_recipient_unique")]


class ReportSubgroup(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="subgroups")
    label = models.CharField(max_length=100)
    dimension = models.CharField(max_length=50, blank=True, help_text="age band, sex, ethnicity, site, …")

    class Meta:
        ordering = ("id",)
        constraints = [models.UniqueConstraint(fields=["report", "label"], name="report_subgroup_unique")]


class ReportMetric(models.Model):
    """One measured metric, of the whole report population (subgroup null) or of one subgroup."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="metrics")
    subgroup = models.ForeignKey(ReportSubgroup, null=True, blank=True, on_delete=models.CASCADE, related_name="metrics")
    metric = models.CharField(max_length=32, choices=Metric.choices)
    value = models.FloatField()
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    ci_method = models.CharField(max_length=16, blank=True, help_text="'reported' or 'wilson' (computed).")
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=["metric"], name="report_metric_idx")]


class Signal(models.Model):
    """Raised by the service when pooled evidence is credibly worse than a baseline or the whole."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="signals")
    metric = models.CharField(max_length=32, choices=Metric.choices)
    kind = models.CharField(max_length=20, choices=SignalKind.choices)
    subgroup = models.CharField(max_length=100, blank=True, help_text="Subgroup label, for subgroup signals.")
    version = models.CharField(max_length=50, null=True, blank=True,
                               help_text="The tool version the evidence is about; null: all versions.")
    period = models.CharField(max_length=10, blank=True, default="",
                              help_text="The reporting period the evidence is about (e.g. 2026-H1); blank: all.")
    status = models.CharField(max_length=16, choices=SignalStatus.choices, default=SignalStatus.OPEN)
    reference_value = models.FloatField(help_text="The baseline (or the whole's pooled value) compared against.")
    reference_source = models.CharField(max_length=200, blank=True)
    pooled_value = models.FloatField()
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    sample = models.PositiveIntegerField(default=0, help_text="Pooled denominator, where counts were given.")
    reports = models.ManyToManyField(Report, related_name="signals")
    # `selectors.report_ids_digest` of `reports`, kept beside the links as they are written
    # (alerts.services.signal_links): an evaluation compares and updates report sets by them.
    evidence_count = models.PositiveIntegerField(default=0, editable=False)
    evidence_digest = models.BigIntegerField(default=0, editable=False)
    # Written with its links before the evaluation that raises it takes the chain lock, and shown
    # nowhere (no view, no event, no request's subject) until that evaluation raises it — or deleted
    # (alerts.services.signals: a new signal's links are not written while every audited write waits).
    prepared = models.BooleanField(default=False, editable=False)
    margin = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-updated_at",)

    def __str__(self) -> str:
        return f"Signal {self.kind} {self.metric} on {self.tool_id}"

    # What the viewing member is shown: `signals_visible_to` annotates its own view's state.
    @property
    def shown_status(self) -> str:
        return getattr(self, "viewer_status", None) or self.status

    @property
    def shown_closed_at(self) -> Any:
        if getattr(self, "viewer_status", None) is None:
            return self.closed_at
        return getattr(self, "viewer_closed_at", None)


class SignalView(models.Model):
    """One member's view of a signal (SPEC §2: a signal shown to a member rests only on reports it may see).

    Signals are evaluated once per distinct set of evidence members may see, and one signal row is
    shared by every member whose evidence yields the same finding. Each member's view opens when its
    own evidence raises the finding and closes when its own evidence no longer supports it, so a
    report hidden from a member never closes, changes or raises what that member sees.
    """

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="views")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=SignalStatus.choices, default=SignalStatus.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signal", "member"], name="signal_view_unique")]
        indexes = [models.Index(fields=["member", "status"], name="signal_view_member_idx")]
