"""Inbox transport: the member's notifications (SPEC §2), written by fan-out in its transaction.

The inbox has no network leg: a notification row is delivered once it commits, so this transport
writes rows instead of sending them. One notification per member and event, listing the
member's subscriptions that matched.
"""

from __future__ import annotations

from django.utils import timezone

from exchange.models import Event, FeedEntry, Notification


class InboxTransport:
    channel = "inbox"

    def deliver(self, *, event: Event, subscriptions_by_member: dict[int, list[str]]) -> int:
        now = timezone.now()
        # Listed by the event's number in each member's own feed (matching keeps to those members).
        numbers = dict(
            FeedEntry.objects.filter(event=event, member_id__in=list(subscriptions_by_member))
            .values_list("member_id", "sequence")
        )
        rows = [
            Notification(
                member_id=member_id, event=event, sequence=numbers[member_id], subscriptions=sorted(subscription_ids),
                created_at=now,
            )
            for member_id, subscription_ids in subscriptions_by_member.items()
            if member_id in numbers
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        return len(rows)
