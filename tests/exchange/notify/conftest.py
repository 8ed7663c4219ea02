"""Fixtures for what reaches a person: fast delivery settings, recorded kicks, a real SMTP server.

Fan-out and the delivery pump run in-process (as the worker would run them once the publication
commits); e-mails land in Django's outbox, or — with `smtp` — in a real SMTP server (aiosmtpd) on a
free localhost port, reached through Django's SMTP backend.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alerts.models import Alert, Tool
from exchange.models import Event
from exchange.services.deliveries import DeliveryPump
from exchange.services.fanout import event_fan_out
from exchange.services.subscriptions import subscription_create
from tests.factories import Network, Regulator, tool_authorised_make, tool_make

SITE = "https://exchange.example"


@pytest.fixture(autouse=True)
def _mail_settings(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    settings.SITE_URL = SITE
    settings.EMAIL_IMMEDIATE_PER_HOUR = 20


@pytest.fixture(autouse=True)
def kicks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Nothing is queued on a broker here: the tests run fan-out and the pump themselves."""
    from exchange import tasks

    calls: list[Any] = []
    monkeypatch.setattr(tasks.event_dispatch, "delay", lambda event_id: calls.append(("dispatch", event_id)))
    from exchange.services.deliveries import pumps

    monkeypatch.setattr(pumps, "pumps_queue", lambda deliveries=1, **_: calls.append(("pump", deliveries)))
    return calls


def fan_out_all() -> None:
    """Fan out every event not yet dispatched, in order, as the dispatch tasks would."""
    for event_id in Event.objects.filter(dispatched_at__isnull=True).order_by("sequence").values_list("pk", flat=True):
        event_fan_out(event_id=event_id)


def send() -> None:
    DeliveryPump(max_seconds=10).run()


def subscribe(regulator: Regulator, **filters: Any) -> Any:
    return subscription_create(actor=regulator.admin, member=regulator.member, name="everything", **filters)


@pytest.fixture
def tool(network: Network) -> Tool:
    """LungScan AI, registered by MHRA and authorised in GB and the US."""
    return tool_authorised_make(network=network)


@pytest.fixture
def sepsis_tool(network: Network) -> Tool:
    return tool_make(
        actor=network.mhra.publisher, name="SepsisWatch Predict", manufacturer="Halloran Vantis Health",
        clinical_area="critical_care", intended_purpose="Predicts onset of sepsis in adult inpatients",
    )


def alert_event(alert: Alert, type: str = "alert.published") -> Event:
    return Event.objects.get(object_type="alert", object_id=str(alert.pk), type=type)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls this hook by name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on a free localhost port; Django's SMTP backend sends to it."""
    server = SmtpServer(host="127.0.0.1", port=_free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        controller.stop()
