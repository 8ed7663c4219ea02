"""Links a publisher draws between its alert and another alert (SPEC §10.6): suggestions are never merged."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from alerts.models.alerts import Alert
from exchange.models import User


class LinkKind(models.TextChoices):
    RELATED = "related", "Related"
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    FOLLOWS_UP = "follows_up", "Follows up"


class AlertLink(models.Model):
    """`alert` (the linking alert, whose publisher made the link) → `target`, of one kind, with a note."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["alert", "target"], name="alert_link_unique"),
            models.CheckConstraint(condition=~models.Q(alert=models.F("target")), name="alert_link_not_self"),
            models.CheckConstraint(condition=models.Q(kind__in=LinkKind.values), name="alert_link_kind_valid"),
        ]
        indexes = [models.Index(fields=["target", "alert"], name="alert_link_target_idx")]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.target_id}"
