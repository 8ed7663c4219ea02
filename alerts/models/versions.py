"""Versions of an AI tool (SPEC §10.2): registered by any member, never edited or removed."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from alerts.models.registry import Tool
from exchange.models import Member, User


class ToolVersion(models.Model):
    """One released version of a tool; a mistaken one is marked withdrawn with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=50)
    released_on = models.DateField(null=True, blank=True)
    change_summary = models.TextField(blank=True)
    significant = models.BooleanField(default=False)
    pccp_authorised_by = models.CharField(max_length=16, blank=True,
                                          help_text="The member whose change control plan the change was made under.")
    pccp_reference = models.CharField(max_length=100, blank=True)
    withdrawn = models.BooleanField(default=False)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["tool", "version"], name="tool_version_unique"),
            models.CheckConstraint(condition=models.Q(withdrawn=False) | ~models.Q(withdrawn_reason=""),
                                   name="tool_version_withdrawn_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.tool_id} {self.version}"

    @property
    def pccp(self) -> dict[str, str] | None:
        if not self.pccp_authorised_by:
            return None
        return {"authorised_by": self.pccp_authorised_by, "reference": self.pccp_reference}
