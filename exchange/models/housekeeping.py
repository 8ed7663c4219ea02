"""Rows the service keeps for its own running: idempotent replays and periodic-task heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from exchange.models.members import Member


class IdempotencyRecord(models.Model):
    """The first response to a creating POST sent with an Idempotency-Key, replayed for repeats."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "key"], name="idempotency_member_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]


class Heartbeat(models.Model):
    """When a periodic task last ran: /health/ready's `beat` check reads it (one row per task)."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
