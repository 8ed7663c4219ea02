"""The pump's sender on its own: messages queue per origin, at most its connections at once."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from exchange.choices import Channel
from exchange.services.deliveries.leases import LeasedDelivery
from exchange.services.deliveries.sender import Sender
from exchange.signing import secret_generate
from exchange.transports.base import Message, Outcome
from exchange.transports.webhook import WebhookMessage
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


def _message(receiver: Receiver, path: str, secret: str) -> tuple[LeasedDelivery, Message]:
    delivery_id, endpoint_id = uuid.uuid4(), uuid.uuid4()
    item = LeasedDelivery(delivery_id, uuid.uuid4(), 1, Channel.WEBHOOK, endpoint_id, "", 0, 0,
                          url=receiver.url(path), endpoint_enabled=True, secrets=(secret,), sequence=1)
    message = WebhookMessage(delivery_id=delivery_id, channel=Channel.WEBHOOK, concurrency_key=str(endpoint_id),
                             url=receiver.url(path), body='{"type": "alert.published"}',
                             msg_id=f"msg_{delivery_id.hex}", secrets=(secret,))
    return item, message


def _outcomes(sender: Sender, count: int, timeout: float = 20.0) -> list[tuple[LeasedDelivery, Outcome]]:
    results: list[tuple[LeasedDelivery, Outcome]] = []
    deadline = time.monotonic() + timeout
    while len(results) < count:
        results.append(sender.results.get(timeout=max(0.01, deadline - time.monotonic())))
    return results


def test_many_endpoints_on_one_origin_share_its_few_connections(settings: object) -> None:
    """Twelve endpoints of one host, three connections to it: the host never sees more than three
    requests at once, and every delivery gets its outcome."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    receiver = Receiver(default=Reply(delay=0.25)).start()
    sender = Sender(timeout=5.0, connections_per_origin=3)
    sender.start()
    try:
        secret = secret_generate()
        batch = [_message(receiver, f"/endpoint-{index}", secret) for index in range(12)]
        started = time.monotonic()
        sender.submit(batch)
        results = _outcomes(sender, 12)
        elapsed = time.monotonic() - started
    finally:
        sender.close()
        receiver.stop()

    assert sorted(item.id for item, _ in results) == sorted(item.id for item, _ in batch)
    assert all(outcome.ok and outcome.status_code == 200 for _, outcome in results)
    arrivals = sorted(request.at for request in receiver.received())
    assert len(arrivals) == 12
    # Twelve answers of 0.25 s, three at a time: four waves, never four requests within one answer's time.
    assert elapsed >= 0.95
    assert max(sum(1 for at in arrivals if first <= at < first + 0.2) for first in arrivals) == 3


def test_a_send_that_breaks_still_gives_its_delivery_an_outcome(settings: object) -> None:
    """A message the transport cannot even start (here: no URL at all) is a failed attempt of that
    delivery; the others of the batch are sent."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    receiver = Receiver().start()
    sender = Sender(timeout=5.0)
    sender.start()
    try:
        secret = secret_generate()
        good = _message(receiver, "/good", secret)
        broken_item, broken = _message(receiver, "/broken", secret)
        assert isinstance(broken, WebhookMessage)
        broken = dataclasses.replace(broken, secrets=("not a secret",))
        sender.submit([(broken_item, broken), good])
        results = {item.id: outcome for item, outcome in _outcomes(sender, 2)}
    finally:
        sender.close()
        receiver.stop()

    assert results[good[0].id].ok
    assert not results[broken_item.id].ok
    assert "Error" in results[broken_item.id].error
    assert [request.path for request in receiver.received()] == ["/good"]
