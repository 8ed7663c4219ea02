"""Celery tasks of the network. Tasks take ids, are idempotent and return quietly when work is gone.

Queuing never fails the caller: while the broker is unreachable, publishing still commits its
event and the outbox sweeper (Celery beat, every OUTBOX_SWEEP_INTERVAL) picks it up later.
"""

from __future__ import annotations

import logging
import math
import time
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def event_dispatch_safely(event_id: uuid.UUID | str) -> None:
    """Queue fan-out of one event; a broker outage must never fail the publishing request.

    Whatever could not be queued is picked up by the outbox sweeper.
    """
    try:
        event_dispatch.apply_async(args=(str(event_id),), retry=False)
    except Exception:  # the broker is down: the sweeper will find the event undispatched
        logger.warning("Could not queue dispatch of event %s; the outbox sweeper will retry", event_id)


def deliveries_kick(*, deliveries: int = 1, countdown: float | None = None) -> None:
    """Queue enough delivery pumps for `deliveries` new or due deliveries (at most DELIVERY_PUMPS).

    A delayed kick (a retry due soon) is queued once per second of due time across the workers
    when a shared cache is configured.
    """
    from exchange.services.deliveries import CLAIM_BATCH

    pumps = max(1, min(settings.DELIVERY_PUMPS, math.ceil(max(deliveries, 1) / CLAIM_BATCH)))
    if countdown:
        if not cache.add(f"sax:pump-wakeup:{int(time.time() + countdown)}", 1, timeout=int(countdown) + 60):
            return
        pumps = 1
    for _ in range(pumps):
        try:
            if countdown:
                deliveries_pump.apply_async(countdown=countdown, retry=False)
            else:
                deliveries_pump.apply_async(retry=False)
        except Exception:  # the broker is down: the sweeper queues a pump when it is back
            logger.warning("Could not queue a delivery pump; the outbox sweeper will retry")
            return


@shared_task(name="exchange.event_dispatch", ignore_result=True, acks_late=True)
def event_dispatch(event_id: str) -> None:
    from exchange.services.fanout import event_fan_out

    event_fan_out(event_id=event_id)


@shared_task(
    name="exchange.deliveries_pump", ignore_result=True, acks_late=True, soft_time_limit=150, time_limit=180
)
def deliveries_pump() -> dict[str, int]:
    """Send due deliveries until none is left or the time budget is spent; then queue the next run."""
    from exchange.services.deliveries import DeliveryPump, next_due_in

    stats = DeliveryPump().run()
    due_in = next_due_in()
    if due_in is not None and due_in <= settings.OUTBOX_SWEEP_INTERVAL:
        deliveries_kick(deliveries=1, countdown=due_in or None)
    return {"sent": stats.sent, "succeeded": stats.succeeded, "failed": stats.failed}


@shared_task(name="exchange.outbox_sweep", ignore_result=True, soft_time_limit=120, time_limit=150)
def outbox_sweep() -> dict[str, int]:
    from exchange.services.fanout import outbox_sweep as sweep

    return sweep()


@shared_task(name="exchange.audit_checkpoint", ignore_result=True, soft_time_limit=60, time_limit=90)
def audit_checkpoint() -> int | None:
    """Sign the audit head with the network's key and send it as an `audit.checkpoint` event (SPEC §8)."""
    from exchange.services.checkpoints import audit_checkpoint_create

    checkpoint = audit_checkpoint_create()
    return checkpoint.entry_id if checkpoint is not None else None


@shared_task(name="exchange.retention_sweep", ignore_result=True, soft_time_limit=240, time_limit=300)
def retention_sweep() -> dict[str, int]:
    """Periodic: old events and their deliveries, idempotency records, expired sessions (SPEC §9)."""
    from dataclasses import asdict

    from exchange.services.retention import retention_sweep as sweep

    return asdict(sweep(max_seconds=180))
