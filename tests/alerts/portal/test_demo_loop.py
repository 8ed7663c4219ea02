"""The demo's whole loop (issue #16): seed_demo subscribes members and points MHRA's webhook endpoint at
the service's own demo receiver, which checks each message's signature and lists what it received."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from alerts.models import Acknowledgement
from exchange.models import Subscription, User, WebhookEndpoint
from exchange.portal import demo_receiver
from exchange.signing import signature_header

RECEIVER = "http://127.0.0.1:8000/demo/webhook-receiver/"
SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
FORGED = "whsec_" + "WllZWVlZWVlZWVlZWVlZWVlZWVlZWVk="  # a secret the endpoint does not hold
PUBLISHED = {"type": "alert.published", "data": {"reference": "SAX-2026-000001", "title": "Missed nodules"}}


@pytest.mark.django_db
def test_seed_demo_subscribes_and_answers_once(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    call_command("seed_demo", "--no-tokens", "--webhook-url", RECEIVER, stdout=StringIO())
    subscriptions = Subscription.objects.count()
    assert subscriptions >= 4
    endpoint = WebhookEndpoint.objects.get(member__code="MHRA")
    assert endpoint.url == RECEIVER
    assert Subscription.objects.get(member__code="MHRA", webhook_endpoints=endpoint).authorised_in_my_jurisdiction
    fda = Acknowledgement.objects.get(alert__publisher_reference="MHRA-DSI-2026-014", member__code="FDA")
    assert fda.state == "action_taken"
    assert fda.decision == "adopt"
    call_command("seed_demo", "--no-tokens", "--webhook-url", RECEIVER.replace("8000", "8765"), stdout=StringIO())
    assert Subscription.objects.count() == subscriptions
    assert WebhookEndpoint.objects.get(member__code="MHRA").url == RECEIVER.replace("8000", "8765")  # follows PORT


@pytest.fixture
def receiver_endpoint(settings: Any, tmp_path: Any, network: Any) -> WebhookEndpoint:
    """MHRA's endpoint pointed at the demo receiver, which is on (DEBUG) and writes under tmp_path."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return WebhookEndpoint.objects.create(member=network.mhra.member, url=RECEIVER, secret=SECRET)


def _post(client: Client, endpoint: WebhookEndpoint, body: dict[str, Any], *, secret: str | None = None) -> Any:
    text = json.dumps(body)
    stamp = int(time.time())
    signature = signature_header(secrets=[secret or endpoint.secret], msg_id="msg_demo_1", timestamp=stamp, body=text)
    return client.post("/demo/webhook-receiver/", text, content_type="application/json", headers={
        "webhook-id": "msg_demo_1", "webhook-timestamp": str(stamp), "webhook-signature": signature,
    })


@pytest.mark.django_db
def test_the_demo_receiver_checks_signatures_and_shows_what_arrived(
    settings: Any, network: Any, receiver_endpoint: WebhookEndpoint, page: Callable[[User], Client]
) -> None:
    assert _post(Client(), receiver_endpoint, PUBLISHED).status_code == 204
    forged = _post(Client(), receiver_endpoint, PUBLISHED, secret=FORGED)
    assert forged.status_code == 401  # refused, and not stored
    shown = page(network.mhra.admin).get("/demo/webhook-receiver/").content.decode()
    assert shown.count("SAX-2026-000001") == 1
    assert shown.count(">Valid<") == 1
    # Another member sees none of MHRA's messages.
    assert "SAX-2026-000001" not in page(network.fda.admin).get("/demo/webhook-receiver/").content.decode()
    assert Client().get("/demo/webhook-receiver/").status_code == 302  # the list is for signed-in members
    settings.DEBUG = False
    assert Client().post("/demo/webhook-receiver/", "{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_the_demo_receivers_file_stays_bounded(tmp_path: Any, receiver_endpoint: WebhookEndpoint) -> None:
    for number in range(demo_receiver.KEEP + 15):
        body = {"type": "alert.published", "data": {"reference": f"SAX-2026-{number:06d}"}}
        assert _post(Client(), receiver_endpoint, body).status_code == 204
    for _ in range(5):
        assert Client().post("/demo/webhook-receiver/", "{}", content_type="application/json").status_code == 401

    lines = (tmp_path / "demo-webhooks.jsonl").read_text().splitlines()
    assert len(lines) == demo_receiver.KEEP
    assert json.loads(lines[-1])["summary"] == f"SAX-2026-{demo_receiver.KEEP + 14:06d}"


@pytest.mark.django_db
def test_the_demo_receiver_logs_one_line_per_delivery_and_every_request_one_line(
    receiver_endpoint: WebhookEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name in {"config.requests", "exchange.demo_receiver", "django.server"}]

    for _ in range(3):
        assert _post(Client(), receiver_endpoint, PUBLISHED).status_code == 204
    deliveries = lines()
    assert [r.name for r in deliveries] == ["exchange.demo_receiver"] * 3  # its own line, and only that
    assert "alert.published for MHRA" in deliveries[0].getMessage()
    assert "SAX-2026-000001" in deliveries[0].getMessage()

    caplog.clear()
    assert _post(Client(), receiver_endpoint, PUBLISHED, secret=FORGED).status_code == 401
    Client().get("/accounts/login/")
    assert [(r.name, r.getMessage().split()[:3]) for r in lines()] == [
        ("config.requests", ["POST", "/demo/webhook-receiver/", "401"]),
        ("config.requests", ["GET", "/accounts/login/", "200"]),
    ]  # every other request: one access line
