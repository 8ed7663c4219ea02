"""Fan-out of events to subscriptions and deliveries."""

from __future__ import annotations

from django.utils import timezone

from exchange.models import Event


def event_fan_out(*, event_id: str) -> None:
    """Mark the event dispatched. Subscription matching and deliveries build on this (issue #4)."""
    Event.objects.filter(pk=event_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
