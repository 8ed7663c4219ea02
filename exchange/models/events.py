"""Events (the outbox), the members each is addressed to, each member's numbering of the events it
may see, and the notifications they became."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from exchange.choices import AudienceKind
from exchange.models.members import Member


class Event(models.Model):
    """Outbox row: one change others may care about, recorded in the transaction that made it.

    `sequence` is the network-wide order, internal only (retention and the outbox sweep use it): what
    a member is shown is its own numbering, `FeedEntry.sequence`, which reveals nothing about the
    events hidden from it.
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


class FeedEntry(models.Model):
    """An event a member may see, and its number in that member's feed: 1, 2, 3 … without gaps.

    Written with the event, under the chain lock (exchange.services.events), for every member in
    its audience that is active then; numbers come from `MemberFeed`, so they become visible in
    order and a gap in what a member read always means an event it missed.
    """

    # No single-column indexes: the two unique constraints lead with each foreign key.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="feed_entries", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="feed_entries", db_index=False)
    sequence = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "sequence"], name="feed_entry_member_sequence_unique"),
            models.UniqueConstraint(fields=["event", "member"], name="feed_entry_event_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} #{self.sequence}"


class MemberFeed(models.Model):
    """The last number given in a member's feed. A counter, not a max over `FeedEntry`: retention
    removes old entries, and a member's numbering must never restart."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, primary_key=True, related_name="feed")
    last_sequence = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.member_id} #{self.last_sequence}"


class Notification(models.Model):
    """An event a member's subscriptions matched: the portal's and API's notifications list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    sequence = models.BigIntegerField(help_text="The event's sequence in this member's feed: notifications are listed by it.")
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
