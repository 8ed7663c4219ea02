"""One log line per delivery attempt, under the request id of the request that caused it.

A pump sends the deliveries of many events at once, so the id comes from each delivery's event
(`Event.request_id`, stamped when the event was recorded), not from the pump's own task. Lines
name ids, channels and outcomes only: never a secret, a signature, a URL's credentials or a body.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from exchange.models import Event

if TYPE_CHECKING:
    from exchange.services.deliveries.claims import LeasedDelivery
    from exchange.transports.base import Outcome

logger = logging.getLogger("exchange.deliveries")


def delivery_attempts_log(results: list[tuple[LeasedDelivery, Outcome]]) -> None:
    if not results or not logger.isEnabledFor(logging.INFO):
        return
    event_ids = {item.event_id for item, _ in results if item.event_id is not None}  # None: an e-mail to a person
    request_ids = dict(Event.objects.filter(pk__in=event_ids).values_list("id", "request_id"))
    for item, outcome in results:
        logger.info(
            "delivery %s of event %s via %s: %s",
            item.id,
            item.event_id,
            item.channel,
            "delivered" if outcome.ok else f"failed ({outcome.status_code or outcome.error[:80]})",
            extra={
                "request_id": request_ids.get(item.event_id, "") if item.event_id else "",
                "delivery": str(item.id),
                "event": str(item.event_id),
                "channel": item.channel,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "ok": outcome.ok,
            },
        )
