"""The ORM paths of fan-out, claiming, adopting and recording — what the embedded default (SQLite)
runs instead of the PostgreSQL statements — behave the same: run here on PostgreSQL through the
ORM, side by side with the statements, on the same scenarios."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection

from exchange.models import Delivery, WebhookEndpoint
from exchange.services import fanout
from exchange.services.deliveries import claims, deliveries_claim, recording
from tests.exchange.fanout import helpers
from tests.exchange.fanout.helpers import hook, publish, pump, subscribe, verify
from tests.factories import Network
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


class _OrmOnly:
    """The test database's connection, saying it is not PostgreSQL: the services take their ORM paths."""

    vendor = "sqlite"

    def __getattr__(self, name: str) -> Any:
        return getattr(connection, name)


@pytest.fixture(params=["statements", "orm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "orm":
        for module in (fanout, claims, recording):
            monkeypatch.setattr(module, "connection", _OrmOnly())
    return str(request.param)


def test_fan_out_send_and_record_reach_every_endpoint_and_address(
    path: str, network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 2  # two written leased to the first pump, the rest claimed
    endpoints = [hook(network.fda, receiver, f"/fda/{index}") for index in range(4)]
    subscribe(network.fda, endpoints, email_recipients=["duty@fda.test"])

    _, result = publish()
    stats = pump()

    assert result is not None
    assert result.deliveries == 5
    assert not Delivery.objects.filter(lease_token=result.lease).exists()  # every lease released
    assert stats.succeeded == 5
    received = {request.path: request for request in receiver.received()}
    assert sorted(received) == [f"/fda/{index}" for index in range(4)]
    for endpoint in endpoints:
        assert verify(endpoint, received[urlsplit(endpoint.url).path])["type"] == "alert.published"
    assert set(Delivery.objects.values_list("state", flat=True)) == {"succeeded"}
    assert all(delivery.attempts.count() == 1 for delivery in Delivery.objects.all())


def test_a_failure_is_retried_with_the_same_webhook_id_and_the_endpoint_heals(
    path: str, network: Network, receiver: Receiver
) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.script("/fda", [Reply(500)])
    publish()

    pump()

    requests = receiver.received("/fda")
    assert [r.webhook_id for r in requests] == [requests[0].webhook_id] * 2
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempt_count) == ("succeeded", 2)
    assert [a.status_code for a in delivery.attempts.all()] == [500, 200]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_a_claim_takes_at_most_a_few_of_one_endpoints_backlog(path: str, network: Network, receiver: Receiver) -> None:
    """One endpoint's backlog never fills a claim: at most `per_target` of it, the others still served."""
    backlog = hook(network.fda, receiver, "/backlog")
    other = hook(network.hc, receiver, "/other")
    subscribe(network.fda, [backlog])
    for _ in range(12):
        publish(audience_kind="members", audience_codes=["FDA"])
    subscribe(network.hc, [other])
    publish(audience_kind="members", audience_codes=["HC"])
    helpers.ADOPTIONS.clear()  # the pumps fan-out queued were lost, and their leases ran out
    Delivery.objects.update(lease_until=None, lease_token=None)

    token = uuid.uuid4()
    claimed = deliveries_claim(token=token, limit=200, per_target=8)

    assert [c.endpoint_id for c in claimed].count(backlog.pk) == 8
    assert [c.endpoint_id for c in claimed].count(other.pk) == 1
    assert {c.url for c in claimed} == {backlog.url, other.url}
    assert Delivery.objects.filter(lease_token=token).count() == 9
