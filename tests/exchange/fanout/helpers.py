"""Recording and fanning out events as the publishing services and the worker would."""

from __future__ import annotations

import uuid
from typing import Any

from standardwebhooks.webhooks import Webhook

from exchange.models import Event, WebhookEndpoint
from exchange.services.chain import audited_transaction
from exchange.services.deliveries import DeliveryPump, PumpStats
from exchange.services.endpoints import endpoint_create
from exchange.services.events import event_record
from exchange.services.fanout import FanOut, event_fan_out
from exchange.services.subscriptions import subscription_create
from tests.factories import Regulator
from tests.integration.receiver import Receiver

TOOL_A = "0b7e3c1e-8f0e-4c59-9d2a-1c2b3d4e5f60"
TOOL_B = "5d1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def alert_facets(**overrides: Any) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "alert_type": "performance_degradation",
        "severity": "high",
        "tools": [TOOL_A],
        "manufacturers": ["acme imaging ltd"],
        "clinical_areas": ["radiology"],
        "jurisdictions": ["GB", "US"],
        "authorised_in": ["GB", "CA"],
        "publisher": "MHRA",
    }
    facets.update(overrides)
    return facets


def record(
    *,
    type: str = "alert.published",
    audience_kind: str = "network",
    audience_codes: list[str] | None = None,
    publisher: str = "MHRA",
    facets: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record one event as a publishing service would, in its own transaction."""
    object_id = str(uuid.uuid4())
    with audited_transaction():
        return event_record(
            type=type,
            audience_kind=audience_kind,
            audience_codes=audience_codes if audience_codes is not None else [publisher],
            object_type="alert",
            object_id=object_id,
            publisher_code=publisher,
            facets=alert_facets() if facets is None else facets,
            payload=payload if payload is not None else {"id": object_id, "title": "Missed nodules", "severity": "high"},
        )


# (event id, lease) of the deliveries each fan-out wrote leased to the first pump it queues.
ADOPTIONS: list[tuple[uuid.UUID, uuid.UUID]] = []


def fan_out(event_id: Any) -> FanOut | None:
    """Fan an event out as the dispatch task does; `pump()` then runs the pump it would queue."""
    result = event_fan_out(event_id=event_id)
    if result is not None and result.lease is not None:
        ADOPTIONS.append((result.event_id, result.lease))
    return result


def publish(**kwargs: Any) -> tuple[Event, FanOut | None]:
    """Record an event and fan it out, as the worker would once the event commits."""
    event = record(**kwargs)
    return event, fan_out(event.pk)


def pump(max_seconds: float = 10.0, **kwargs: Any) -> PumpStats:
    """Run the pumps fan-out queued, in-process: one per fan-out that leased deliveries to it (each
    sends those first, then whatever else is due), or one plain pump if there was none."""
    stats = PumpStats()
    for adopt in [*ADOPTIONS] or [None]:
        run = DeliveryPump(max_seconds=max_seconds, adopt=adopt, **kwargs).run()
        stats.sent += run.sent
        stats.succeeded += run.succeeded
        stats.failed += run.failed
    ADOPTIONS.clear()
    return stats


def hook(regulator: Regulator, receiver: Receiver, path: str | None = None) -> WebhookEndpoint:
    return endpoint_create(
        actor=regulator.admin, member=regulator.member, url=receiver.url(path or f"/{regulator.code.lower()}")
    )


def subscribe(regulator: Regulator, endpoints: list[WebhookEndpoint] = (), **filters: Any) -> Any:  # type: ignore[assignment]
    return subscription_create(
        actor=regulator.admin, member=regulator.member, name="watch",
        webhook_endpoints=[str(e.pk) for e in endpoints], **filters,
    )


def verify(endpoint: WebhookEndpoint, request: Any) -> dict[str, Any]:
    return Webhook(endpoint.secret).verify(request.body, request.headers)
