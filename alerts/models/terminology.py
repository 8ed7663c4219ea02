"""The IMDRF adverse-event terminology, as loaded release by release (SPEC §2).

A release is loaded once and never changes: a later release is a new set of rows. Within a release a
code may sit under more than one parent, so a term is identified by its place in the hierarchy (its
path of codes), not by its code alone. Retired terms are kept with their status, so that alerts coded
before the retirement still show what their codes meant.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TermStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ImdrfRelease(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-year",)

    def __str__(self) -> str:
        return f"IMDRF AET {self.year}"


class ImdrfTerm(models.Model):
    release = models.ForeignKey(ImdrfRelease, on_delete=models.PROTECT, related_name="terms")
    annex = models.CharField(max_length=1, help_text="A–G: the first letter of the code.")
    code = models.CharField(max_length=16)
    term = models.TextField()
    definition = models.TextField(blank=True)
    hierarchy = models.CharField(max_length=120, help_text="The path of codes from the annex's top level, '>'-separated.")
    parent_code = models.CharField(max_length=16, blank=True)
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=TermStatus.choices, default=TermStatus.ACTIVE)
    source_status = models.CharField(max_length=100, blank=True, help_text="The status as the file gave it.")
    extra = models.JSONField(default=dict, blank=True, help_text="The record's other fields, as given.")
    source_file = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("release", "hierarchy")
        constraints = [
            models.UniqueConstraint(fields=["release", "hierarchy"], name="imdrf_term_place_unique"),
            models.CheckConstraint(condition=models.Q(status__in=TermStatus.values), name="imdrf_term_status_valid"),
        ]
        indexes = [
            models.Index(fields=["release", "code"], name="imdrf_term_code_idx"),
            models.Index(fields=["release", "annex", "hierarchy"], name="imdrf_term_annex_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.term}"
