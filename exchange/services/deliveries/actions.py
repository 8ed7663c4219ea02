"""Members' actions on their deliveries: read one, re-send one, recover an endpoint's failures."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

import exchange.services.deliveries.pumps as pumps
from exchange.choices import DeliveryState
from exchange.errors import Conflict, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Delivery, Member, User, WebhookEndpoint
from exchange.selectors import one_or_404
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write


def delivery_get(*, member: Member, delivery_id: str | uuid.UUID) -> Delivery:
    """One of the member's own deliveries; another member's is not found (404)."""
    return one_or_404(Delivery.objects.filter(member=member), detail="No such delivery.", pk=delivery_id)


def _delivery_state(delivery: Delivery) -> JSONObject:
    return {
        "event": str(delivery.event_id), "channel": delivery.channel,
        "endpoint": str(delivery.endpoint_id) if delivery.endpoint_id else None,
        "email": delivery.email, "state": delivery.state, "attempt_count": delivery.attempt_count,
    }


@audited_write
def delivery_redeliver(*, actor: User | None, delivery: Delivery) -> Delivery:
    """Send one delivery again, at once, with a fresh retry schedule and the same webhook-id."""
    delivery = Delivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
    if delivery.endpoint is not None and not delivery.endpoint.enabled:
        raise Conflict(
            "The webhook endpoint is disabled; enable it before re-sending its deliveries.",
            errors={"endpoint": ["disabled"]},
        )
    before = _delivery_state(delivery)
    now = timezone.now()
    delivery.state = DeliveryState.PENDING
    delivery.schedule_position = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.lease_token = None
    delivery.save(update_fields=["state", "schedule_position", "next_attempt_at", "lease_until", "lease_token"])
    audit_record(
        actor=actor, action="delivery.redelivered", object_type="delivery", object_id=delivery.pk,
        before=before, after=_delivery_state(delivery), member_code=delivery.member.code,
    )
    _kick_on_commit()
    return delivery


@audited_write
def deliveries_recover(*, actor: User | None, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Re-send every failed delivery of the endpoint created at or after `since`; returns how many."""
    if timezone.is_naive(since):
        raise ValidationFailed("since: give a time zone (e.g. 2026-05-01T00:00:00Z).", errors={"since": ["naive"]})
    endpoint = WebhookEndpoint.objects.select_related("member").get(pk=endpoint.pk)
    if not endpoint.enabled:
        raise Conflict(
            "The webhook endpoint is disabled; enable it before recovering its deliveries.",
            errors={"endpoint": ["disabled"]},
        )
    now = timezone.now()
    count = Delivery.objects.filter(
        endpoint=endpoint, state=DeliveryState.FAILED, created_at__gte=since
    ).update(state=DeliveryState.PENDING, schedule_position=0, next_attempt_at=now, lease_until=None, lease_token=None)
    audit_record(
        actor=actor, action="webhook_endpoint.recovered", object_type="webhook_endpoint", object_id=endpoint.pk,
        after={"since": since, "deliveries": count}, member_code=endpoint.member.code,
    )
    if count:
        _kick_on_commit(count)
    return count


def _kick_on_commit(count: int = 1) -> None:
    transaction.on_commit(lambda: pumps.pumps_queue(deliveries=count))
