"""Fan-out rows and webhook/e-mail sending against a real HTTP receiver (SPEC §4, §5).

Fan-out and the delivery pump run in-process here; tests/integration runs them in a Celery worker.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from exchange.models import Delivery, DeliveryAttempt, Event, FeedEntry, Notification, WebhookEndpoint
from exchange.services.deliveries import webhook_body
from exchange.services.endpoints import endpoint_rotate_secret
from exchange.services.fanout import event_fan_out
from exchange.services.members import member_update
from tests.exchange.fanout.helpers import (
    TOOL_B,
    alert_facets,
    fan_out,
    hook,
    publish,
    pump,
    record,
    subscribe,
    verify,
)
from tests.factories import Network
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


def test_a_matching_event_reaches_the_receiver_signed(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    event, fanout = publish(payload={"id": "a1", "title": "Missed nodules", "severity": "high"})

    assert fanout is not None
    assert fanout.deliveries == 1
    stats = pump()

    assert stats.succeeded == 1
    [request] = receiver.received("/fda")
    body = verify(endpoint, request)
    sequence = FeedEntry.objects.get(event=event, member=network.fda.member).sequence  # FDA's own numbering
    assert body == {
        "type": "alert.published",
        "timestamp": body["timestamp"],
        "data": {"event_id": str(event.pk), "sequence": sequence, "id": "a1", "title": "Missed nodules",
                 "severity": "high",
                 # the page showing the object, under SITE_URL (the alerts app says where alerts are read)
                 "link": f"{settings.SITE_URL}/alerts/{event.object_id}/"},
    }
    assert request.body == webhook_body(Event.objects.get(pk=event.pk), sequence)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert request.webhook_id == delivery.webhook_id == f"msg_{delivery.pk.hex}"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    assert request.headers["content-type"] == "application/json"
    assert delivery.state == "succeeded"
    assert delivery.attempt_count == 1
    [attempt] = delivery.attempts.all()
    assert attempt.status_code == 200
    assert attempt.error == ""
    assert attempt.response_body == "ok"


def test_fan_out_is_rows_with_unique_keys_and_a_rerun_adds_nothing(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint], email_recipients=["vigilance@fda.test"])
    subscribe(network.fda, [endpoint], email_recipients=["vigilance@fda.test", "duty@fda.test"])
    subscribe(network.hc)
    event = record()

    first = event_fan_out(event_id=event.pk)
    Event.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if the first run's commit was lost
    second = event_fan_out(event_id=event.pk)
    third = event_fan_out(event_id=event.pk)

    assert first is not None
    assert second is not None
    assert third is None
    assert Delivery.objects.filter(event=event, channel="webhook").count() == 1
    assert sorted(Delivery.objects.filter(event=event, channel="email").values_list("email", flat=True)) == [
        "duty@fda.test", "vigilance@fda.test",
    ]
    notifications = {n.member_id: n for n in Notification.objects.filter(event=event)}
    assert set(notifications) == {network.fda.member.pk, network.hc.member.pk}
    assert len(notifications[network.fda.member.pk].subscriptions) == 2


def test_non_matching_and_invisible_events_reach_nobody_by_any_channel(network: Network, receiver: Receiver) -> None:
    fda = hook(network.fda, receiver)
    smc = hook(network.smc, receiver)
    subscribe(network.fda, [fda], tools=[TOOL_B], email_recipients=["x@fda.test"])
    subscribe(network.smc, [smc], email_recipients=["x@smc.test"])
    member_update(actor=network.staff, member=network.smc.member, status="suspended")
    publish()  # to the network: FDA's filter does not match it, SMC is suspended

    tga = hook(network.tga, receiver)
    subscribe(network.tga, [tga], email_recipients=["x@tga.test"])
    publish(audience_kind="members", audience_codes=["MHRA", "HC"])  # restricted: TGA may not see it
    pump()

    assert receiver.received() == []
    assert mail.outbox == []
    assert Delivery.objects.count() == 0
    assert not Notification.objects.filter(member__in=[network.fda.member, network.smc.member, network.tga.member]).exists()


def test_email_is_one_message_per_recipient_with_text_and_html(network: Network) -> None:
    from exchange.models import User
    from tests.alerts.factories import alert_published_make
    from tests.factories import tool_authorised_make

    User.objects.filter(member=network.fda.member).update(is_active=False)  # the shared mailboxes alone
    subscribe(network.fda, email_recipients=["vigilance@fda.test", "duty@fda.test"])
    subscribe(network.fda, email_recipients=["vigilance@fda.test"])
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)],
                                 title="Missed nodules", severity="high")
    fan_out(Event.objects.get(type="alert.published").pk)

    stats = pump()

    assert stats.succeeded == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["duty@fda.test", "vigilance@fda.test"]
    message = mail.outbox[0]
    assert "Missed nodules" in message.subject
    assert "Safety alert published" in message.subject
    assert alert.reference in message.subject
    assert alert.reference in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert alert.reference in html
    assert set(Delivery.objects.values_list("state", flat=True)) == {"succeeded"}


def test_a_mailbox_email_is_not_sent_once_the_member_may_no_longer_see_it(network: Network) -> None:
    from alerts.models import Alert
    from exchange.models import User
    from tests.alerts.factories import alert_published_make
    from tests.factories import tool_authorised_make

    User.objects.filter(member=network.fda.member).update(is_active=False)  # the shared mailbox alone
    subscribe(network.fda, email_recipients=["vigilance@fda.test"])
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)])
    fan_out(Event.objects.get(type="alert.published").pk)
    Alert.objects.filter(pk=alert.pk).update(distribution="restricted")  # withdrawn from FDA's sight since

    pump()

    assert mail.outbox == []
    delivery = Delivery.objects.get(email="vigilance@fda.test")
    assert (delivery.state, delivery.last_error) == ("failed", "the member may no longer see it")


def test_a_failing_receiver_gets_the_same_webhook_id_until_it_recovers(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.script("/fda", [Reply(500), Reply(502)])
    publish()

    pump()

    requests = receiver.received("/fda")
    assert [r.webhook_id for r in requests] == [requests[0].webhook_id] * 3
    delivery = Delivery.objects.get()
    assert delivery.state == "succeeded"
    assert delivery.attempt_count == 3
    assert [a.status_code for a in delivery.attempts.all()] == [500, 502, 200]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_retries_follow_the_schedule_with_jitter_then_fail(network: Network, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 100, 1000]
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.default = Reply(500)
    publish()

    pump()
    delivery = Delivery.objects.get()
    assert delivery.state == "retrying"
    assert delivery.schedule_position == 1
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 85 <= wait <= 115  # 100 s ± 10 % jitter, kept in the database
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is not None

    Delivery.objects.update(next_attempt_at=timezone.now())
    pump()
    Delivery.objects.update(next_attempt_at=timezone.now())
    pump()

    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.next_attempt_at is None
    assert delivery.attempt_count == 3
    assert len(receiver.received("/fda")) == 3


def test_retry_after_is_honoured(network: Network, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 5]
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.script("/fda", [Reply(429, headers={"Retry-After": "120"})])
    publish()

    pump()

    delivery = Delivery.objects.get()
    assert delivery.state == "retrying"
    assert delivery.last_status_code == 429
    assert 115 <= (delivery.next_attempt_at - timezone.now()).total_seconds() <= 121


def test_410_disables_the_endpoint_and_tells_its_admins(network: Network, receiver: Receiver, kicks: Any) -> None:
    endpoint = hook(network.fda, receiver)
    other = hook(network.fda, receiver, "/fda-other")
    subscribe(network.fda, [endpoint, other], event_types=["alert.published"])
    watcher = subscribe(network.fda, event_types=["endpoint.disabled"], email_recipients=["ops@fda.test"])
    receiver.script("/fda", [Reply(410)])
    publish()

    pump()

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "410" in endpoint.disabled_reason
    assert Delivery.objects.get(endpoint=endpoint).state == "failed"
    assert Delivery.objects.get(endpoint=other).state == "succeeded"
    disabled = Event.objects.get(type="endpoint.disabled")
    assert disabled.payload["url"] == endpoint.url
    assert endpoint.secret not in json.dumps(disabled.payload)
    fan_out(disabled.pk)
    assert Notification.objects.get(event=disabled).subscriptions == [str(watcher.pk)]
    pump()
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@fda.test", "ops@fda.test"]
    assert len(receiver.received("/fda")) == 1  # a disabled endpoint receives nothing more


def test_redirects_are_not_followed(network: Network, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.script("/fda", [Reply(307, headers={"Location": receiver.url("/elsewhere")})])
    publish()

    pump()

    assert receiver.received("/elsewhere") == []
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.last_status_code == 307
    assert "redirect" in delivery.last_error


def test_a_hanging_receiver_is_timed_out_without_delaying_the_others(
    network: Network, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 60]
    hanging = hook(network.fda, receiver, "/hang")
    quick = [hook(network.fda, receiver, f"/quick{i}") for i in range(5)]
    subscribe(network.fda, [hanging, *quick])
    receiver.script("/hang", [Reply(delay=10)])
    publish()

    started = time.time()
    pump()
    elapsed = time.time() - started

    quick_done = max(r.at for r in receiver.received() if r.path.startswith("/quick"))
    assert quick_done - started < 0.9, "the quick receivers waited for the hanging one"
    assert elapsed < 5
    delivery = Delivery.objects.get(endpoint=hanging)
    assert delivery.state == "retrying"
    assert "timed out" in delivery.last_error
    attempt = delivery.attempts.get()
    assert 900 <= attempt.duration_ms < 2500
    assert Delivery.objects.filter(endpoint__in=quick, state="succeeded").count() == 5


def test_rotation_signs_with_both_secrets_during_the_overlap(network: Network, receiver: Receiver, settings: Any) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    old_secret = endpoint.secret
    rotated = endpoint_rotate_secret(actor=network.fda.admin, endpoint=endpoint)
    publish()
    pump()

    [request] = receiver.received("/fda")
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    Webhook(old_secret).verify(request.body, request.headers)
    Webhook(rotated.secret).verify(request.body, request.headers)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    publish()
    pump()
    latest = receiver.received("/fda")[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated.secret).verify(latest.body, latest.headers)


def test_response_bodies_are_capped(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.script("/fda", [Reply(200, body=b"x" * 100_000)])
    publish()

    pump()

    assert len(DeliveryAttempt.objects.get().response_body) == 1024


def test_concurrency_per_endpoint_is_capped(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint])
    receiver.default = Reply(delay=0.3)
    for _ in range(6):
        publish()

    started = time.monotonic()
    stats = pump(per_endpoint=2)

    assert stats.succeeded == 6
    assert time.monotonic() - started >= 0.85  # 6 sends, 2 at a time, 0.3 s each


def test_facets_are_what_subscriptions_filter_on_not_the_payload(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint], tools=[TOOL_B])
    publish(facets=alert_facets(tools=[TOOL_B]), payload={"title": "t", "tools": ["something else"]})
    pump()
    assert len(receiver.received("/fda")) == 1


def test_a_member_suspended_after_fan_out_receives_nothing_more(network: Network, receiver: Receiver) -> None:
    endpoint = hook(network.fda, receiver)
    subscribe(network.fda, [endpoint], email_recipients=["x@fda.test"])
    publish()
    member_update(actor=network.staff, member=network.fda.member, status="suspended")

    pump()

    assert receiver.received() == []
    assert mail.outbox == []
    assert set(Delivery.objects.values_list("state", "last_error")) == {("failed", "the member is suspended")}
