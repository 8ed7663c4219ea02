"""Reliance reviews (SPEC §10.1): a relying member's decision, on the record, when its reference acts."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.choices import ReviewOutcome, ReviewStatus, ReviewTrigger
from alerts.models.alerts import Alert
from alerts.models.registry import Authorization
from exchange.models import Member, User


def review_overdue_q(now: datetime | None = None) -> Q:
    """The one rule for "overdue": an open review past its deadline."""
    return Q(status=ReviewStatus.OPEN, deadline__lt=now or timezone.now())


class RelianceReviewQuerySet(models.QuerySet["RelianceReview"]):
    def overdue(self, now: datetime | None = None) -> RelianceReviewQuerySet:
        return self.filter(review_overdue_q(now))


class RelianceReview(models.Model):
    """One relying authorisation's review of one trigger: an alert revision, or a change of its reference."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="reliance_reviews")
    reference_authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="+")
    relying_member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    reference_member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    trigger_kind = models.CharField(max_length=24, choices=ReviewTrigger.choices)
    # What makes a trigger one trigger: `alert:<id>:<revision>` or `change:<event id>`.
    trigger_key = models.CharField(max_length=120)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    alert_revision = models.PositiveIntegerField(null=True, blank=True)
    trigger_from = models.CharField(max_length=64, blank=True, default="")
    trigger_to = models.CharField(max_length=64, blank=True, default="")
    severity = models.CharField(max_length=16, blank=True, default="")
    opened_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, null=True, blank=True)
    rationale = models.TextField(blank=True, default="")
    versions = models.CharField(max_length=200, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_email = models.CharField(max_length=254, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = RelianceReviewQuerySet.as_manager()

    class Meta:
        ordering = ("deadline", "opened_at")
        constraints = [
            # One review per relying authorisation and trigger, also when two triggers race.
            models.UniqueConstraint(fields=["authorization", "trigger_key"], name="reliance_review_one_per_trigger"),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.OPEN, outcome__isnull=True)
                | Q(status=ReviewStatus.DECIDED, outcome__in=ReviewOutcome.values),
                name="reliance_review_outcome_when_decided",
            ),
        ]
        indexes = [
            models.Index(fields=["relying_member", "status", "deadline"], name="reliance_review_relying_idx"),
            models.Index(fields=["reference_member", "status"], name="reliance_review_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"review of {self.authorization_id} ({self.trigger_key})"

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.status == ReviewStatus.OPEN and self.deadline < (now or timezone.now())


def latest_change_review_status() -> models.Subquery:
    """The status of an authorisation's latest review of a change of its reference (an annotation)."""
    return models.Subquery(
        RelianceReview.objects.filter(
            authorization=models.OuterRef("pk"), trigger_kind=ReviewTrigger.AUTHORISATION_CHANGE,
        ).order_by("-opened_at").values("status")[:1]
    )
