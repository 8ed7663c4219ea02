"""What reaches a person (SPEC §10.4): each user's notification preferences, the e-mails written to
one person (immediate, digest, "and N more", reminders) and the hourly cap's counters.

Every e-mail to a person is a `PersonalEmail` (what it says, written once, and a unique `key` that
makes writing it twice a no-op) sent through a `Delivery` (attempts, retries) like every other
message. A personal delivery has no event: one e-mail may tell of many (a digest).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from exchange.choices import MailKind
from exchange.models.deliveries import Delivery
from exchange.models.members import User


class NotificationPreferences(models.Model):
    """One user's choices; a user without a row has the defaults (exchange.services.preferences)."""

    user = models.OneToOneField(
        User, primary_key=True, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA time zone name.")
    digest_hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour (0-23) of the daily digest.")
    language = models.CharField(max_length=8, default="en")
    items = models.JSONField(default=dict, help_text="Preference item -> immediate | daily_digest | off.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification preferences"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__gte=0, digest_hour__lte=23), name="preferences_digest_hour_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class PersonalEmail(models.Model):
    """One e-mail to one person, rendered once; sent by its delivery.

    `key` is unique: the immediate e-mail of an event to a user, a user's digest of a day, the
    "and N more" of an hour. Writing it again (a re-run, a second sweep, a worker that died after
    sending) finds the row and sends nothing more. An immediate e-mail over the hourly cap is
    `held` (no delivery) until the "and N more" e-mail of its hour tells of it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_emails")
    kind = models.CharField(max_length=16, choices=MailKind.choices)
    key = models.CharField(max_length=200, unique=True)
    events = models.JSONField(default=list, help_text="Ids of the events it tells of.")
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="personal_email"
    )
    held = models.BooleanField(default=False, help_text="Over the hourly cap: waits for the hour's summary.")
    period_end = models.DateTimeField(
        null=True, blank=True, help_text="Digest: notifications up to this time are in it (the next starts here)."
    )
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["user", "kind", "-created_at"], name="personalemail_user_kind_idx"),
            models.Index(fields=["created_at"], name="personalemail_held_idx", condition=models.Q(held=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id}: {self.subject}"


class EmailQuota(models.Model):
    """Immediate e-mails sent to one user in one clock hour (UTC): EMAIL_IMMEDIATE_PER_HOUR caps it.

    Taken with one conditional UPDATE (`sent < cap`), so concurrent fan-outs never exceed the cap.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "hour"], name="emailquota_user_hour_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.hour:%Y-%m-%d %H}h: {self.sent}"
