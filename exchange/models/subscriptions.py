"""Subscriptions, the terms the matching query reads, and the webhook endpoints they deliver to."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from exchange.models.members import Member


class Dimension(models.IntegerChoices):
    """A list filter of a subscription that is matched through `SubscriptionTerm` rows."""

    ALERT_TYPE = 1, "alert type"
    TOOL = 2, "tool"
    MANUFACTURER = 3, "manufacturer"
    CLINICAL_AREA = 4, "clinical area"
    JURISDICTION = 5, "affected jurisdiction"
    PUBLISHER = 6, "publishing member"


class Subscription(models.Model):
    """What one member wants to hear about, and through which channels (SPEC §2, Appendix A).

    The list filters are kept twice: as JSON lists, to read back as they were given, and as
    `SubscriptionTerm` rows plus `term_mask` (one bit per filtered dimension), so that the
    database finds the recipients of an event in one indexed query.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="subscriptions")
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True, help_text="A paused subscription matches nothing.")
    event_types = models.JSONField(default=list, blank=True)
    event_type_mask = models.BigIntegerField(default=0, help_text="OR of the wanted types' bits; 0 = every type.")
    alert_types = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(max_length=16, null=True, blank=True)
    min_severity_rank = models.PositiveSmallIntegerField(default=0)
    tools = models.JSONField(default=list, blank=True)
    manufacturers = models.JSONField(default=list, blank=True)
    clinical_areas = models.JSONField(default=list, blank=True)
    jurisdictions = models.JSONField(default=list, blank=True)
    publishers = models.JSONField(default=list, blank=True)
    authorised_in_my_jurisdiction = models.BooleanField(default=False)
    term_mask = models.IntegerField(default=0, help_text="One bit per dimension that has a filter.")
    email_recipients = models.JSONField(default=list, blank=True)
    webhook_endpoints: models.ManyToManyField[WebhookEndpoint, SubscriptionEndpoint] = models.ManyToManyField(
        "WebhookEndpoint", through="SubscriptionEndpoint", related_name="subscriptions", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="subscription_member_idx"),
            # Matching, for subscriptions without a list filter that applies: a covering index scan.
            models.Index(
                fields=["term_mask", "min_severity_rank"],
                include=["event_type_mask", "member", "authorised_in_my_jurisdiction", "id"],
                name="subscription_match_idx",
                condition=models.Q(active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_severity_rank__gte=0, min_severity_rank__lte=4),
                name="subscription_min_severity_rank_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.name}"


class SubscriptionTerm(models.Model):
    """One value of one list filter of a subscription: what the matching query looks up.

    `key` is "<dimension>:<value>", so that all the values an event carries are looked up with one
    `key IN (...)` index scan. The subscription's scalar conditions are copied onto its terms
    (rewritten with them by the subscriptions service), so matching reads the covering index only.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="terms")
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    key = models.CharField(max_length=210)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    active = models.BooleanField()
    event_type_mask = models.BigIntegerField()
    min_severity_rank = models.PositiveSmallIntegerField()
    term_mask = models.IntegerField()
    authorised_in_my_jurisdiction = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"], name="subscription_term_unique"),
        ]
        indexes = [
            models.Index(
                fields=["key"],
                include=[
                    "subscription", "member", "dimension", "event_type_mask", "min_severity_rank",
                    "term_mask", "authorised_in_my_jurisdiction",
                ],
                name="subscription_term_match_idx",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(models.Model):
    """A member's receiver of signed webhooks (SPEC §5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success (auto-disable clock)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="endpoint_member_idx"),
            models.Index(
                fields=["failing_since"], name="endpoint_failing_idx",
                condition=models.Q(enabled=True, failing_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.url


class SubscriptionEndpoint(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="endpoint_links")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="subscription_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "endpoint"], name="subscription_endpoint_unique"),
        ]
