"""Delivery attempts in the log, under the request id of the request that caused them.

A pump sends the deliveries of many events at once, so the id comes from each delivery's event
(`Event.request_id`, stamped when the event was recorded), not from the pump's own task. Lines
name ids, channels and outcomes only: never a secret, a signature, a URL's credentials or a body.

What costs nothing at fan-out rates (issue #29): at INFO, each recorded batch writes one line per
event and channel for the attempts that succeeded (`delivered`: how many, `deliveries`: their ids,
`slowest_ms`), and one line for every attempt that failed (its delivery id, status or error). At
DEBUG every successful attempt also gets its own line. Every attempt stays recorded in the database
whatever the level (for webhooks: `/api/v1/webhook-endpoints/{id}/deliveries/`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from exchange.models import Event

if TYPE_CHECKING:
    from exchange.services.deliveries.claims import LeasedDelivery
    from exchange.transports.base import Outcome

logger = logging.getLogger("exchange.deliveries")


def _request_ids(
    results: list[tuple[LeasedDelivery, Outcome]], known: Mapping[uuid.UUID, str] | None
) -> dict[uuid.UUID, str]:
    """The request id of each result's event: from `known` (the pump rendered the events), else one query."""
    event_ids = {item.event_id for item, _ in results if item.event_id is not None}  # None: an e-mail to a person
    found = {pk: known[pk] for pk in event_ids if known is not None and pk in known}
    missing = event_ids - found.keys()
    if missing:
        found.update(Event.objects.filter(pk__in=missing).values_list("id", "request_id"))
    return found


def _attempt(item: LeasedDelivery, outcome: Outcome, request_id: str, level: int) -> None:
    logger.log(
        level,
        "delivery %s of event %s via %s: %s",
        item.id,
        item.event_id,
        item.channel,
        "delivered" if outcome.ok else f"failed ({outcome.status_code or outcome.error[:80]})",
        extra={
            "request_id": request_id,
            "delivery": str(item.id),
            "event": str(item.event_id),
            "channel": item.channel,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
            "ok": outcome.ok,
        },
    )


def delivery_attempts_log(
    results: list[tuple[LeasedDelivery, Outcome]], *, request_ids: Mapping[uuid.UUID, str] | None = None
) -> None:
    """Log a recorded batch of attempts (see the module's docstring). `request_ids`: event id ->
    request id where the caller already knows them; the others are read in one query."""
    if not results or not logger.isEnabledFor(logging.INFO):
        return
    ids = _request_ids(results, request_ids)
    each = logger.isEnabledFor(logging.DEBUG)
    delivered: dict[tuple[uuid.UUID | None, str], list[tuple[LeasedDelivery, Outcome]]] = {}
    for item, outcome in results:
        request_id = ids.get(item.event_id, "") if item.event_id else ""
        if not outcome.ok:
            _attempt(item, outcome, request_id, logging.INFO)  # every failure, on its own line
            continue
        delivered.setdefault((item.event_id, item.channel), []).append((item, outcome))
        if each:
            _attempt(item, outcome, request_id, logging.DEBUG)
    for (event_id, channel), group in delivered.items():
        logger.info(
            "event %s via %s: %d delivered",
            event_id,
            channel,
            len(group),
            extra={
                "request_id": ids.get(event_id, "") if event_id else "",
                "event": str(event_id),
                "channel": channel,
                "delivered": len(group),
                "deliveries": [str(item.id) for item, _ in group],
                "slowest_ms": max(outcome.duration_ms for _, outcome in group),
                "ok": True,
            },
        )
