"""Translations of a safety alert (SPEC §10.5): another language's text, signed by the member that wrote it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from alerts.choices import TranslationSource
from alerts.models.alerts import Alert
from exchange.models import Member, User


class AlertTranslation(models.Model):
    """One member's translation of an alert's text into one language, of one revision.

    The publisher's text stays authoritative; a translation names who wrote it (`member`, `source`)
    and the revision it translates. A material amendment marks earlier translations outdated
    (`outdated_at`); the translating member may then post a new one, which replaces its own.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="translations")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=35)
    source = models.CharField(max_length=16, choices=TranslationSource.choices)
    revision = models.PositiveIntegerField(help_text="The alert revision this text translates.")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    recommended_actions = models.TextField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    outdated_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a material amendment made this text out of date."
    )
    signature = models.JSONField(
        null=True, blank=True, help_text='The translating member\'s {"kid", "jws"} over the translation (SPEC §8).'
    )

    class Meta:
        ordering = ("language", "created_at")
        constraints = [
            models.UniqueConstraint(fields=["alert", "language", "member"], name="alert_translation_unique"),
            models.CheckConstraint(
                condition=models.Q(source__in=TranslationSource.values), name="alert_translation_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} in {self.language} by {self.member_id}"

    @property
    def outdated(self) -> bool:
        return self.outdated_at is not None
