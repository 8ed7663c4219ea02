"""Fan-out writes its first webhook deliveries already leased to the pump it queues (SPEC §5, §7).

That pump reads them instead of claiming them — one statement less before the first request — and
every guarantee of a claim holds: nobody else sends them while the lease holds, a pump that never
comes leaves leases that expire, and a pump that cannot be queued releases them at once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from exchange import tasks
from exchange.models import Delivery, DeliveryAttempt
from exchange.services.deliveries import DeliveryPump, deliveries_claim
from exchange.services.fanout import event_fan_out
from tests.exchange.fanout.helpers import record
from tests.exchange.fanout.test_delivery import hook, subscribe
from tests.factories import Network
from tests.integration.conftest import celery_broker, free_port
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def kicks() -> list[tuple[str, Any]]:
    """Here the real `deliveries_kick` runs (the package's conftest would record it instead)."""
    return []


def test_the_first_deliveries_are_leased_to_the_pump_fan_out_queues(
    network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 2
    endpoints = [hook(network.fda, receiver, f"/fda/{index}") for index in range(3)]
    subscribe(network.fda, endpoints)
    event = record()

    fanout = event_fan_out(event_id=event.pk)

    assert fanout is not None
    assert fanout.deliveries == 3
    assert fanout.lease is not None
    leased = Delivery.objects.filter(event=event, lease_token=fanout.lease, lease_until__isnull=False)
    assert leased.count() == 2
    free = list(Delivery.objects.filter(event=event, lease_token__isnull=True).values_list("id", flat=True))
    # Another pump claiming now gets only the delivery nobody holds.
    other = deliveries_claim(token=uuid.uuid4(), limit=10)
    assert [item.id for item in other] == free
    adopted_ids = set(leased.values_list("id", flat=True))

    stats = DeliveryPump(max_seconds=5, adopt=(event.pk, fanout.lease)).run()

    assert stats.sent == 2
    assert stats.succeeded == 2
    assert set(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == adopted_ids
    assert len(receiver.received()) == 2
    assert set(Delivery.objects.filter(id__in=adopted_ids).values_list("state", flat=True)) == {"succeeded"}
    assert Delivery.objects.get(id=other[0].id).state == "pending"  # still the other pump's


def test_a_pump_that_cannot_be_queued_releases_what_fan_out_leased_to_it(
    network: Network, receiver: Receiver
) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    event = record()
    fanout = event_fan_out(event_id=event.pk)
    assert fanout is not None
    assert fanout.lease is not None
    assert Delivery.objects.get(event=event).lease_token == fanout.lease

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        tasks.deliveries_kick(deliveries=fanout.deliveries, adopt=(fanout.event_id, fanout.lease))

    delivery = Delivery.objects.get(event=event)
    assert delivery.lease_token is None
    assert delivery.lease_until is None
    assert DeliveryPump(max_seconds=5).run().succeeded == 1  # any pump can send it at once
    assert len(receiver.received("/fda")) == 1
