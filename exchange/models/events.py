"""Events (the outbox), the members each is addressed to, and the notifications they became."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from exchange.choices import AudienceKind
from exchange.models.members import Member


class Event(models.Model):
    """Outbox row: one change others may care about, recorded in the transaction that made it.

    `sequence` is allocated under the chain lock, so sequences become visible in order: a reader
    that resumes after the last sequence it saw never misses one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.BigIntegerField(unique=True)
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    audience_kind = models.CharField(max_length=16, choices=AudienceKind.choices)
    audience = models.ManyToManyField(Member, through="EventAudience", related_name="+")
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    publisher_code = models.CharField(max_length=16, blank=True)
    facets = models.JSONField(default=dict, help_text="Routing facets: what subscriptions filter on.")
    payload = models.JSONField(default=dict, help_text="The object as the REST API shows it, rendered once.")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(
        max_length=128, blank=True, help_text="The request (or task) that recorded it: its deliveries log this id."
    )

    class Meta:
        ordering = ("sequence",)
        indexes = [
            models.Index(fields=["audience_kind", "sequence"], name="event_kind_seq_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
            models.Index(
                fields=["created_at"],
                name="event_undispatched_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.type}"


class EventAudience(models.Model):
    """A member an event was addressed to, when the audience is a list of members."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audience_rows")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="event_rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "event"], name="event_audience_unique")]


class Notification(models.Model):
    """An event a member's subscriptions matched: the portal's and API's notifications list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    sequence = models.BigIntegerField(help_text="The event's sequence: notifications are listed by it.")
    subscriptions = models.JSONField(default=list, help_text="Ids of the subscriptions that matched.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sequence",)
        constraints = [
            models.UniqueConstraint(fields=["member", "event"], name="notification_member_event_unique"),
        ]
        indexes = [models.Index(fields=["member", "-sequence"], name="notification_member_seq_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} #{self.sequence}"
