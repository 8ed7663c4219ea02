"""Celery tasks of the network. Tasks take ids, are idempotent and return quietly when work is gone.

Queuing never fails the caller (exchange.queueing.QueuedTask): while the broker is unreachable,
publishing still commits its event and the outbox sweeper (Celery beat, every
OUTBOX_SWEEP_INTERVAL) picks it up later.
"""

from __future__ import annotations

import logging
import math
import time
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from exchange.queueing import QueuedTask

logger = logging.getLogger(__name__)


def deliveries_kick(
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
    A delayed kick (a retry due soon) is queued once per second of due time across the workers
    when a shared cache is configured.
    """
    from exchange.services.deliveries import CLAIM_BATCH, deliveries_release_adoption

    pumps = max(1, min(settings.DELIVERY_PUMPS - running, math.ceil(max(deliveries, 1) / CLAIM_BATCH)))
    if countdown:
        if not cache.add(f"sax:pump-wakeup:{int(time.time() + countdown)}", 1, timeout=int(countdown) + 60):
            return
        pumps = 1
    for index in range(pumps):
        kwargs = {"event_id": str(adopt[0]), "lease": str(adopt[1])} if adopt and index == 0 else {}
        if deliveries_pump.apply_async(kwargs=kwargs, countdown=countdown or None) is None:
            # The broker is down (QueuedTask logged it): the sweeper queues a pump when it is back.
            if adopt:
                deliveries_release_adoption(event_id=adopt[0], lease=adopt[1])
            return


@shared_task(name="exchange.event_dispatch", base=QueuedTask, ignore_result=True, acks_late=True)
def event_dispatch(event_id: str) -> None:
    from exchange.services.fanout import event_fan_out

    event_fan_out(event_id=event_id)


@shared_task(
    name="exchange.deliveries_pump", base=QueuedTask, ignore_result=True, acks_late=True, soft_time_limit=150, time_limit=180
)
def deliveries_pump(event_id: str | None = None, lease: str | None = None) -> dict[str, int]:
    """Send due deliveries until none is left or the time budget is spent; then queue the next run.

    With `event_id` and `lease`, first the deliveries fan-out wrote leased to `lease`."""
    from exchange.services.deliveries import DeliveryPump, next_due_in

    stats = DeliveryPump(adopt=(event_id, lease) if event_id and lease else None).run()
    due_in = next_due_in()
    if due_in is not None and due_in <= settings.OUTBOX_SWEEP_INTERVAL:
        deliveries_kick(deliveries=1, countdown=due_in or None)
    return {"sent": stats.sent, "succeeded": stats.succeeded, "failed": stats.failed}


@shared_task(name="exchange.outbox_sweep", base=QueuedTask, ignore_result=True, soft_time_limit=120, time_limit=150)
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


@shared_task(name="exchange.digests_send", base=QueuedTask, ignore_result=True, soft_time_limit=240, time_limit=300)
def digests_send() -> dict[str, int]:
    """Periodic: every daily digest that is due and every hour's "and N more" (what `send_digests` runs)."""
    from dataclasses import asdict

    from exchange.services.digests import digests_send as send

    return asdict(send())
