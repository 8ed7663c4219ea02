"""The delivery store (exchange/services/deliveries/store.py): every test here runs once with the
`postgres` store and once with the `orm` store (what the embedded SQLite default runs), both on the
test's PostgreSQL database — fan-out's rows, claims (per-endpoint share, exclusions, leases and
their expiry), adoption, recording (a lost lease included), and the targets a claim reads."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from exchange.models import Delivery, DeliveryAttempt, Member, WebhookEndpoint
from exchange.services.deliveries import deliveries_adopt, deliveries_claim, deliveries_record
from exchange.services.deliveries.store import delivery_store
from exchange.services.endpoints import endpoint_rotate_secret
from exchange.transports.base import Outcome
from exchange.transports.webhook import RESPONSE_BODY_LIMIT
from tests.exchange.fanout import helpers
from tests.exchange.fanout.helpers import hook, publish, pump, record, subscribe, verify
from tests.factories import Network
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


def test_fan_out_send_and_record_reach_every_endpoint_and_address(
    store: str, network: Network, receiver: Receiver, settings: Any
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
    store: str, network: Network, receiver: Receiver
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


def test_a_claim_takes_at_most_a_few_of_one_endpoints_backlog(store: str, network: Network, receiver: Receiver) -> None:
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


def _outcome(status: int | None, **kwargs: Any) -> Outcome:
    return Outcome(started_at=timezone.now(), ok=status is not None and status < 300, status_code=status,
                   duration_ms=12, **kwargs)


def _unleased() -> None:
    """The pumps fan-out queued were lost, and their leases ran out."""
    helpers.ADOPTIONS.clear()
    Delivery.objects.update(lease_until=None, lease_token=None)


def test_a_lease_keeps_other_pumps_off_until_it_runs_out_and_a_lost_lease_records_only_its_attempt(
    store: str, network: Network, receiver: Receiver
) -> None:
    assert delivery_store().name == store
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    publish()
    _unleased()
    first, second = uuid.uuid4(), uuid.uuid4()

    held = deliveries_claim(token=first, limit=10)
    assert [c.endpoint_id for c in held] == [endpoint.pk]
    assert deliveries_claim(token=second, limit=10) == []  # leased: nobody else takes it
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # the first pump died
    taken = deliveries_claim(token=second, limit=10)
    assert [c.id for c in taken] == [held[0].id]

    # The dead pump's late result is logged, but the delivery is the second pump's to move on.
    deliveries_record(token=first, results=[(held[0], _outcome(200))])
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.lease_token) == ("pending", 0, second)
    assert delivery.attempts.count() == 1

    deliveries_record(token=second, results=[(taken[0], _outcome(503, error="Service Unavailable"))])
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt_count, delivery.schedule_position) == ("retrying", 1, 1)
    assert (delivery.lease_token, delivery.lease_until, delivery.last_status_code) == (None, None, 503)
    assert delivery.last_error == "Service Unavailable"
    assert delivery.attempts.count() == 2
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is not None


def test_a_batch_records_success_retry_permanent_failure_and_gone(
    store: str, network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 60]
    endpoints = {name: hook(network.fda, receiver, f"/{name}") for name in ("ok", "retry", "refused", "gone")}
    subscribe(network.fda, list(endpoints.values()))
    publish()
    _unleased()
    token = uuid.uuid4()
    claimed = {c.endpoint_id: c for c in deliveries_claim(token=token, limit=10)}
    replies = {"ok": _outcome(200), "retry": _outcome(500, response_body="x" * 5000),
               "refused": _outcome(400, permanent=True), "gone": _outcome(410, permanent=True, gone=True)}
    before = timezone.now()

    gone = deliveries_record(token=token, results=[(claimed[endpoints[name].pk], replies[name]) for name in replies])

    assert gone == [endpoints["gone"].pk]
    rows = {d.endpoint.url.rsplit("/", 1)[1]: d for d in Delivery.objects.select_related("endpoint")}
    assert rows["ok"].state == "succeeded"
    assert rows["ok"].succeeded_at is not None
    assert rows["retry"].state == "retrying"
    assert rows["retry"].next_attempt_at is not None
    assert rows["retry"].next_attempt_at >= before + timedelta(seconds=50)
    assert (rows["refused"].state, rows["refused"].next_attempt_at) == ("failed", None)
    assert (rows["gone"].state, rows["gone"].last_status_code) == ("failed", 410)
    assert all(row.lease_token is None and row.attempt_count == 1 for row in rows.values())
    assert {row.succeeded_at is None for name, row in rows.items() if name != "ok"} == {True}
    attempt = DeliveryAttempt.objects.get(delivery=rows["retry"])
    assert (attempt.status_code, attempt.duration_ms, len(attempt.response_body)) == (500, 12, RESPONSE_BODY_LIMIT)
    failing = dict(WebhookEndpoint.objects.values_list("url", "failing_since"))
    assert failing[endpoints["ok"].url] is None
    assert all(failing[endpoints[name].url] is not None for name in ("retry", "refused", "gone"))


def test_a_claim_leaves_out_saturated_endpoints_and_email(store: str, network: Network, receiver: Receiver) -> None:
    busy, free = hook(network.fda, receiver, "/busy"), hook(network.fda, receiver, "/free")
    subscribe(network.fda, [busy, free], email_recipients=["duty@fda.test"])
    publish()
    _unleased()

    claimed = deliveries_claim(token=uuid.uuid4(), limit=10, exclude_endpoints=[str(busy.pk)], exclude_email=True)
    assert [(c.channel, c.endpoint_id) for c in claimed] == [("webhook", free.pk)]
    claimed = deliveries_claim(token=uuid.uuid4(), limit=10)
    assert sorted((c.channel, c.email) for c in claimed) == [("email", "duty@fda.test"), ("webhook", "")]


def test_the_adopting_pump_reads_its_deliveries_with_their_targets(
    store: str, network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 2
    endpoints = [hook(network.fda, receiver, f"/fda/{index}") for index in range(3)]
    rotated = endpoint_rotate_secret(actor=network.fda.admin, endpoint=endpoints[0])
    subscribe(network.fda, endpoints)
    record()  # the FDA's first event: number 1 in its feed
    helpers.ADOPTIONS.clear()
    event, result = publish()
    assert result is not None
    assert result.lease is not None
    Member.objects.filter(pk=network.fda.member.pk).update(status="suspended")  # after fan-out, before sending

    adopted = deliveries_adopt(token=result.lease, event_id=event.pk)

    first_two = sorted(endpoints, key=lambda e: e.pk)[:2]  # fan-out leases the first by endpoint id
    assert sorted(c.endpoint_id for c in adopted) == [e.pk for e in first_two]
    by_endpoint = {c.endpoint_id: c for c in adopted}
    for endpoint in first_two:
        leased = by_endpoint[endpoint.pk]
        assert (leased.url, leased.endpoint_enabled, leased.member_active, leased.sequence) == (
            endpoint.url, True, False, 2)
        expected = (rotated.secret, rotated.previous_secret) if endpoint.pk == rotated.pk else (endpoint.secret,)
        assert leased.secrets == expected
    assert deliveries_adopt(token=uuid.uuid4(), event_id=event.pk) == []
    assert [c.endpoint_id for c in deliveries_claim(token=uuid.uuid4(), limit=10)] == \
        [sorted(endpoints, key=lambda e: e.pk)[2].pk]  # the third, written unleased, is anybody's
    Delivery.objects.filter(lease_token=result.lease).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_adopt(token=result.lease, event_id=event.pk) == []  # ran out: claimable again
    assert len(deliveries_claim(token=uuid.uuid4(), limit=10)) == 2


def test_fan_out_writes_each_enabled_endpoint_and_address_once(
    store: str, network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 1
    own, disabled = hook(network.fda, receiver, "/own"), hook(network.fda, receiver, "/disabled")
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(enabled=False)
    subscribe(network.fda, [own, disabled])
    subscribe(network.fda, [own])  # a second subscription to the same endpoint
    subscribe(network.hc, [hook(network.hc, receiver, "/hc")], email_recipients=["duty@hc.test", "duty@hc.test"])

    event, result = publish()
    assert result is not None
    assert result.deliveries == 3
    rows = sorted(Delivery.objects.filter(event=event).values_list("channel", "email", "endpoint__url"))
    assert rows == [("email", "duty@hc.test", None), ("webhook", "", receiver.url("/hc")),
                    ("webhook", "", own.url)]
    assert Delivery.objects.filter(event=event, lease_token=result.lease).count() == 1  # the first, leased

    event.dispatched_at = None  # a redelivered dispatch task runs fan-out again
    event.save(update_fields=["dispatched_at"])
    again = helpers.fan_out(event.pk)
    assert again is not None
    assert again.deliveries == 0
    assert Delivery.objects.filter(event=event).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_takes_the_next_free_rows_past_those_another_pump_is_locking(
    store: str, network: Network, receiver: Receiver
) -> None:
    """Both stores try three claims' worth of candidates with SKIP LOCKED, so that two pumps claiming
    at once each get rows rather than one of them nothing."""
    endpoints = [hook(network.fda, receiver, f"/fda/{index}") for index in range(6)]
    subscribe(network.fda, endpoints)
    publish()
    _unleased()
    now = timezone.now()
    oldest_first = list(Delivery.objects.order_by("endpoint_id").values_list("pk", flat=True))
    for age, pk in enumerate(reversed(oldest_first)):
        Delivery.objects.filter(pk=pk).update(next_attempt_at=now - timedelta(seconds=age + 1))
    locked, release = threading.Event(), threading.Event()

    def other_pump() -> None:  # holds the two oldest rows locked, on its own connection
        try:
            with transaction.atomic():
                list(Delivery.objects.select_for_update().filter(pk__in=oldest_first[:2]))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_pump)
    thread.start()
    try:
        assert locked.wait(10)
        claimed = deliveries_claim(token=uuid.uuid4(), limit=2)
    finally:
        release.set()
        thread.join()

    assert [c.id for c in claimed] == oldest_first[2:4]


def test_an_unknown_store_is_refused_by_name(settings: Any) -> None:
    settings.DELIVERY_STORE = "mongo"
    with pytest.raises(ImproperlyConfigured, match="DELIVERY_STORE must be one of postgres, orm, not 'mongo'"):
        delivery_store()
