"""Fan-out end to end: a real Redis broker, real Celery worker processes, a real HTTP receiver (SPEC §4, §5, §7).

Events are recorded here exactly as the publishing services record them (in a committed
transaction, dispatch queued on commit); everything after that happens in the worker.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from exchange.models import Delivery, Event, Notification, WebhookEndpoint
from exchange.services.chain import audited_transaction
from exchange.services.endpoints import endpoint_create
from exchange.services.events import event_record
from exchange.services.members import member_update
from exchange.services.subscriptions import subscription_create
from exchange.signing import secret_generate
from tests.factories import Network, Regulator
from tests.integration.conftest import RedisServer, Worker, celery_broker, wait_until
from tests.integration.receiver import Receiver, Reply

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOOL = "0b7e3c1e-8f0e-4c59-9d2a-1c2b3d4e5f60"
OTHER_TOOL = "5d1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def publish(*, audience_kind: str = "network", audience_codes: tuple[str, ...] = ("MHRA",), tools: tuple[str, ...] = (TOOL,),
            title: str = "Missed nodules after scanner firmware update") -> Event:
    alert_id = str(uuid.uuid4())
    with audited_transaction():
        return event_record(
            type="alert.published", audience_kind=audience_kind, audience_codes=list(audience_codes),
            object_type="alert", object_id=alert_id, publisher_code="MHRA",
            facets={"alert_type": "performance_degradation", "severity": "high", "tools": list(tools),
                    "manufacturers": ["acme imaging ltd"], "clinical_areas": ["radiology"], "jurisdictions": ["GB"],
                    "authorised_in": ["GB", "US"], "publisher": "MHRA"},
            payload={"id": alert_id, "title": title, "severity": "high"},
        )


def watch(regulator: Regulator, receiver: Receiver, paths: list[str], **filters: Any) -> list[WebhookEndpoint]:
    endpoints = [
        endpoint_create(actor=regulator.admin, member=regulator.member, url=receiver.url(path)) for path in paths
    ]
    for start in range(0, len(endpoints), 100):
        subscription_create(
            actor=regulator.admin, member=regulator.member, name=f"watch {start}",
            webhook_endpoints=[str(e.pk) for e in endpoints[start:start + 100]], **filters,
        )
    return endpoints


def test_a_matching_publish_reaches_the_receiver_signed_and_nothing_leaks(
    network: Network, worker: Worker, published_to: RedisServer, receiver: Receiver
) -> None:
    [fda] = watch(network.fda, receiver, ["/fda"], email_recipients=["vigilance@fda.test"])
    watch(network.hc, receiver, ["/hc"], tools=[OTHER_TOOL], email_recipients=["vigilance@hc.test"])
    watch(network.tga, receiver, ["/tga"], email_recipients=["vigilance@tga.test"])
    watch(network.smc, receiver, ["/smc"], email_recipients=["vigilance@smc.test"])
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    started = time.monotonic()
    network_wide = publish()  # HC's filter does not match; SMC is suspended
    restricted = publish(audience_kind="members", audience_codes=("MHRA", "FDA"))  # TGA may not see it

    receiver.wait_for(lambda requests: len([r for r in requests if r.path == "/fda"]) == 2, timeout=15)
    assert time.monotonic() - started < 10, "delivery should take seconds"
    bodies = [Webhook(fda.secret).verify(r.body, r.headers) for r in receiver.received("/fda")]
    assert sorted(b["data"]["event_id"] for b in bodies) == sorted([str(network_wide.pk), str(restricted.pk)])

    wait_until(lambda: not Delivery.objects.exclude(state="succeeded").exists() and Event.objects.filter(
        dispatched_at__isnull=True).count() == 0, timeout=10)
    time.sleep(1.5)  # anything wrongly queued would have arrived by now
    [tga] = receiver.received("/tga")  # the network-wide alert only
    assert tga.body == receiver.received("/fda")[0].body or tga.body == receiver.received("/fda")[1].body
    assert {r.path for r in receiver.received()} == {"/fda", "/tga"}  # not HC (filter), not SMC (suspended)
    deliveries = sorted(Delivery.objects.values_list("member__code", "channel", "event_id"))
    assert deliveries == sorted([
        ("FDA", "webhook", network_wide.pk), ("FDA", "email", network_wide.pk),
        ("FDA", "webhook", restricted.pk), ("FDA", "email", restricted.pk),
        ("TGA", "webhook", network_wide.pk), ("TGA", "email", network_wide.pk),
    ])
    notified = sorted(Notification.objects.values_list("member__code", "event_id"))
    assert notified == sorted([("FDA", network_wide.pk), ("FDA", restricted.pk), ("TGA", network_wide.pk)])


def test_a_receiver_answering_500_then_recovering_gets_the_same_webhook_id(
    network: Network, worker: Worker, published_to: RedisServer, receiver: Receiver
) -> None:
    watch(network.fda, receiver, ["/flaky"])
    receiver.script("/flaky", [Reply(500), Reply(500)])

    publish()

    requests = receiver.wait_for(lambda rs: len(rs) == 3, timeout=20)
    assert len({r.webhook_id for r in requests}) == 1
    delivery = wait_until(lambda: Delivery.objects.filter(state="succeeded").first(), timeout=10)
    assert delivery.attempt_count == 3
    assert requests[0].webhook_id == delivery.webhook_id


def test_a_hanging_receiver_is_timed_out_and_retried_without_delaying_the_others(
    network: Network, worker: Worker, published_to: RedisServer, receiver: Receiver
) -> None:
    watch(network.fda, receiver, ["/hang", *[f"/quick{i}" for i in range(20)]])
    receiver.script("/hang", [Reply(delay=8)])

    publish()

    receiver.wait_for(lambda rs: sum(r.path.startswith("/quick") for r in rs) == 20, timeout=15)
    receiver.wait_for(lambda rs: any(r.path == "/hang" for r in rs), timeout=15)
    hang_arrived = min(r.at for r in receiver.received() if r.path == "/hang")
    last_quick = max(r.at for r in receiver.received() if r.path.startswith("/quick"))
    # Had the quick deliveries queued behind the hanging one, they would arrive only once its
    # attempt had timed out (WEBHOOK_TIMEOUT_SECONDS=2 for these tests).
    assert last_quick < hang_arrived + 2.0, "the quick receivers waited for the hanging one"
    receiver.wait_for(lambda rs: sum(r.path == "/hang" for r in rs) >= 2, timeout=15)  # timed out (2 s), retried
    delivery = wait_until(lambda: Delivery.objects.filter(endpoint__url__endswith="/hang", state="succeeded").first(),
                          timeout=10)
    assert "timed out" in delivery.attempts.order_by("at").first().error


def test_rotation_two_signatures_410_disables_and_recover_resends(
    network: Network, api: Any, worker: Worker, published_to: RedisServer, receiver: Receiver
) -> None:
    admin = api(network.fda.admin)
    endpoints = {path: admin.post("/api/v1/webhook-endpoints/", {"url": receiver.url(path)}).json()
                 for path in ("/rotated", "/gone", "/down")}
    admin.post("/api/v1/subscriptions/", {"name": "alerts", "event_types": ["alert.published"],
                                          "webhook_endpoints": [e["id"] for e in endpoints.values()]})
    rotated = admin.post(f"/api/v1/webhook-endpoints/{endpoints['/rotated']['id']}/rotate-secret/").json()
    receiver.script("/gone", [Reply(410)])
    receiver.script("/down", [Reply(503)] * 5)  # every attempt of the schedule fails

    before = publish()

    receiver.wait_for(lambda rs: any(r.path == "/rotated" for r in rs), timeout=15)
    [request] = receiver.received("/rotated")
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoints["/rotated"]["secret"]).verify(request.body, request.headers)
    Webhook(rotated["secret"]).verify(request.body, request.headers)

    wait_until(lambda: not WebhookEndpoint.objects.get(pk=endpoints["/gone"]["id"]).enabled, timeout=15)
    shown = admin.get(f"/api/v1/webhook-endpoints/{endpoints['/gone']['id']}/").json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    wait_until(lambda: Event.objects.filter(type="endpoint.disabled", dispatched_at__isnull=False).exists(), timeout=10)

    down = wait_until(lambda: Delivery.objects.filter(endpoint_id=endpoints["/down"]["id"], state="failed").first(),
                      timeout=20)
    assert down.attempt_count == 5
    assert len(receiver.received("/down")) == 5
    response = admin.post(f"/api/v1/webhook-endpoints/{endpoints['/down']['id']}/recover/",
                          {"since": before.created_at.isoformat()})
    assert response.status_code == 200
    assert response.json()["recovered"] == 1
    receiver.wait_for(lambda rs: sum(r.path == "/down" for r in rs) == 6, timeout=15)
    assert {r.webhook_id for r in receiver.received("/down")} == {down.webhook_id}
    wait_until(lambda: Delivery.objects.get(pk=down.pk).state == "succeeded", timeout=10)
    assert len(receiver.received("/gone")) == 1


def test_a_worker_killed_mid_fan_out_loses_nothing(network: Network, integration_dir: Path, receiver: Receiver) -> None:
    """500 endpoints, a receiver slow enough that SIGKILL lands mid-way; a restarted worker finishes."""
    own_broker = RedisServer(integration_dir).start()  # no other worker may help
    settings = {"DELIVERY_MAX_IN_FLIGHT": "20", "DELIVERY_PUMPS": "1"}
    for regulator, offset in ((network.fda, 0), (network.hc, 250)):
        # Created in bulk (this test is about sending, not registering): 500 registrations take seconds.
        endpoints = WebhookEndpoint.objects.bulk_create(
            WebhookEndpoint(member=regulator.member, url=receiver.url(f"/e{offset + i}"), secret=secret_generate())
            for i in range(250)
        )
        for start in range(0, 250, 100):
            subscription_create(actor=regulator.admin, member=regulator.member, name="watch",
                                webhook_endpoints=[str(e.pk) for e in endpoints[start:start + 100]])
    receiver.default = Reply(delay=0.25)
    first = Worker(broker=own_broker.url, workdir=integration_dir, **settings).start()
    second: Worker | None = None
    try:
        with celery_broker(own_broker.url):
            event = publish()
        receiver.wait_for(lambda rs: len(rs) >= 60, timeout=30)
        first.kill()
        delivered_before = len({r.path for r in receiver.received()})
        assert 0 < delivered_before < 500, "the kill should land in the middle of the fan-out"
        assert Delivery.objects.filter(event=event).count() == 500

        second = Worker(broker=own_broker.url, workdir=integration_dir, **settings).start()
        receiver.wait_for(lambda rs: len({r.path for r in rs}) == 500, timeout=90)
        wait_until(lambda: Delivery.objects.filter(event=event, state="succeeded").count() == 500, timeout=30)
    finally:
        first.kill()
        if second is not None:
            second.stop()
        own_broker.stop()

    ids_by_path: dict[str, set[str]] = defaultdict(set)
    for request in receiver.received():
        ids_by_path[request.path].add(request.webhook_id)
    assert len(ids_by_path) == 500
    assert all(len(ids) == 1 for ids in ids_by_path.values()), "a duplicate must carry the same webhook-id"
    assert len({ids.pop() for ids in ids_by_path.values()}) == 500


def test_a_publish_while_the_broker_is_down_is_delivered_once_it_is_back(
    network: Network, integration_dir: Path, receiver: Receiver
) -> None:
    outage = RedisServer(integration_dir).start()
    revived: RedisServer | None = None
    worker = Worker(broker=outage.url, workdir=integration_dir).start()
    try:
        watch(network.fda, receiver, ["/after-outage"])
        outage.stop()
        with celery_broker(outage.url):
            started = time.monotonic()
            event = publish()
            took = time.monotonic() - started
        assert took < 5, f"publishing waited {took:.1f} s for the broker"
        assert Event.objects.get(pk=event.pk).dispatched_at is None
        time.sleep(1)
        assert receiver.received() == []

        revived = RedisServer(integration_dir, port=outage.port).start()
        [request] = receiver.wait_for(lambda rs: len(rs) >= 1, timeout=60)
        assert request.path == "/after-outage"
        # Fan-out commits the first deliveries (and the pump sends them) before its second transaction
        # writes the rest — e-mails to people included — and marks the event dispatched.
        deadline = time.monotonic() + 30
        while Event.objects.get(pk=event.pk).dispatched_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Event.objects.get(pk=event.pk).dispatched_at is not None
    finally:
        worker.stop()
        if revived is not None:
            revived.stop()


def test_a_worker_serves_the_next_publication_on_the_database_sessions_it_already_has(
    network: Network, integration_dir: Path, receiver: Receiver
) -> None:
    """Celery's Django fix-up closes every connection around each task; the worker keeps them instead
    (config/celery.py), so that a delivery pump does not start a new PostgreSQL backend before its
    first send. Its own worker and broker: counted from its start, nothing else runs tasks on it."""
    own_broker = RedisServer(integration_dir).start()
    watch(network.fda, receiver, ["/fda"])
    worker = Worker(broker=own_broker.url, workdir=integration_dir).start()

    def database_now() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]

    def delivered(event: Event) -> None:
        wait_until(lambda: Delivery.objects.filter(event=event, state="succeeded").count() == 1, timeout=30)

    try:
        with celery_broker(own_broker.url):
            delivered(publish())
            between = database_now()
            delivered(publish())
        with connection.cursor() as cursor:
            # Sessions opened before the second publication that ran statements for it.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND backend_start < %s AND state_change > %s",
                [between, between],
            )
            reused = cursor.fetchone()[0]
    finally:
        worker.stop()
        own_broker.stop()
    assert len(receiver.received("/fda")) == 2
    assert reused >= 1, "each task of the second publication opened a database session of its own"
