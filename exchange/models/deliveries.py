"""Deliveries of events to webhook endpoints and e-mail addresses, and their attempts."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from exchange.choices import Channel, DeliveryState
from exchange.models.events import Event
from exchange.models.members import Member
from exchange.models.subscriptions import WebhookEndpoint


class Delivery(models.Model):
    """One message of one event to one webhook endpoint or one e-mail address (SPEC §2, §5).

    Created in bulk by fan-out with unique keys, so a re-run adds nothing. Attempts are scheduled
    from `next_attempt_at`; a worker holds a delivery by its lease, which expires if it dies.
    The delivery id is the message's `webhook-id`, stable across retries and redeliveries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes on the foreign keys: the (event, endpoint), (member, created_at) and
    # (endpoint, created_at) indexes below lead with them, and every index of this table is written
    # again by each non-HOT update of a delivery (claim, record) — the fan-out path's main cost.
    # No event for an e-mail written to one person (exchange.models.PersonalEmail: a digest tells of many).
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    email = models.EmailField(max_length=254, blank=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    schedule_position = models.PositiveIntegerField(
        default=0, help_text="Attempts made since the delivery was (re)scheduled: the retry-schedule index."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-created_at", "id")
        verbose_name_plural = "deliveries"
        constraints = [
            # One webhook delivery per (event, endpoint); e-mail deliveries have no endpoint and NULLs
            # never collide. Not partial, so that it also serves every lookup by event.
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_webhook_unique"),
            models.UniqueConstraint(
                fields=["event", "member", "email"], condition=models.Q(channel=Channel.EMAIL),
                name="delivery_email_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(channel=Channel.WEBHOOK, endpoint__isnull=False)
                    | (models.Q(channel=Channel.EMAIL, endpoint__isnull=True) & ~models.Q(email=""))
                ),
                name="delivery_channel_target",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values), name="delivery_state_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due_idx",
                condition=models.Q(state__in=[DeliveryState.PENDING, DeliveryState.RETRYING]),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx"),
            models.Index(fields=["member", "-created_at"], name="delivery_member_idx"),
            models.Index(fields=["endpoint", "state", "created_at"], name="delivery_endpoint_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.id} ({self.state})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the answer's status, how long it took, a short error."""

    # Indexed by (delivery, at) below, which serves every lookup by delivery.
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True, help_text="The first bytes of the answer, capped.")

    class Meta:
        ordering = ("at", "id")
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S} -> {self.status_code or self.error}"
