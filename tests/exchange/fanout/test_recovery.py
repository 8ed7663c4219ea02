"""What a dead worker, a lost message or an endpoint failing for days leaves behind is picked up
(SPEC §5): leases expire, the sweeper fans out and queues pumps, failing endpoints are disabled."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from exchange.models import Delivery, Event, Notification, WebhookEndpoint
from exchange.services.deliveries import deliveries_claim
from exchange.services.endpoints import endpoints_disable_failing
from exchange.services.fanout import outbox_sweep
from tests.exchange.fanout import helpers
from tests.exchange.fanout.helpers import hook, publish, pump, record, subscribe
from tests.factories import Network
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_a_lease_held_by_a_dead_worker_expires_and_the_delivery_is_sent(
    store: str, network: Network, receiver: Receiver
) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    publish()
    helpers.ADOPTIONS.clear()  # the pump fan-out queued takes its deliveries, then dies
    Delivery.objects.update(lease_until=None, lease_token=None)
    dead = deliveries_claim(token=uuid.uuid4(), limit=10)
    assert len(dead) == 1

    assert pump().sent == 0  # leased: nobody else sends it
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert pump().succeeded == 1
    assert len(receiver.received("/fda")) == 1


def test_endpoints_failing_for_too_long_are_disabled(network: Network, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_DISABLE_AFTER_SECONDS = 3600
    stale = hook(network.fda, receiver, "/stale")
    recent = hook(network.fda, receiver, "/recent")
    WebhookEndpoint.objects.filter(pk=stale.pk).update(failing_since=timezone.now() - timedelta(hours=2))
    WebhookEndpoint.objects.filter(pk=recent.pk).update(failing_since=timezone.now() - timedelta(minutes=5))

    assert endpoints_disable_failing() == 1

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert not stale.enabled
    assert "3600 seconds" in stale.disabled_reason
    assert recent.enabled
    assert Event.objects.filter(type="endpoint.disabled", object_id=str(stale.pk)).count() == 1


def test_the_sweeper_fans_out_events_left_undispatched(network: Network, kicks: Any, settings: Any) -> None:
    subscribe(network.fda)
    event = record()
    assert outbox_sweep()["events"] == 0  # too fresh: its own dispatch may still be on the way
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_INTERVAL + 1))

    assert outbox_sweep()["events"] == 1
    assert Notification.objects.filter(event=event).exists()
    assert Event.objects.get(pk=event.pk).dispatched_at is not None


def test_the_sweeper_queues_a_pump_for_due_deliveries(network: Network, receiver: Receiver, kicks: Any) -> None:
    from exchange import tasks

    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    publish()
    kicks.clear()  # the pump fan-out queued is lost with the deliveries it was to adopt ...
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # ... and their lease runs out

    result = outbox_sweep()

    assert result["pump"] == 1
    assert ("pump", 1) in kicks
    assert tasks is not None
