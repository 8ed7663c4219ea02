"""Acknowledgements: each audience member's answer to an alert (or report), with its history."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.choices import ACK_COMPLETE, AckState, AlertStatus, RelianceDecision
from alerts.models.alerts import Alert
from exchange.models import Member, User


def incomplete_q() -> Q:
    """Not yet `action_taken` or `not_applicable`."""
    return Q(state__isnull=True) | ~Q(state__in=sorted(ACK_COMPLETE))  # sorted: one SQL text, whatever the hash seed


def overdue_q(now: datetime) -> Q:
    """The one rule for "overdue": requested, past its deadline, not complete, about a subject still open
    (a published alert, or a report). `Acknowledgement.is_overdue` says the same for one row."""
    return (
        Q(requested=True, deadline__isnull=False, deadline__lte=now)
        & incomplete_q()
        & (Q(alert__isnull=True) | Q(alert__status=AlertStatus.PUBLISHED))
    )


class AcknowledgementQuerySet(models.QuerySet["Acknowledgement"]):
    def incomplete(self) -> AcknowledgementQuerySet:
        return self.filter(incomplete_q())

    def overdue(self, now: datetime | None = None) -> AcknowledgementQuerySet:
        return self.filter(overdue_q(now or timezone.now()))


class Acknowledgement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own: each foreign key leads a composite index below (alert and report their
    # unique constraints, member the inbox's), which serves every lookup by it; three more indexes
    # only slowed each acknowledgement written (publishing writes one per audience member).
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="acknowledgements", db_index=False
    )
    report = models.ForeignKey(
        "alerts.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="acknowledgements",
        db_index=False,
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="acknowledgements", db_index=False)
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

    objects = AcknowledgementQuerySet.as_manager()

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
            # The requests still open: the dashboard's overdue list walks it by deadline, and its overdue
            # counts subtract those not yet due (a few days of requests) from the kept tallies.
            models.Index(
                fields=["deadline"], name="ack_open_deadline_idx",
                condition=models.Q(requested=True, deadline__isnull=False) & incomplete_q(),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.alert_id}: {self.state}"

    def is_overdue(self, now: datetime | None = None) -> bool:
        """`overdue_q` for this row (reads `alert.status`: select or set the alert with the row)."""
        if not self.requested or self.deadline is None or self.state in ACK_COMPLETE:
            return False
        if self.deadline > (now or timezone.now()):
            return False
        return self.alert_id is None or self.alert is None or self.alert.status == AlertStatus.PUBLISHED


class AcknowledgementEntry(models.Model):
    """One change of an acknowledgement: who, when, to which revision, and the answer after it
    (state, reliance decision, rationale), with the comment given. The last entry of an earlier
    revision is the member's answer to it, which stays readable after a material amendment."""

    acknowledgement = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="history")
    revision = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=AckState.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    by_email = models.CharField(max_length=254, blank=True)
    comment = models.TextField(blank=True)
    decision = models.CharField(max_length=16, choices=RelianceDecision.choices, null=True, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ("at", "id")
