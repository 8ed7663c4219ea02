"""Queueing delivery pumps: how many, when, and what to do when the broker cannot take them."""

from __future__ import annotations

import math
import time
import uuid

from django.conf import settings
from django.core.cache import cache

from exchange.queueing import task_named
from exchange.services.deliveries.claims import CLAIM_BATCH, deliveries_release_adoption, next_due_in


def pumps_queue(
    *,
    deliveries: int = 1,
    countdown: float | None = None,
    adopt: tuple[uuid.UUID, uuid.UUID] | None = None,
    running: int = 0,
) -> None:
    """Queue enough delivery pumps for `deliveries` new or due deliveries: at most DELIVERY_PUMPS,
    less the `running` pumps already queued for the same work, and at least one.

    `adopt` is (event id, lease) of deliveries fan-out wrote already leased: the first pump reads
    them instead of claiming them; if it cannot be queued, they are released for any pump to claim.
    A delayed pump (a retry due soon) is queued once per second of due time across the workers
    when a shared cache is configured.
    """
    pumps = max(1, min(settings.DELIVERY_PUMPS - running, math.ceil(max(deliveries, 1) / CLAIM_BATCH)))
    if countdown:
        if not cache.add(f"sax:pump-wakeup:{int(time.time() + countdown)}", 1, timeout=int(countdown) + 60):
            return
        pumps = 1
    pump = task_named("exchange.deliveries_pump")
    for index in range(pumps):
        kwargs = {"event_id": str(adopt[0]), "lease": str(adopt[1])} if adopt and index == 0 else {}
        if pump.apply_async(kwargs=kwargs, countdown=countdown or None) is None:
            # The broker is down (QueuedTask logged it): the sweeper queues a pump when it is back.
            if adopt:
                deliveries_release_adoption(event_id=adopt[0], lease=adopt[1])
            return


def pumps_queue_for_next_due() -> bool:
    """Queue one pump for the next due retry if it falls before the next sweep; whether any is due."""
    due_in = next_due_in()
    if due_in is not None and due_in <= settings.OUTBOX_SWEEP_INTERVAL:
        pumps_queue(deliveries=1, countdown=due_in or None)
    return due_in is not None
