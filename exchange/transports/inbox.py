"""Inbox transport: the member's notifications (SPEC §2), written by fan-out in its transaction.

The inbox has no network leg: a notification row is delivered once it commits, so this transport
writes rows instead of sending them. One notification per member and event, listing the
member's subscriptions that matched.
"""

from __future__ import annotations

from django.utils import timezone

from exchange.models import Event, Notification


class InboxTransport:
    channel = "inbox"

    def deliver(self, *, event: Event, subscriptions_by_member: dict[int, list[str]]) -> int:
        now = timezone.now()
        rows = [
            Notification(
                member_id=member_id, event=event, sequence=event.sequence, subscriptions=sorted(subscription_ids),
                created_at=now,
            )
            for member_id, subscription_ids in subscriptions_by_member.items()
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        return len(rows)
