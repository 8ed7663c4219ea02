"""Acknowledgements: each audience member's answer to an alert (or report), with its history."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from alerts.choices import AckState, RelianceDecision
from alerts.models.alerts import Alert
from exchange.models import Member, User


class Acknowledgement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="acknowledgements")
    report = models.ForeignKey(
        "alerts.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="acknowledgements")
    revision = models.PositiveIntegerField(default=1, help_text="The revision this answer is about.")
    state = models.CharField(max_length=16, choices=AckState.choices, null=True, blank=True)
    requested = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=RelianceDecision.choices, null=True, blank=True)
    rationale = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="First answer to this revision.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("member__code",)
        constraints = [
            models.UniqueConstraint(fields=["alert", "member"], name="ack_alert_member_unique"),
            models.UniqueConstraint(fields=["report", "member"], name="ack_report_member_unique"),
            models.CheckConstraint(
                condition=models.Q(alert__isnull=False, report__isnull=True)
                | models.Q(alert__isnull=True, report__isnull=False),
                name="ack_one_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "requested", "state"], name="ack_inbox_idx"),
            models.Index(
                fields=["deadline"], name="ack_overdue_idx",
                condition=models.Q(requested=True, overdue_notified_at__isnull=True, deadline__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.alert_id}: {self.state}"


class AcknowledgementEntry(models.Model):
    """One change of an acknowledgement: who, when, which state, with what comment."""

    acknowledgement = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="history")
    revision = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=AckState.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    by_email = models.CharField(max_length=254, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ("at", "id")
