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
from exchange.services.deliveries import DeliveryPump, deliveries_claim, pumps
from exchange.services.fanout import event_fan_out
from tests.exchange.fanout.helpers import hook, record, subscribe
from tests.factories import Network
from tests.integration.conftest import celery_broker, free_port
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def kicks() -> list[tuple[str, Any]]:
    """Here the real `pumps_queue` runs (the package's conftest would record it instead)."""
    return []


def test_the_first_deliveries_are_leased_to_the_pump_fan_out_queues(
    store: str, network: Network, receiver: Receiver, settings: Any
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
    store: str, network: Network, receiver: Receiver
) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    event = record()
    fanout = event_fan_out(event_id=event.pk)
    assert fanout is not None
    assert fanout.lease is not None
    assert Delivery.objects.get(event=event).lease_token == fanout.lease

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        pumps.pumps_queue(deliveries=fanout.deliveries, adopt=(fanout.event_id, fanout.lease))

    delivery = Delivery.objects.get(event=event)
    assert delivery.lease_token is None
    assert delivery.lease_until is None
    assert DeliveryPump(max_seconds=5).run().succeeded == 1  # any pump can send it at once
    assert len(receiver.received("/fda")) == 1


@pytest.mark.django_db(transaction=True)  # real commits: each queues its pumps when it happens
def test_the_first_pump_is_queued_before_the_other_deliveries_are_written(
    store: str, network: Network, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 2
    settings.DELIVERY_PUMPS = 2
    subscribe(network.fda, [hook(network.fda, receiver, f"/fda/{index}") for index in range(5)])
    event = record()
    queued: list[tuple[dict[str, Any], int]] = []  # (the pump's arguments, deliveries written when queued)
    monkeypatch.setattr(
        tasks.deliveries_pump, "apply_async",
        lambda kwargs=None, **options: queued.append((kwargs or {}, Delivery.objects.filter(event=event).count())),
    )

    fanout = event_fan_out(event_id=event.pk)

    assert fanout is not None
    assert fanout.deliveries == 5
    # One pump adopting the two leased deliveries, queued when only they were written; then one more
    # (DELIVERY_PUMPS = 2 in all) for the other three, once they are.
    assert queued == [({"event_id": str(event.pk), "lease": str(fanout.lease)}, 2), ({}, 5)]


def test_a_crash_between_the_two_transactions_loses_nothing_and_sends_nothing_twice(
    store: str, network: Network, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from exchange.services import fanout as fanout_module

    settings.DELIVERY_MAX_IN_FLIGHT = 2
    subscribe(network.fda, [hook(network.fda, receiver, f"/fda/{index}") for index in range(5)],
              email_recipients=["duty@fda.test"])
    event = record()
    write = fanout_module._create_deliveries

    def crash_before_the_rest(event: Any, subscription_ids: Any, *, lease: Any) -> int:
        if lease is None:
            raise RuntimeError("the worker died here")
        return write(event, subscription_ids, lease=lease)

    monkeypatch.setattr(fanout_module, "_create_deliveries", crash_before_the_rest)
    with pytest.raises(RuntimeError):
        event_fan_out(event_id=event.pk)
    first = list(Delivery.objects.filter(event=event).values_list("id", "lease_token"))
    assert len(first) == 2
    lease = first[0][1]
    assert DeliveryPump(max_seconds=5, adopt=(event.pk, lease)).run().succeeded == 2  # the first pump ran
    monkeypatch.setattr(fanout_module, "_create_deliveries", write)

    again = event_fan_out(event_id=event.pk)  # the redelivered task, or the sweeper

    assert again is not None
    assert again.deliveries == 4  # the three other webhooks and the e-mail
    assert DeliveryPump(max_seconds=5).run().succeeded == 4
    paths = sorted(request.path for request in receiver.received())
    assert paths == [f"/fda/{index}" for index in range(5)]  # each endpoint once
    assert Delivery.objects.filter(event=event).count() == 6
