"""Information requests between regulators (SPEC §10.3): a question about an alert, report, signal
or tool, with addressees, a due date and a confidentiality; answers (signed), follow-ups, a close.

Named `inquiries` in the code to keep clear of the `requests` library; the API calls them requests.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.models.alerts import Alert
from alerts.models.registry import Tool
from alerts.models.reports import Report, Signal
from exchange.models import Member, User


class SubjectKind(models.TextChoices):
    ALERT = "alert", "Alert"
    REPORT = "report", "Performance report"
    SIGNAL = "signal", "Signal"
    TOOL = "tool", "AI tool"


class Confidentiality(models.TextChoices):
    ADDRESSEES = "addressees", "The asker and the addressees only"
    AUDIENCE = "audience", "Every member who can see the subject"


class InquiryStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


def today_utc() -> date:
    return timezone.now().date()


def overdue_addressee_q(today: date | None = None) -> Q:
    """The one rule for an overdue addressee (on `InquiryAddressee`): it has not answered, the due
    date has passed (the whole due day, UTC), and the request is not closed."""
    return Q(answered_at__isnull=True, inquiry__due__lt=today or today_utc()) & ~Q(inquiry__status=InquiryStatus.CLOSED)


class Inquiry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    asker = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="inquiries_asked")
    asked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    subject_kind = models.CharField(max_length=8, choices=SubjectKind.choices)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")
    signal = models.ForeignKey(Signal, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")
    tool = models.ForeignKey(Tool, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")
    question = models.TextField()
    due = models.DateField()
    confidentiality = models.CharField(max_length=12, choices=Confidentiality.choices)
    status = models.CharField(max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    close_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject_kind="alert", alert__isnull=False, report__isnull=True, signal__isnull=True, tool__isnull=True)
                    | Q(subject_kind="report", alert__isnull=True, report__isnull=False, signal__isnull=True, tool__isnull=True)
                    | Q(subject_kind="signal", alert__isnull=True, report__isnull=True, signal__isnull=False, tool__isnull=True)
                    | Q(subject_kind="tool", alert__isnull=True, report__isnull=True, signal__isnull=True, tool__isnull=False)
                ),
                name="inquiry_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(confidentiality__in=["addressees", "audience"]), name="inquiry_confidentiality_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "answered", "closed"]), name="inquiry_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["asker", "-created_at"], name="inquiry_asker_idx"),
            models.Index(fields=["status", "due"], name="inquiry_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Request {self.pk} by {self.asker_id}"

    @property
    def subject(self) -> Alert | Report | Signal | Tool:
        subject = getattr(self, self.subject_kind)
        assert subject is not None
        return subject

    @property
    def subject_id(self) -> uuid.UUID:
        return getattr(self, f"{self.subject_kind}_id")


class InquiryAddressee(models.Model):
    """A member asked: whether (and when first) it answered, and when its admins were reminded."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="addressees")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="inquiries_received")
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("member__code",)
        constraints = [models.UniqueConstraint(fields=["inquiry", "member"], name="inquiry_addressee_unique")]
        indexes = [
            models.Index(fields=["member", "answered_at"], name="inquiry_addressee_member_idx"),
            models.Index(fields=["reminded_at"], name="inquiry_addressee_remind_idx",
                         condition=Q(answered_at__isnull=True, reminded_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.inquiry_id}"

    def is_overdue(self, today: date | None = None) -> bool:
        """`overdue_addressee_q` for this row (reads `inquiry.due` and `inquiry.status`)."""
        return (
            self.answered_at is None and self.inquiry.status != InquiryStatus.CLOSED
            and self.inquiry.due < (today or today_utc())
        )


class InquiryAnswer(models.Model):
    """One answer of an addressee, signed by the answering member (SPEC §8) when it is recorded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="answers")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(default=timezone.now)
    signature = models.JSONField(default=dict)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"Answer {self.pk} by {self.member_id}"


class InquiryMessage(models.Model):
    """A follow-up of the asker or an addressee (not signed: the answers are what is proved)."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="messages")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"Message {self.pk} by {self.member_id}"
