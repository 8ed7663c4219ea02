"""What the publisher's dashboard counts, kept as answers are written (issue #29).

The dashboard sums, over ten years of a busy publisher's alerts, every answer other members gave:
counted from the rows each time it grew linearly (2.9 s at 476,831 answers). These two tables hold
the same figures per (publisher, member, alert status), kept by PostgreSQL triggers installed by
migration 0019 on `alerts_acknowledgement` (per statement, from its transition tables) and on
`alerts_alert` (a status change moves the alert's answers from one status to the other). Nothing in
Python writes them, so no write path — the services, a bulk update, the admin, a `COPY` — can miss one.

`AckAnswerTime` is the distribution of the time from request to first answer, in buckets 5 % wide
(`sax_ack_bucket`): a median is found by walking the buckets, then read exactly from the answers in
the middle bucket (an index on the bucket), so it equals PostgreSQL's `percentile_cont(0.5)`.

The embedded SQLite default has no triggers installed: there the dashboard counts the rows.
"""

from __future__ import annotations

from django.db import models

from alerts.choices import AlertStatus
from exchange.models import Member


class AckTally(models.Model):
    publisher = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.CharField(max_length=16, choices=AlertStatus.choices)
    total = models.IntegerField(default=0)
    requested = models.IntegerField(default=0)
    acknowledged = models.IntegerField(default=0)
    acted = models.IntegerField(default=0)
    not_applicable = models.IntegerField(default=0)
    open_requested = models.IntegerField(default=0, help_text="Requested and not complete.")
    open_with_deadline = models.IntegerField(default=0, help_text="Requested, not complete, with a deadline.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publisher", "member", "status"], name="acktally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.publisher_id}'s {self.status} alerts: {self.total}"


class AckAnswerTime(models.Model):
    publisher = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.CharField(max_length=16, help_text="The alert's status, 'released' for published and closed.")
    bucket = models.IntegerField(help_text="sax_ack_bucket(requested_at, acknowledged_at): -1 under a second.")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publisher", "member", "status", "bucket"], name="ackanswertime_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.publisher_id}'s {self.status} alerts, bucket {self.bucket}: {self.n}"
